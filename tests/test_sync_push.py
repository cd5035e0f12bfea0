"""Push side of branch sync (issue 11 items 3-5): the outbox, the central
applier, exactly once, conflicts, numbers made offline."""

from __future__ import annotations

import ast
import json
import re
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from certificate_world import make_world
from core import audit
from core.auth import Actor
from core.db import make_engine, read_session, write_session
from core.errors import DomainError
from core.models import AuditEvent, OutboxOp, RecordBook
from core.services import books
from core.sync import applier, ops, outbox, push
from tests.push_world import caseworkers, copy_rows, count, mark_branch, rows_of

D = date(2026, 3, 10)
SERVICES = Path(__file__).resolve().parent.parent / "core" / "services"


# --------------------------------------------------------------------------- every write is an operation


def _writers() -> set[str]:
    """Public functions of core/services taking (session, actor, …) that write
    an audit event, directly or through a private helper of their module."""
    out = set()
    for path in SERVICES.glob("*.py"):
        tree = ast.parse(path.read_text())
        funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}

        def writes(fn, seen=()):
            for c in ast.walk(fn):
                if isinstance(c, ast.Call):
                    name = ast.unparse(c.func)
                    if name.startswith("audit.") and name.split(".")[1] in ("record", "created", "changed"):
                        return True
                    if name in funcs and name not in seen and name != fn.name and writes(funcs[name], (*seen, fn.name)):
                        return True
                    if name.split(".")[-1] in ("new_book", "add_entry", "copy_entries", "_new_case") :
                        return True
            return False

        for name, fn in funcs.items():
            args = [a.arg for a in fn.args.args]
            if not name.startswith("_") and args[:2] == ["session", "actor"] and writes(fn):
                out.add(f"{path.stem}.{name}")
    return out


#: helpers a registered service calls (never invoked on their own from tui/ or cli/)
HELPERS = {"books.new_book", "books.add_entry", "books.copy_entries", "users.add_first_admin",
           "offsite.cancel_on_return"}


def test_every_writing_service_is_an_operation_or_a_local_write():
    import importlib

    for path in SERVICES.glob("*.py"):
        importlib.import_module(f"core.services.{path.stem}")
    registered = set(ops.REGISTRY) | set(ops.LOCAL)
    missing = sorted(_writers() - registered - HELPERS)
    assert not missing, f"writing services not registered with core.sync.ops.operation: {missing}"
    assert "books.issue_book" in ops.REGISTRY and "offsite.file_filing" in ops.REGISTRY


def test_helpers_are_only_called_from_registered_services():
    """A helper that writes is reached only through a registered service (so its write is inside an operation)."""
    callers: dict[str, set[str]] = {}
    for path in list(Path("cli").rglob("*.py")) + list(Path("tui").rglob("*.py")):
        src = path.read_text()
        for h in HELPERS - {"users.add_first_admin"}:
            if re.search(rf"\b{h.split('.')[1]}\(", src):
                callers.setdefault(h, set()).add(str(path))
    assert not callers, callers


# --------------------------------------------------------------------------- a branch on its own


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _issue(w, cert, actor=None):
    return lambda s: books.issue_book(s, actor or w.clerk, policy=w.policy, certificate_number=cert.number,
                                      card_presented=True, id_card_presented=True, on=D)


def _outbox(engine) -> list[OutboxOp]:
    with read_session(engine) as s:
        rows = list(s.exec(select(OutboxOp).order_by(OutboxOp.seq)))
        for r in rows:
            s.expunge(r)
        return rows


