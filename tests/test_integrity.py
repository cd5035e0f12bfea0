"""Issue 9 (short forms): private files, safe output, database faults, bad
input. Real processes on real SQLite files; `bench/reliability.py` runs the
long forms."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import make_engine, upgrade, write_session
from core.safe_text import dumps_json, neutralise

ROOT = Path(__file__).resolve().parents[1]
NASTY = "\x1b[2J\x1b]0;owned\x07\x9b31m\r\u202e"


# --------------------------------------------------------------------------- helpers


def me() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


@pytest.fixture
def world(tmp_path):
    """A migrated database whose first user (the OS user running the tests)
    is admin, one enrollee whose name and one monitoring flag whose detail
    hold escape sequences; environment for real `casedesk` processes."""
    db = tmp_path / "w.db"
    env = {**os.environ, "CASEDESK_DB": str(db), "CASEDESK_CONFIG": str(tmp_path / "none.toml"),
           "CASEDESK_LOG_DIR": str(tmp_path / "logs"), "LANG": "C.UTF-8", "PYTHONUTF8": "1"}
    run(env, "db", "init", check=True)  # the OS user running the tests is its first admin
    eng = make_engine(f"sqlite:///{db}")
    from core.auth import Actor
    from core.policy import load_pack
    from core.services import registry
    from core.services.monitoring import record_manual_trigger
    from tests.conftest import make_id_number

    admin = Actor(me(), "admin")
    with write_session(eng) as s:
        e = registry.add_enrollee(s, admin, id_number=make_id_number(seq=7), card_number="SZ00000007",
                                  name="Wang Er", scheme="comprehensive", employment="employed",
                                  residence_city="Shenzhen", today=date(2026, 10, 1), reason="test")
    with write_session(eng) as s:
        record_manual_trigger(s, admin, load_pack(), enrollee_id=e.id, trigger="T10-card-lending",
                              detail="lent card", on=date(2026, 10, 5), reason="test")
    # Stored text from anywhere (an older version, an import, sqlite3): the
    # printers must neutralise it whatever the validators let in.
    with eng.begin() as c:
        c.execute(text("UPDATE enrollee SET name = :n"), {"n": "Wang" + NASTY})
        c.execute(text("UPDATE monitoring_flag SET detail = :d"), {"d": "lent" + NASTY})
    eng.dispose()
    return {"db": db, "env": env, "tmp": tmp_path}


def run(env, *args, check=False, input=None):
    """``casedesk ARGS`` as a real process, output piped; args may be bytes."""
    cmd = [sys.executable, "-m", "cli", *args]
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, input=input, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


def assert_clean(r):
    """No raw control character (except newline/tab) and no traceback."""
    for stream in (r.stdout, r.stderr):
        out = stream.decode("utf-8", "replace")
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out), out
        assert "Traceback" not in out


# --------------------------------------------------------------------------- item 5: output is safe


def test_neutralise_shows_controls_as_visible_escapes():
    assert neutralise("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert neutralise("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert neutralise("\x9b1m\r") == "\\x9b1m\\x0d"
    assert neutralise("\u202eabc") == "\\u202eabc"
    assert neutralise("王小明\tline\n") == "王小明\tline\n"
    assert neutralise(neutralise(NASTY)) == neutralise(NASTY)


def test_json_output_escapes_controls_and_still_decodes_to_the_original():
    out = dumps_json({"name": NASTY + "王"})
    assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e]", out)
    assert json.loads(out)["name"] == NASTY + "王"


def test_lookup_and_monitor_never_send_an_escape_sequence_piped(world):
    env = world["env"]
    for args in (("lookup", "Wang"), ("lookup", "Wang", "--json"), ("monitor", "2026-10"),
                 ("monitor", "2026-10", "--json"), ("lookup", "x" + NASTY), ("lookup", "x" + NASTY, "--json")):
        r = run(env, *args)
        assert r.returncode in (0, 1), r.stderr.decode()
        assert_clean(r)
    r = run(env, "lookup", "Wang")
    assert "Wang\\x1b[2J" in r.stdout.decode()
    r = run(env, "lookup", "Wang", "--json")
    assert json.loads(r.stdout)["rows"][0]["name"] == "Wang" + NASTY  # the data is kept, only escaped


def test_click_usage_errors_quoting_typed_text_are_neutralised(world):
    r = run(world["env"], "no-such-command" + NASTY)
    assert r.returncode == 2
    assert_clean(r)


def test_every_cli_printer_goes_through_the_one_neutralising_echo():
    """Item 5: one function prints; a new ``typer.echo``/``print`` in cli/
    would bypass it."""
    offenders = []
    for path in (ROOT / "cli").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\btyper\.echo\(|\bclick\.echo\(|(?<![.\w])print\(|sys\.std(out|err)\.write\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    allowed = {"cli/main.py"}  # echo() itself, and main()'s last-resort lines (through _SafeStream)
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []
    main_lines = [o for o in offenders if o.startswith("cli/main.py")]
    assert len(main_lines) <= 5, main_lines


# --------------------------------------------------------------------------- item 4: private files


def test_database_wal_shm_and_log_are_private(tmp_path):
    db = tmp_path / "sub" / "new.db"
    env = {**os.environ, "CASEDESK_DB": str(db), "CASEDESK_CONFIG": str(tmp_path / "none.toml"),
           "CASEDESK_LOG_DIR": str(tmp_path / "logs")}
    os.umask(0o022)  # a permissive login umask: the process sets its own
    run(env, "db", "init", check=True)
    run(env, "user", "add", "someone", "--role", "clerk", check=True)
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    assert db in files
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_crash_log_is_private_and_holds_no_id_numbers_sql_parameters_or_argv(tmp_path):
    from sqlalchemy.exc import OperationalError

    from core import logs

    idn = "440304196005170014"
    try:
        raise OperationalError("SELECT * FROM enrollee WHERE id_number = ?", (idn,), Exception(f"boom {idn}"))
    except OperationalError as exc:
        os.umask(0o022)
        logs.setup_logging(tmp_path / "logs")
        where = logs.log_crash(exc, ["lookup", idn, "--db", "/x.db", "--spent=12"])
    path = Path(where)
    content = path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert idn not in content and "4403**********0014" in content
    assert "[parameters" not in content and "SELECT" not in content
    assert "casedesk lookup … --db … --spent" in content
    assert "/x.db" not in content


def test_log_records_are_masked():
    import logging

    from core.logs import MaskingFilter

    rec = logging.LogRecord("casedesk", logging.INFO, __file__, 1, "user %s card %s", ("440304196005170014", "SZ00012345"),
                            None)
    MaskingFilter().filter(rec)
    assert rec.getMessage() == "user 4403**********0014 card SZ****2345"


def test_tui_error_notice_shows_no_sql_parameters():
    from sqlalchemy.exc import OperationalError

    from core.logs import describe_exception

    exc = OperationalError("UPDATE enrollee SET phone=? WHERE id_number=?", ("13800000000", "440304196005170014"),
                           Exception("some driver problem"))
    shown = describe_exception(exc)
    assert "440304196005170014" not in shown and "13800000000" not in shown and "UPDATE" not in shown
    assert shown == "OperationalError: some driver problem"


# --------------------------------------------------------------------------- item 6: faults named, success after commit


def test_busy_database_says_busy_try_again_with_the_command(world, monkeypatch):
    import sqlite3

    from typer.testing import CliRunner

    import core.db
    from cli.main import app

    monkeypatch.setattr(core.db, "BUSY_TIMEOUT_MS", 200)
    for k, v in world["env"].items():
        if k.startswith("CASEDESK"):
            monkeypatch.setenv(k, v)
    hold = sqlite3.connect(world["db"], isolation_level=None)
    hold.execute("BEGIN IMMEDIATE")
    try:
        r = CliRunner().invoke(app, ["user", "add", "newbie", "--role", "clerk"])
    finally:
        hold.rollback()
        hold.close()
    assert r.exit_code == 2, r.output
    assert "busy — try again" in r.output and "user add" in r.output
    assert "added" not in r.output and "nexpected" not in r.output


def test_read_only_database_prints_no_success(world, monkeypatch):
    """Success is printed only after the commit: on a read-only database
    (``PRAGMA query_only``: SQLITE_READONLY, as for a file the process may
    not write) ``flag`` and ``user add`` print no "recorded"/"added"."""
    from sqlalchemy import event
    from typer.testing import CliRunner

    import core.db
    from cli.main import app

    make = core.db.make_engine

    def read_only_engine(*a, **kw):
        eng = make(*a, **kw)
        event.listen(eng, "connect", lambda dbapi_conn, _rec: dbapi_conn.execute("PRAGMA query_only = 1"))
        return eng

    monkeypatch.setattr(core.db, "make_engine", read_only_engine)
    for k, v in world["env"].items():
        if k.startswith("CASEDESK"):
            monkeypatch.setenv(k, v)
    for args, success in ((["user", "add", "newbie", "--role", "clerk"], "added"),
                          (["flag", "SZ00000007", "T10-card-lending", "--detail", "x"], "recorded")):
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, r.output
        assert "read-only" in r.output and success not in r.output, r.output


# --------------------------------------------------------------------------- item 10: bad input


@pytest.mark.parametrize("value", ["1,0,0", "1_000", "١٠٠", "1e309", "1e3", "NaN", "Infinity", "--1", "1.234",
                                   "", " ", "1,00", "12345678901234", "0x10", "+1", "1.", ".5"])
def test_parse_yuan_refuses_all_but_well_formed_amounts(value):
    from core.services.registry import parse_yuan

    with pytest.raises(ValueError):
        parse_yuan(value)


def test_parse_yuan_well_formed():
    from core.services.registry import parse_yuan

    assert parse_yuan("1,234.5") == 123_450
    assert parse_yuan("1234.56") == 123_456
    assert parse_yuan("-3") == -300
    assert parse_yuan("0.01") == 1


def test_bad_arguments_exit_2_with_the_field_named(world):
    env = world["env"]
    cases = [
        ((b"lookup", b"\xff\xfeabc"), "argument 2"),
        ((b"--db", b"/tmp/\xff.db", b"lookup", b"x"), "--db"),
        (("check", "SZ00000007", "MD-I-09", "--spent", "1e309"), "spent"),
        (("check", "SZ00000007", "MD-I-09", "--spent", "١٠٠"), "spent"),
        (("lookup", "x", "--page", "99999999999999999999"), "--page"),
        (("--policy", "p" * 100_000, "monitor", "2026-10"), "policy"),
        (("--policy", str(ROOT / "data" / "policies" / "zezhou.toml"), "monitor", "2026-10"), "policy"),
        (("db", "backup", str(world["tmp"] / ("x" * 100_000))), "file"),  # found by bench/reliability.py
    ]
    for args, field in cases:
        r = run(env, *args)
        err = r.stderr.decode("utf-8", "replace")
        assert r.returncode == 2, (args[:3], err)
        assert field in err, (args[:3], err)
        assert_clean(r)


# --------------------------------------------------------------------------- item 6/10: the importer


ENROLLEE_HEADER = "id_number,card_number,name,scheme,supplementary,city_household,employment\n"


def _enrollee_csv(n0: int, count: int = 2) -> str:
    from tests.conftest import make_id_number

    return ENROLLEE_HEADER + "".join(
        f"{make_id_number(seq=n0 + i)},SZ{n0 + i:08d},王{i}明,comprehensive,1,1,employed\n" for i in range(count))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_import_reads_what_excel_saves_in_china(engine, clerk, tmp_path, encoding):
    from core.models import Enrollee
    from core.services.importer import import_csv
    from sqlmodel import Session, select

    path = tmp_path / "e.csv"
    path.write_bytes(_enrollee_csv(400).encode(encoding))  # Python's utf-16 writes a BOM
    rep = import_csv(engine, clerk, "enrollees", path)
    assert rep.committed and rep.written == 2
    with Session(engine) as s:
        assert sorted(s.exec(select(Enrollee.name))) == ["王0明", "王1明"]


@pytest.mark.parametrize("data, named", [
    (b"\x00\x01\x02\x03binary\xff\xfe\x00garbage" * 10, "UTF-8 or GB18030/GBK"),
    (bytes(range(256)) * 4, "UTF-8 or GB18030/GBK"),
    (b"\xff\xfe" + b"\x00\xd8" + b"a\x00", "UTF-16"),  # a BOM, then a lone surrogate
])
def test_import_refuses_binary_or_undecodable_files_naming_the_encoding(engine, clerk, tmp_path, data, named):
    from core.services.importer import ImportRefused, import_csv
    from tests.conftest import db_fingerprint

    path = tmp_path / "b.csv"
    path.write_bytes(data)
    before = db_fingerprint(engine)
    with pytest.raises(ImportRefused) as err:
        import_csv(engine, clerk, "enrollees", path)
    (line, reason), = err.value.report.bad
    assert line == 1 and reason.startswith("file:") and named in reason
    assert db_fingerprint(engine) == before


def test_import_refuses_huge_fields_and_unknown_or_repeated_columns(engine, clerk, tmp_path):
    from core.services.importer import ImportRefused, import_csv

    path = tmp_path / "e.csv"
    path.write_text(_enrollee_csv(410, 1) + "440304196005170014,SZ1," + "x" * 200_000 + ",comprehensive,1,1,employed\n",
                    encoding="utf-8")
    with pytest.raises(ImportRefused) as err:
        import_csv(engine, clerk, "enrollees", path)
    assert "longer than 131072 characters" in err.value.report.bad[-1][1]
    path.write_text(ENROLLEE_HEADER.strip() + ",name,shoe_size\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as err:
        import_csv(engine, clerk, "enrollees", path)
    assert "unknown columns: shoe_size" in err.value.report.bad[0][1]
    assert "columns given twice: name" in err.value.report.bad[0][1]


def test_import_refuses_the_same_key_twice_in_one_file(engine, clerk, tmp_path):
    from core.services.importer import ImportRefused, import_csv

    body = _enrollee_csv(420, 2)
    first = body.splitlines()[1]
    path = tmp_path / "e.csv"
    path.write_text(body + first + "\n", encoding="utf-8")
    with pytest.raises(ImportRefused) as err:
        import_csv(engine, clerk, "enrollees", path)
    assert err.value.report.bad == [(4, "card_number: same as line 2"), (4, "id_number: same as line 2")]


def _expenses(build, n: int, tmp_path) -> Path:
    people = [build.enrollee() for _ in range(20)]
    lines = ["enrollee_id_number,occurred_at,amount_yuan,visit_kind"]
    for i in range(n):
        lines.append(f"{people[i % 20].id_number},2026-10-{1 + i % 28:02d}T09:{i % 60:02d},{i % 900}.5,general_outpatient")
    path = tmp_path / "x.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _write_lock_times(engine) -> list[float]:
    """Seconds each write transaction (BEGIN IMMEDIATE … COMMIT/ROLLBACK) held the lock."""
    import time

    from sqlalchemy import event

    from core.db import WRITE_OPTION

    held: list[float] = []
    started: dict[int, float] = {}

    @event.listens_for(engine, "begin")
    def _begin(conn):
        if conn.get_execution_options().get(WRITE_OPTION):
            started[id(conn.connection.dbapi_connection)] = time.perf_counter()

    def _end(conn):
        t0 = started.pop(id(conn.connection.dbapi_connection), None)
        if t0 is not None:
            held.append(time.perf_counter() - t0)

    event.listen(engine, "commit", _end)
    event.listen(engine, "rollback", _end)
    return held


def test_20000_expense_rows_hold_the_write_lock_well_under_a_second(engine, clerk, build, tmp_path):
    from core.services.importer import import_csv

    path = _expenses(build, 20_000, tmp_path)
    held = _write_lock_times(engine)
    rep = import_csv(engine, clerk, "expenses", path)
    assert rep.written == 20_000
    assert len(held) == 1, held  # one write transaction, validation outside it
    assert held[0] < 1.0, held
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM expense_record")).scalar_one() == 20_000


@pytest.mark.parametrize("skip_bad", [False, True])
def test_full_disk_during_import_leaves_the_database_exactly_as_before(engine, clerk, build, tmp_path, skip_bad):
    """SQLITE_FULL (``PRAGMA max_page_count``): the outer transaction is
    rolled back and no per-row savepoint commits afterwards."""
    from sqlalchemy import event

    from core.errors import DatabaseFault
    from core.services.importer import import_csv
    from tests.conftest import db_fingerprint

    path = _expenses(build, 5_000, tmp_path)
    if skip_bad:  # one bad row: --skip-bad then writes the rest
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("nobody,2026-10-01T09:00,1,general_outpatient\n")
    engine.dispose()
    with engine.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar_one()

    @event.listens_for(engine, "connect")
    def _tiny_disk(dbapi_conn, _rec):
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 3}")

    engine.dispose()
    before = db_fingerprint(engine)
    with pytest.raises(DatabaseFault) as err:
        import_csv(engine, clerk, "expenses", path, skip_bad=skip_bad)
    assert err.value.kind == "full"
    assert "disk holding the database is full" in err.value.messages()[0]
    assert "importing" in err.value.messages()[0]
    assert db_fingerprint(engine) == before


def test_cli_import_of_a_binary_file_exits_2_naming_the_encoding(world):
    bad = world["tmp"] / "bin.csv"
    bad.write_bytes(bytes(range(256)) * 8)
    r = run(world["env"], "import", "enrollees", str(bad))
    assert r.returncode == 2
    assert "UTF-8 or GB18030/GBK" in r.stderr.decode()
    assert_clean(r)


# --------------------------------------------------------------------------- item 7: no lost update


def test_set_role_and_deactivate_refuse_a_change_made_since_the_caller_read(engine, admin, clerk):
    from core.errors import StaleRecord
    from core.services import users
    from tests.conftest import db_fingerprint

    with write_session(engine) as s:
        v = next(u for u in users.list_users(s) if u.username == clerk.username).version
    with write_session(engine) as s:  # the first admin's change
        users.set_role(s, admin, username=clerk.username, role="reviewer", reason="promoted", expected_version=v)
    before = db_fingerprint(engine)
    for change in (lambda s: users.set_role(s, admin, username=clerk.username, role="admin", reason="x",
                                            expected_version=v),
                   lambda s: users.deactivate(s, admin, username=clerk.username, reason="x", expected_version=v)):
        with pytest.raises(StaleRecord):
            with write_session(engine) as s:
                change(s)
    assert db_fingerprint(engine) == before


def test_cli_user_list_shows_the_version_set_role_takes(world):
    env = world["env"]
    run(env, "user", "add", "bob", "--role", "clerk", check=True)
    rows = json.loads(run(env, "user", "list", "--json", check=True).stdout)
    v = next(r["version"] for r in rows if r["username"] == "bob")
    run(env, "user", "set-role", "bob", "reviewer", "--reason", "promoted", "--version", str(v), check=True)
    r = run(env, "user", "set-role", "bob", "admin", "--reason", "again", "--version", str(v))
    assert r.returncode in (1, 2) and b"changed by someone else" in r.stderr
    assert_clean(r)


# --------------------------------------------------------------------------- item 8: provenance


def test_records_store_the_deciding_packs_id_and_content_hash(engine, clerk, build, policy):
    """SZ-MT Art. 13: a manual monitoring flag, and its audit event, say which
    pack (id + sha256 of the file) decided it."""
    import hashlib

    from core.models import AuditEvent, MonitoringFlag
    from core.paths import data_dir
    from core.services.monitoring import record_manual_trigger
    from sqlmodel import Session, select

    e = build.enrollee()
    with write_session(engine) as s:
        record_manual_trigger(s, clerk, policy, enrollee_id=e.id, trigger="T10-card-lending", detail="seen",
                              on=date(2026, 10, 5), reason="report")
    sha = hashlib.sha256((data_dir() / "policies" / "shenzhen-2008.toml").read_bytes()).hexdigest()
    with Session(engine) as s:
        flag = s.exec(select(MonitoringFlag)).one()
        assert (flag.policy_pack, flag.policy_hash) == ("shenzhen-2008", sha)
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "monitoring.flag")).one()
        assert json.loads(ev.after)["policy_hash"] == sha


def test_a_corrupted_page_gives_a_clear_message_not_a_traceback(world):
    """Probe 13: a damaged page (bytes overwritten inside the file) gives
    "damaged … ask an admin to run `casedesk db check`", exit 2."""
    db = world["db"]
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'enrollee'").fetchone()[0]
    con.close()
    with open(db, "r+b") as fh:  # the enrollee table's first page
        fh.seek((root - 1) * page)
        fh.write(b"\xa5" * page)
    r = run(world["env"], "lookup", "Wang")
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert "damaged" in err and "db check" in err
    assert_clean(r)
