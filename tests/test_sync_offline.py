"""Issue 11 item 8: two branches work offline, then sync exactly once with a
real PostgreSQL 15 centre.

1,000+ operations are made offline across two branch SQLite files —
including both branches issuing the first record book of the same enrollee
(SZ-MD Art. 5) and one branch suspending an enrollee (SZ-MT Art. 14) while
the other files them off-site (SZ-MT Art. 9). Branch A's `casedesk sync` is
SIGKILLed in the middle of its push; the centre's applier takes part of what
arrived; A syncs again, then B; the whole outbox of both branches is
submitted a second time. The centre holds each operation exactly once, the
refused ones wait in B's conflict queue with the centre's reasons, every
audit trail verifies, and after a pull both branches agree with the centre
on every record (the refused ones' provisional rows aside, until they are
resolved with --take-central — then on every row).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from certificate_world import World, make_world
from conftest import Build
from core import audit, gateway
from core.auth import Actor
from core.db import make_engine, read_session, write_session
from core.models import Caseworker, InvestigationCase, OffsiteFiling, OutboxOp, RecordBook
from core.services import books, investigations, monitoring, offsite
from core.services.offsite import FilingForm
from core.sync import applier, ops, outbox, push, resolve
from core.sync.link import init_branch
from core.sync.pull import pull
from tests.sync_world import assert_equal_to_centre

pytestmark = pytest.mark.postgres

D = date(2026, 3, 10)
PER_BRANCH = int(os.environ.get("CASEDESK_TEST_PER_BRANCH", "100"))  # enrollees each branch takes from draft to record book: 5 operations each
CLERK, REVIEWER = Actor("clerk1", "clerk", "futian"), Actor("rev1", "reviewer", "futian")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _people(engine, *actors):
    with write_session(engine) as s:
        for a in actors:
            s.add(Caseworker(username=a.username, role=a.role, branch=a.branch, display_name=a.username))


def _at(world: World, engine) -> World:
    return World(**{**world.__dict__, "engine": engine})


def _branch(tmp_path, migrated_template, me, pg_url, code):
    import shutil

    path = tmp_path / f"{code}.db"
    shutil.copy(migrated_template, path)
    eng = make_engine(f"sqlite:///{path}")
    _people(eng, me, CLERK, REVIEWER)
    gateway.write(eng, lambda s: init_branch(s, me, code=code, central=pg_url))
    ops.forget_branch_tables()
    pull(eng, me)
    return eng, path


def _cli(db, *args, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.Popen([sys.executable, "-m", "cli", "--lang", "en", "--db", str(db), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _count(engine, sql: str) -> int:
    with engine.connect() as c:
        return c.execute(text(sql)).scalar_one()


def _work(w: World, people) -> None:
    """Each enrollee: draft, sign, seal, confirm, first record book — five operations."""
    for p in people:
        cert = w.draft(D, enrollee=p)
        w.sign(cert, D)
        w.seal(cert, D)
        w.confirm(cert, D)
        w.run(lambda s, c=cert: books.issue_book(s, CLERK, policy=w.policy, certificate_number=c.number,
                                                 card_presented=True, id_card_presented=True, on=D))


def _outbox(engine) -> list[OutboxOp]:
    with read_session(engine) as s:
        rows = list(s.exec(select(OutboxOp).order_by(OutboxOp.seq)))
        for r in rows:
            s.expunge(r)
        return rows


def test_two_branches_offline_then_sync_exactly_once(pg_url, tmp_path, migrated_template, me, policy):
    centre = make_engine(pg_url)
    _people(centre, CLERK, REVIEWER)
    cw = make_world(centre, Build(centre), policy, CLERK, REVIEWER)
    build = Build(centre)
    a_people = [build.enrollee(branch="futian") for _ in range(PER_BRANCH)]
    b_people = [build.enrollee(branch="luohu") for _ in range(PER_BRANCH)]
    shared_cert = cw.recognise(D)  # the world's enrollee: recognised at the centre, no book yet
    wuhan = [build.institution(city="Wuhan", level=lvl, public=True, designated=True, kind=kind)
             for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"))]
    stationed = build.enrollee(city_household=True, stationed_elsewhere=True, employer="Shenzhen Metro Co.",
                               residence_city="Wuhan")

    a, a_path = _branch(tmp_path, migrated_template, me, pg_url, "FT01")
    b, b_path = _branch(tmp_path, migrated_template, me, pg_url, "LH02")
    wa, wb = _at(cw, a), _at(cw, b)

    # ------------------------------------------------------------------ offline
    started = time.process_time()
    _work(wa, a_people)
    _work(wb, b_people)
    issue = lambda s: books.issue_book(s, CLERK, policy=policy, certificate_number=shared_cert.number,  # noqa: E731
                                       card_presented=True, id_card_presented=True, on=D)
    book_a, book_b = wa.run(issue), wb.run(issue)  # SZ-MD Art. 5: both issue the first book
    # SZ-MT Art. 14: A suspends the stationed enrollee (notice, no show) while B files them off-site
    flag = wa.run(lambda s: monitoring.record_manual_trigger(s, CLERK, policy, enrollee_id=stationed.id,
                                                             trigger="T12-reported-violation", detail="pharmacy",
                                                             on=D))
    case = wa.run(lambda s: investigations.send_notice_for_flag(s, CLERK, policy, flag_id=flag.id, on=D))
    wa.run(lambda s: investigations.record_no_show(s, REVIEWER, policy, case_id=case.id,
                                                   on=case.notice_due + timedelta(days=1)))
    codes = tuple(i.code for i in wuhan)
    form = FilingForm(place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                      local_ss_stamp=True, filed_by="self")
    filing = wb.run(lambda s: offsite.file_filing(s, CLERK, stationed.id, form, on=D, policy=policy))
    offline_cpu = time.process_time() - started
    ops_a, ops_b = _outbox(a), _outbox(b)
    total = len(ops_a) + len(ops_b)
    assert (total >= 1000 or PER_BRANCH < 100) and len(ops_a) == 5 * PER_BRANCH + 4 and len(ops_b) == 5 * PER_BRANCH + 2
    assert book_a.number.startswith("B-2026-FT01-") and book_b.number.startswith("B-2026-LH02-")

    # ------------------------------------------------------------------ A's push, killed in the middle
    proc = _cli(a_path, "sync", "--json", "--push-batch", "10", "--wait", "0")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _count(centre, "SELECT count(*) FROM sync_submission") < len(ops_a) // 5:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    sent = _count(centre, "SELECT count(*) FROM sync_submission")
    assert len(ops_a) // 5 <= sent < len(ops_a), "the push was not interrupted in the middle"
    # the centre applies part of what arrived; A has noted none of the answers (killed before)
    assert applier.apply_pending(centre, limit=sent // 2).applied == sent // 2
    done = _cli(a_path, "sync", "--json", "--wait", "0")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    report = json.loads(out)
    assert report["push"]["applied"] == sent // 2 and report["push"]["waiting"] == len(ops_a) - sent // 2
    applier.apply_pending(centre)  # the rest of A
    done = _cli(b_path, "sync", "--json", "--wait", "0")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    result = applier.apply_pending(centre)
    assert result.as_dict() == {"applied": len(ops_b) - 2, "conflicts": 2}

    # ------------------------------------------------------------------ the whole outbox again
    for eng in (a, b):
        with write_session(eng) as s:
            for op in s.exec(select(OutboxOp)):
                op.state = "pending"  # as if nothing had ever been acknowledged
        push.submit(eng, centre, batch=500)
    assert applier.apply_pending(centre).as_dict() == {"applied": 0, "conflicts": 0}
    for eng in (a, b):
        with write_session(eng) as s:
            for op in s.exec(select(OutboxOp)):
                op.state = "submitted"
        push.collect(eng, centre)
        pull(eng, me)

    # exactly once: one submission and one answer per operation; the effects once
    assert _count(centre, "SELECT count(*) FROM sync_submission") == total
    assert _count(centre, "SELECT count(*) FROM sync_applied") == total
    assert _count(centre, "SELECT count(*) FROM sync_applied WHERE outcome = 'applied'") == total - 2
    assert _count(centre, "SELECT count(DISTINCT op_id) FROM audit_event WHERE op_id IS NOT NULL") == total - 2
    assert _count(centre, "SELECT count(*) FROM record_book") == 2 * PER_BRANCH + 1
    with read_session(centre) as s:
        assert s.get(RecordBook, book_a.id) is not None and s.get(RecordBook, book_b.id) is None
        assert s.get(OffsiteFiling, filing.id) is None
        assert s.get(InvestigationCase, case.id).status == "suspended"

    # the refused ones wait in B's queue with the centre's reasons
    with read_session(b) as s:
        queued = outbox.conflicts(s)
        assert outbox.waiting_count(s) == 0 and outbox.conflict_count(s) == 2
        held = outbox.held_rows(s)
    by_service = {c.service: c for c in queued}
    assert set(by_service) == {"books.issue_book", "offsite.file_filing"}
    assert any(r.article == "SZ-MD Art. 5" for r in by_service["books.issue_book"].reasons)
    assert [r.field for r in by_service["offsite.file_filing"].reasons] == ["version"]  # the enrollee was suspended
    assert ("record_book", book_b.id) in held and ("offsite_filing", filing.id) in held
    with read_session(a) as s:
        assert outbox.conflict_count(s) == 0 and outbox.waiting_count(s) == 0

    # every trail verifies; the branches agree with the centre (B's provisional rows aside)
    for eng in (centre, a, b):
        with read_session(eng) as s:
            v = audit.verify(s)
            assert v.ok, v.problems
    assert_equal_to_centre(a, centre)
    _assert_equal_but(b, centre, held)

    # resolved with the centre's state: B then agrees on every row
    for c in queued:
        resolve.take_central(b, me, c.op_id, central=centre)
    with read_session(b) as s:
        assert outbox.conflict_count(s) == 0 and not outbox.held_rows(s)
        assert len(outbox.conflicts(s, include_resolved=True)) == 2  # never dropped
        assert audit.verify(s).ok
    assert_equal_to_centre(b, centre)
    assert offline_cpu < 60, offline_cpu
    centre.dispose()


def _assert_equal_but(branch, centre, held) -> None:
    from tests.sync_world import rows
    from core.sync.tables import SYNCED

    for t in SYNCED:
        if t.local:
            continue
        want, got = rows(centre, t.name), rows(branch, t.target)
        mine = {k for (table, k) in held if table == t.name}
        assert set(got) - mine == set(want) - mine, t.name
        for key in set(want) - mine:
            assert {k: got[key][k] for k in want[key]} == want[key], (t.name, key)