def test_a_write_at_a_branch_is_recorded_as_an_operation_in_the_same_transaction(w, engine):
    cert = w.recognise(D)
    mark_branch(engine, "FT01")
    book = w.run(_issue(w, cert))
    [op] = _outbox(engine)
    assert op.service == "books.issue_book" and op.actor == "clerk1" and op.branch == "FT01" and op.state == "pending"
    inputs = json.loads(op.inputs)["$dict"]
    assert inputs["certificate_number"] == cert.number and inputs["on"] == {"$date": "2026-03-10"}
    assert inputs["policy"]["$policy"] == w.policy.id
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.*[+-]\d\d:\d\d", op.local_at)
    # the ids of the rows it created derive from the operation (the centre will create the same)
    assert book.id == uuid.uuid5(op.op_id, "1")
    # SZ-MD Art. 5: the book number made offline carries the branch code and the branch's sequence
    assert book.number == "B-2026-FT01-000001" and json.loads(op.numbers) == [book.number]
    reads = json.loads(op.reads)
    assert f"certificate:{cert.id}" in reads and reads[f"certificate:{cert.id}"][0] == cert.version
    assert f"record_book:{book.id}" in json.loads(op.touched)
    # audit events say which operation and branch
    with read_session(engine) as s:
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "book.issue")).one()
        assert ev.op_id == op.op_id and ev.branch == "FT01"
        assert audit.verify(s).ok


def test_a_refusal_at_a_branch_records_no_operation(w, engine):
    cert = w.recognise(D)
    mark_branch(engine, "FT01")
    w.run(_issue(w, cert))
    with pytest.raises(DomainError) as err:
        w.run(_issue(w, cert))
    assert ("SZ-MD Art. 5", "book") in {(r.article, r.field) for r in err.value.reasons} or err.value.reasons
    assert len(_outbox(engine)) == 1


def test_a_write_round_the_operations_is_refused_at_a_branch(w, engine):
    mark_branch(engine, "FT01")
    with pytest.raises(DomainError) as err:
        with write_session(engine) as s:
            audit.record(s, w.clerk, "book.issue", entity="record_book", entity_id=uuid.uuid4(), article="SZ-MD Art. 5")
    assert err.value.field == "branch"
    with read_session(engine) as s:
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "book.issue")).all()


def test_the_outbox_is_never_deleted(w, engine):
    cert = w.recognise(D)
    mark_branch(engine, "FT01")
    w.run(_issue(w, cert))
    with pytest.raises(Exception, match="never deleted"):
        with engine.begin() as c:
            c.execute(text("DELETE FROM sync_outbox"))
    assert len(_outbox(engine)) == 1


def test_numbers_made_offline_never_collide_between_branches(w, engine, tmp_path, build):
    """Two branches each number their first certificate: different codes, so different numbers."""
    import shutil

    from core.services.lookup import search

    other_path = tmp_path / "other.db"
    engine.dispose()
    shutil.copy(engine.url.database, other_path)
    other = make_engine(f"sqlite:///{other_path}")
    mark_branch(engine, "FT01")
    mark_branch(other, "LH02")
    a = w.draft(D)
    w_other = type(w)(**{**w.__dict__, "engine": other})
    b = w_other.draft(D)
    assert a.number == "C-2026-FT01-000001" and b.number == "C-2026-LH02-000001"
    assert w.draft(D, enrollee=build.enrollee()).number == "C-2026-FT01-000002"
    # the counter finds them as typed at the counter, without dashes too
    with read_session(engine) as s:
        page = search(s, "c2026ft01000001", on=D)
        assert page.kind == "document" and [h.number for h in page.hits] == [a.number]


# --------------------------------------------------------------------------- centre and branch


@pytest.fixture
def centre(pg_url, build, policy):
    """A central database with the master data of the certificate world, and the caseworkers."""
    eng = make_engine(pg_url)
    yield eng
    eng.dispose()


def _world_at_centre(centre_engine, policy):
    from conftest import Build

    clerk, reviewer = Actor("clerk1", "clerk", "futian"), Actor("rev1", "reviewer", "futian")
    caseworkers(centre_engine, clerk, reviewer)
    return make_world(centre_engine, Build(centre_engine), policy, clerk, reviewer)


def _branch(tmp_path, migrated_template, centre_engine, code, name):
    import shutil

    path = tmp_path / f"{name}.db"
    shutil.copy(migrated_template, path)
    eng = make_engine(f"sqlite:///{path}")
    caseworkers(eng, Actor("clerk1", "clerk", "futian"), Actor("rev1", "reviewer", "futian"))
    copy_rows(centre_engine, eng)
    mark_branch(eng, code)
    return eng


