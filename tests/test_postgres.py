"""The same storage code against a real PostgreSQL 15 (a throwaway cluster on a
Unix socket in a temporary directory). Skipped when no PostgreSQL server
binaries are installed; `.ci/run` installs them from Debian's packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from core.db import check_schema, current_revision, head_revision, make_engine, upgrade, write_session

pytestmark = pytest.mark.postgres


def _pg_bin() -> Path | None:
    for cand in (shutil.which("initdb"), "/usr/lib/postgresql/15/bin/initdb"):
        if cand and Path(cand).exists():
            return Path(cand).resolve().parent
    return None


def _as_user(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the postgres user."""
    if os.geteuid() != 0:
        return cmd
    user = "postgres" if shutil.which("runuser") else None
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        user = "nobody"
    return ["runuser", "-u", user or "nobody", "--", *cmd]


@pytest.fixture(scope="module")
def pg_url():
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed")
    tmp = Path(tempfile.mkdtemp(prefix="casedesk-pg-"))
    os.chmod(tmp, 0o777)
    data, sock = tmp / "data", tmp / "sock"
    sock.mkdir()
    os.chmod(sock, 0o777)
    subprocess.run(_as_user([str(bindir / "initdb"), "-D", str(data), "-U", "casedesk", "--auth=trust",
                             "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
    opts = f"-c listen_addresses='' -c unix_socket_directories='{sock}' -c fsync=off -p 55439"
    subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l",
                             str(tmp / "log"), "start"]), check=True, capture_output=True)
    try:
        subprocess.run([str(bindir / "createdb"), "-h", str(sock), "-p", "55439", "-U", "casedesk", "casedesk"],
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://casedesk@/casedesk?host={sock}&port=55439"
    finally:
        subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


def test_postgres_migrates_and_works(pg_url):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlmodel import Session

    from core.auth import Actor
    from core.errors import StaleRecord
    from core.models import Enrollee
    from core.services import registry
    from core.services.lookup import search
    from tests.conftest import make_id_number

    eng = make_engine(pg_url)
    upgrade(eng)
    assert current_revision(eng) == head_revision()
    check_schema(eng, auto_create=False)

    clerk = Actor("pgclerk", "clerk", "futian")
    with write_session(eng) as s:
        e = registry.add_enrollee(s, clerk, id_number=make_id_number(seq=900), card_number="PG0000001",
                                  name="周九", scheme="migrant", individual_account_fen=123_45)
    with Session(eng) as s:
        page = search(s, "周")
        assert [r.name for r in page.rows] == ["周九"]
        assert s.get(Enrollee, e.id).individual_account_fen == 12345

    # optimistic locking works the same way
    s1, s2 = Session(eng), Session(eng)
    a, b = s1.get(Enrollee, e.id), s2.get(Enrollee, e.id)
    s1.close(), s2.close()
    with write_session(eng) as w:
        w.merge(a).phone = "1"
    with pytest.raises(StaleRecord):
        with write_session(eng) as w:
            w.merge(b, load=False).phone = "2"

    # audit is append-only here too
    with pytest.raises(DBAPIError, match="append-only"):
        with eng.begin() as c:
            c.execute(text("DELETE FROM audit_event"))
    eng.dispose()
