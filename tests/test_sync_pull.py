"""Branch sync, the pull (issue 11 items 1, 2, 6): a real PostgreSQL 15 centre
(the shared throwaway cluster) and real SQLite branch files. The centre's
state is made through the services; the branch must end equal to it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from core import audit, gateway
from core.db import make_engine, read_session, write_session
from core.errors import BadInput
from core.services import history, offsite
from core.sync import changes as change_log
from core.sync.link import init_branch
from core.sync.pull import pull
from core.sync.tables import SYNCED
from tests.sync_world import CLERK, World, assert_equal_to_centre, rows

pytestmark = pytest.mark.postgres


def make_branch(engine, me, pg_url, code="FT01", area=""):
    gateway.write(engine, lambda s: init_branch(s, me, code=code, central=pg_url, area=area))


def test_first_pull_then_incremental_pull_brings_only_the_changes(engine, me, pg_url):
    centre = make_engine(pg_url)
    world = World(centre)
    people = [world.enrollee("futian" if i % 2 else "luohu", 700 + i) for i in range(6)]
    world.file(people[0].id)
    world.expense(people[0].id, 3)
    make_branch(engine, me, pg_url)

    first = pull(engine, me, batch=7)
    assert first.batches > 1 and first.changes >= first.rows > 0
    assert_equal_to_centre(engine, centre)

    # the centre moves on: a new enrollee, a changed one, a cancelled filing
    later = world.enrollee("futian", 720)
    with write_session(centre) as s:
        e = s.get(type(people[1]), people[1].id)
        before = audit.snapshot(e)
        e.phone = "13800000000"
        audit.changed(s, CLERK, e, before, "enrollee.update", article="SZ-MT Art. 3")
    filing = world.file(people[2].id)
    world.expense(people[2].id, 4)
    with write_session(centre) as s:
        offsite.cancel_filing(s, CLERK, filing.id, on=date(2026, 3, 20), reason="back in town", policy=world.policy)

    second = pull(engine, me, batch=7)
    # only what changed: the new enrollee, the changed one, the filing and its rows, their audit events
    assert 0 < second.changes < first.changes
    assert second.by_table["enrollee"] == 2 and "institution" not in second.by_table
    assert_equal_to_centre(engine, centre)
    assert pull(engine, me).changes == 0  # nothing new: nothing read

    with read_session(engine) as s:  # the branch's own chain holds the pulls and verifies
        v = audit.verify(s)
        assert v.ok, v.problems
        pulled = s.execute(text("SELECT count(*) FROM audit_event WHERE action = 'sync.pull'")).scalar_one()
        assert pulled == first.batches + second.batches
    with read_session(centre) as s:
        assert audit.verify(s).ok
    assert later.id in rows(engine, "enrollee")
    with read_session(engine) as s:  # the record's history at the branch tells the centre's events
        told = history.record_history(s, people[1].id_number)
        assert [x.action for x in told.sentences] == ["enrollee.add", "enrollee.update"]
        assert {x.actor for x in told.sentences} == {CLERK.username}
    centre.dispose()


def test_a_branch_of_an_area_pulls_master_data_and_its_own_enrollees_only(engine, me, pg_url):
    centre = make_engine(pg_url)
    world = World(centre)
    people = [world.enrollee("futian" if i % 2 else "luohu", 740 + i) for i in range(4)]
    world.file(people[1].id)  # futian
    world.file(people[0].id)  # luohu
    make_branch(engine, me, pg_url, area="futian")
    pull(engine, me, batch=5)
    mine = {p.id for p in people if p.branch == "futian"}
    assert_equal_to_centre(engine, centre, only=mine)
    assert set(rows(engine, "enrollee")) == mine
    assert len(rows(engine, "institution")) == len(rows(centre, "institution"))
    centre.dispose()


def test_an_enrollee_who_moves_into_the_area_arrives_with_all_their_records(engine, me, pg_url):
    centre = make_engine(pg_url)
    world = World(centre)
    stay = world.enrollee("futian", 750)
    mover = world.enrollee("luohu", 751)
    world.file(mover.id)
    world.expense(mover.id, 6)
    make_branch(engine, me, pg_url, area="futian")
    pull(engine, me)
    assert set(rows(engine, "enrollee")) == {stay.id}
    with write_session(centre) as s:  # the mover's records changed before the move: the filter passed them over
        e = s.get(type(mover), mover.id)
        before = audit.snapshot(e)
        e.branch = "futian"
        audit.changed(s, CLERK, e, before, "enrollee.update", article="SZ-MT Art. 3")
    pull(engine, me)
    assert_equal_to_centre(engine, centre, only={stay.id, mover.id})
    assert len(rows(engine, "filing_institution")) == 3
    centre.dispose()


def test_rows_held_by_an_operation_are_fetched_again_once_the_centre_has_answered(engine, me, pg_url):
    """A row an operation made here is left alone while the operation waits;
    the centre's change of it (applying the operation) may pass behind the
    cursor meanwhile, so once the answer is in, the pull fetches it again."""
    from core.models import Caseworker
    from core.sync import applier, push

    centre = make_engine(pg_url)
    world = World(centre)
    person = world.enrollee("futian", 790)
    with write_session(centre) as s:  # the caseworker the centre applies the operation as
        s.add(Caseworker(username=me.username, role=me.role, branch="futian", display_name=me.username))
    make_branch(engine, me, pg_url)
    pull(engine, me)
    filing = world.file(person.id, engine=engine, actor=me)  # made here: an operation in the outbox
    assert push.submit(engine, centre) == 1
    assert applier.apply_pending(centre).applied == 1
    pull(engine, me)  # the filing is still held here (no answer read yet): the centre's version passes by
    assert rows(engine, "offsite_filing")[filing.id] != rows(centre, "offsite_filing")[filing.id]
    assert push.collect(engine, centre) == (1, 0, 0)
    pull(engine, me)
    assert_equal_to_centre(engine, centre)
    centre.dispose()


def test_every_pulled_table_logs_its_changes_on_postgresql(pg_url):
    centre = make_engine(pg_url)
    with centre.connect() as c:
        assert change_log.installed(c) >= {t.name for t in SYNCED}
    centre.dispose()


def test_the_change_log_never_skips_a_change_committed_late(pg_url):
    """The commit-order gap: a transaction that took its sequence number
    first but commits last is read on the next pull, not skipped."""
    centre = make_engine(pg_url)
    world = World(centre)
    slow = centre.connect()
    tx = slow.begin()
    slow.execute(text("UPDATE institution SET name = 'slow' WHERE code = :c"), {"c": world.insts[0].code})
    world.enrollee("futian", 760)  # commits after slow took its seq
    with centre.connect() as c, c.begin():
        h = change_log.horizon(c)
        seen = change_log.read(c, (0, 0), h, 10_000)
    # the later writer committed, but its changes wait behind the open one's horizon
    assert not any(ch.tbl == "institution" and ch.op == "U" for ch in seen)
    assert not any(ch.tbl == "enrollee" for ch in seen)
    tx.commit()
    slow.close()
    with centre.connect() as c, c.begin():
        h2 = change_log.horizon(c)
        after = change_log.read(c, (seen[-1].txid, seen[-1].seq) if seen else (0, 0), h2, 10_000)
    assert any(ch.tbl == "institution" and ch.op == "U" for ch in after)
    centre.dispose()


def test_a_central_url_with_a_password_is_refused_and_nothing_is_recorded(engine, me):
    with pytest.raises(BadInput, match="password"):
        gateway.write(engine, lambda s: init_branch(s, me, code="FT01",
                                                    central="postgresql+psycopg://b:secret@centre/casedesk"))
    with pytest.raises(BadInput, match="PostgreSQL"):
        gateway.write(engine, lambda s: init_branch(s, me, code="FT01", central="sqlite:///x.db"))
    with pytest.raises(BadInput, match="branch code"):
        gateway.write(engine, lambda s: init_branch(s, me, code="no spaces",
                                                    central="postgresql+psycopg://b@centre/casedesk"))
    with read_session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM sync_branch")).scalar_one() == 0


def test_the_branch_role_pulls_with_read_grants_only(engine, me, pg_url, pg_cluster):
    """The branch's own database role (``casedesk sync grant``) reads what it pulls and writes no record."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    from core.sync.applier import grant_branch_role

    centre = make_engine(pg_url)
    world = World(centre)
    world.file(world.enrollee("futian", 780).id)
    role = f"pull_{make_url(pg_url).database}"
    pg_cluster.admin(f"CREATE ROLE {role} LOGIN")
    grant_branch_role(centre, role)
    as_branch = pg_url.replace("casedesk@", f"{role}@")
    make_branch(engine, me, as_branch)
    assert pull(engine, me).changes > 0
    assert_equal_to_centre(engine, centre)
    branch_role = make_engine(as_branch)
    with pytest.raises(ProgrammingError, match="permission denied"):
        with branch_role.begin() as c:
            c.execute(text("UPDATE enrollee SET phone = '1'"))
    branch_role.dispose()
    centre.dispose()