def _answers(engine):
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT outcome, reasons FROM sync_applied"))]


def test_push_applies_each_operation_once_with_the_same_ids_and_numbers(centre, policy, tmp_path, migrated_template):
    cw = _world_at_centre(centre, policy)
    cert = cw.recognise(D)
    branch = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    bw = type(cw)(**{**cw.__dict__, "engine": branch})
    book = bw.run(_issue(bw, cert))
    clerk = Actor("clerk1", "clerk", "futian")
    first = push.push(branch, clerk, central=centre)
    assert first.submitted == 1 and first.waiting == 1
    # submitted again (a crash before the branch noted it): still one submission
    with write_session(branch) as s:
        s.exec(select(OutboxOp)).one().state = "pending"
    assert push.submit(branch, centre) == 1
    assert count(centre, "sync_submission") == 1
    assert applier.apply_pending(centre).as_dict() == {"applied": 1, "conflicts": 0}, count(centre, "sync_applied", "") and _answers(centre)
    assert applier.apply_pending(centre).as_dict() == {"applied": 0, "conflicts": 0}
    again = push.push(branch, clerk, central=centre)
    assert again.applied == 1 and again.waiting == 0
    with read_session(centre) as s:
        central = s.get(RecordBook, book.id)
        assert central.number == book.number == "B-2026-FT01-000001"
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "book.issue")).one()
        assert (ev.actor, ev.branch, ev.op_id) == ("clerk1", "FT01", _outbox(branch)[0].op_id)
        assert audit.verify(s).ok
    assert rows_of(branch) == rows_of(centre)
    with read_session(branch) as s:
        assert outbox.waiting_count(s) == 0 and not outbox.held_rows(s)


def test_a_refused_operation_is_queued_with_the_centres_reasons(centre, policy, tmp_path, migrated_template):
    """SZ-MD Art. 5: two branches issue the first record book of the same enrollee offline."""
    cw = _world_at_centre(centre, policy)
    cert = cw.recognise(D)
    a = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    b = _branch(tmp_path, migrated_template, centre, "LH02", "lh02")
    clerk = Actor("clerk1", "clerk", "futian")
    book_a = type(cw)(**{**cw.__dict__, "engine": a}).run(_issue(cw, cert))
    book_b = type(cw)(**{**cw.__dict__, "engine": b}).run(_issue(cw, cert))
    push.submit(a, centre)
    push.submit(b, centre)
    assert applier.apply_pending(centre).as_dict() == {"applied": 1, "conflicts": 1}
    push.collect(a, centre)
    push.collect(b, centre)
    with read_session(b) as s:
        [c] = outbox.conflicts(s)
        assert c.service == "books.issue_book" and outbox.conflict_count(s) == 1
        assert any(r.article == "SZ-MD Art. 5" for r in c.reasons), c.reasons
        assert outbox.is_provisional(s, "record_book", book_b.id)
        from core.services.worklist import worklist  # conflicts are work: they are in the worklist

        [item] = [i for i in worklist(s, policy, on=D).items if i.kind == "sync_conflict"]
        assert item.article == "SZ-MD Art. 5" and item.record_id == c.op_id and "refused" in item.message("en")
        assert "中心" in item.message("zh_CN")
        from core.services.overview import enrollee_overview  # the enrollee view says it is provisional

        view = enrollee_overview(s, cert.enrollee_id, on=D, policy=policy)
        [alert] = [x for x in view.alerts if x.kind == "sync_conflict"]
        assert book_b.number in alert.message("en") and "refused by the centre" in alert.message("en")
        assert "被中心拒绝" in alert.message("zh_CN")
    with read_session(centre) as s:
        assert s.get(RecordBook, book_a.id) is not None and s.get(RecordBook, book_b.id) is None


def test_the_branch_role_may_only_submit(centre, pg_cluster, tmp_path, migrated_template, policy):
    """The branch cannot go round the rules: its database role inserts submissions and nothing else."""
    from sqlalchemy.exc import ProgrammingError

    dbname = centre.url.database
    pg_cluster.admin("CREATE ROLE ft01_branch LOGIN")
    try:
        applier.grant_branch_role(centre, "ft01_branch")
        role = make_engine(pg_cluster.url(dbname).replace("casedesk@", "ft01_branch@"))
        cw = _world_at_centre(centre, policy)
        cert = cw.recognise(D)
        branch = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
        type(cw)(**{**cw.__dict__, "engine": branch}).run(_issue(cw, cert))
        assert push.submit(branch, role) == 1
        assert push.submit(branch, role) == 1  # unanswered, so sent again: ON CONFLICT (op_id) DO NOTHING
        assert count(centre, "sync_submission") == 1
        with pytest.raises(ProgrammingError, match="permission denied"):
            with role.begin() as c:
                c.execute(text("UPDATE record_book SET status = 'void'"))
        with pytest.raises(ProgrammingError, match="permission denied"):
            with role.begin() as c:
                c.execute(text("INSERT INTO sync_applied (op_id, branch, outcome, reasons, applied_at) "
                               "VALUES (gen_random_uuid(), 'FT01', 'applied', '[]', now())"))
        assert applier.apply_pending(centre).applied == 1
        assert push.collect(branch, role) == (1, 0, 0)
        role.dispose()
    finally:
        with centre.begin() as c:
            c.execute(text("DROP OWNED BY ft01_branch"))
        centre.dispose()
        pg_cluster.admin("DROP ROLE ft01_branch")


def test_conflicts_are_listed_and_resolved_from_the_shell(centre, policy, tmp_path, migrated_template):
    """`casedesk sync conflicts --json` shows the centre's reasons; `sync resolve OP --retry` queues it
    again (same ids and numbers, judged on the centre's state); nothing queued is dropped."""
    from typer.testing import CliRunner

    from cli.main import app
    from core.auth import os_username

    cw = _world_at_centre(centre, policy)
    cert = cw.recognise(D)
    a = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    b = _branch(tmp_path, migrated_template, centre, "LH02", "lh02")
    caseworkers(b, Actor(os_username(), "admin", "luohu"))
    type(cw)(**{**cw.__dict__, "engine": a}).run(_issue(cw, cert))
    book_b = type(cw)(**{**cw.__dict__, "engine": b}).run(_issue(cw, cert))
    push.submit(a, centre)
    push.submit(b, centre)
    applier.apply_pending(centre)
    push.collect(b, centre)
    db = b.url.database
    r = CliRunner().invoke(app, ["--lang", "en", "--db", db, "sync", "conflicts", "--json"])
    assert r.exit_code == 0, r.output
    [c] = json.loads(r.stdout)["conflicts"]
    assert c["service"] == "books.issue_book" and c["state"] == "conflict"
    assert {"article": "SZ-MD Art. 5", "field": "book"}.items() <= c["reasons"][0].items() or \
        any(x["article"] == "SZ-MD Art. 5" for x in c["reasons"]), c["reasons"]
    r = CliRunner().invoke(app, ["--lang", "en", "--db", db, "sync", "resolve", c["op_id"][:8]])
    assert r.exit_code == 2  # neither --take-central nor --retry
    r = CliRunner().invoke(app, ["--lang", "en", "--db", db, "sync", "resolve", c["op_id"][:8], "--retry", "--json"])
    assert r.exit_code == 0, r.output
    ops_b = _outbox(b)
    assert [o.state for o in ops_b] == ["resolved", "pending"] and ops_b[1].retry_of == ops_b[0].op_id
    assert ops_b[1].seed == ops_b[0].seed and ops_b[1].numbers == ops_b[0].numbers
    with read_session(b) as s:
        assert outbox.is_provisional(s, "record_book", book_b.id)  # still waiting for the centre
    push.submit(b, centre)
    assert applier.apply_pending(centre).conflicts == 1  # the rules still refuse a second first book
    push.collect(b, centre)
    r = CliRunner().invoke(app, ["--lang", "en", "--db", db, "sync", "conflicts", "--all", "--json"])
    assert len(json.loads(r.stdout)["conflicts"]) == 2


async def test_the_conflicts_screen_shows_the_reasons_and_sends_it_again(centre, policy, tmp_path, migrated_template):
    """From the worklist (F4, Ctrl+K) to the refused operation, its reasons, and `r`."""
    from tui.app import create_app
    from tui_support import screen_text, settle, table_text, wait_until
    from tui.widgets.table import FitTable

    cw = _world_at_centre(centre, policy)
    cert = cw.recognise(D)
    a = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    b = _branch(tmp_path, migrated_template, centre, "LH02", "lh02")
    type(cw)(**{**cw.__dict__, "engine": a}).run(_issue(cw, cert))
    type(cw)(**{**cw.__dict__, "engine": b}).run(_issue(cw, cert))
    for eng in (a, b):
        push.submit(eng, centre)
    applier.apply_pending(centre)
    push.collect(b, centre)
    app = create_app(b, Actor("clerk1", "clerk", "futian"), policy, "en", today=D)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "WorklistScreen"
                         and pilot.app.screen.result is not None)
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "ConflictsScreen"
                         and pilot.app.screen.result is not None)
        await settle(pilot)
        shown = screen_text(pilot.app.screen)
        assert "add MD-I-01 to that book" in shown  # the centre's reason (SZ-MD Art. 5)
        reasons = pilot.app.screen.query_one("ReasonsList").reasons
        assert any(r.article == "SZ-MD Art. 5" for r in reasons)
        assert "books.issue_book" in table_text(pilot.app.screen.query_one(FitTable))
        await pilot.press("r")
        await wait_until(pilot, lambda: pilot.app.screen.result == ())
    assert [o.state for o in _outbox(b)] == ["resolved", "pending"]


def test_sync_apply_once_at_the_centre(centre, pg_url, policy, tmp_path, migrated_template):
    """`casedesk --db postgresql+psycopg://… sync apply --once --json`: the applier as a command."""
    from typer.testing import CliRunner

    from cli.main import app
    from core.auth import os_username

    cw = _world_at_centre(centre, policy)
    caseworkers(centre, Actor(os_username(), "admin", ""))
    cert = cw.recognise(D)
    a = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    type(cw)(**{**cw.__dict__, "engine": a}).run(_issue(cw, cert))
    push.submit(a, centre)
    r = CliRunner().invoke(app, ["--lang", "en", "--db", pg_url, "sync", "apply", "--once", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"ok": True, "applied": 1, "conflicts": 0}
    r = CliRunner().invoke(app, ["--lang", "en", "--db", str(a.url.database), "sync", "apply", "--once"])
    assert r.exit_code == 2  # the applier runs at the centre only


def test_the_applier_wakes_when_a_branch_submits(centre, policy, tmp_path, migrated_template):
    """`casedesk sync apply` (no --once): LISTEN on the submission trigger's channel, apply, sleep again."""
    import threading
    import time

    cw = _world_at_centre(centre, policy)
    cert = cw.recognise(D)
    a = _branch(tmp_path, migrated_template, centre, "FT01", "ft01")
    type(cw)(**{**cw.__dict__, "engine": a}).run(_issue(cw, cert))
    stop = threading.Event()
    worker = threading.Thread(target=applier.run_forever, args=(centre,), kwargs={"idle": 30, "stop": stop.is_set})
    worker.start()
    try:
        time.sleep(0.5)  # listening
        push.submit(a, centre)
        deadline = time.monotonic() + 20
        while count(centre, "sync_applied") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert count(centre, "sync_applied") == 1  # woken by the NOTIFY, long before the 30 s idle
        assert time.monotonic() < deadline
    finally:
        stop.set()
        with centre.begin() as c:  # wake it so it sees the stop
            c.execute(text("NOTIFY casedesk_sync_submitted"))
        worker.join(10)
    assert not worker.is_alive()
