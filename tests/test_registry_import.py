"""Master data validation, CSV import all-or-nothing, users and audit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.auth import actor_for
from core.db import write_session
from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent, Caseworker, Enrollee
from core.services import registry, users
from core.services.importer import ImportRefused, import_csv
from tests.conftest import db_fingerprint, make_id_number


def test_add_enrollee_validates_every_field_and_writes_nothing(engine, clerk):
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as err:
        with write_session(engine) as s:
            registry.add_enrollee(s, clerk, id_number="440304196005170010", card_number="x", name="",
                                  scheme="gold", employment="astronaut", disabled_grade=9)
    fields = {r.field for r in err.value.reasons}
    assert {"id_number", "card_number", "name", "scheme", "employment", "disabled_grade"} <= fields
    assert db_fingerprint(engine) == before


def test_add_enrollee_takes_birth_date_and_sex_from_id(engine, clerk):
    idn = make_id_number(date(1958, 3, 9), seq=123)
    with write_session(engine) as s:
        e = registry.add_enrollee(s, clerk, id_number=idn.lower(), card_number="sz1234567", name="张三",
                                  scheme="comprehensive")
    assert e.birth_date == date(1958, 3, 9)
    assert e.sex == "M"  # 17th digit 3 is odd
    assert e.card_number == "SZ1234567"


def test_duplicate_id_number_refused(engine, clerk):
    idn = make_id_number(seq=5)
    with write_session(engine) as s:
        registry.add_enrollee(s, clerk, id_number=idn, card_number="SZ0000001", name="A", scheme="migrant")
    with pytest.raises(DomainError, match="already registered"):
        with write_session(engine) as s:
            registry.add_enrollee(s, clerk, id_number=idn, card_number="SZ0000002", name="B", scheme="migrant")


def test_every_state_change_writes_one_audit_event(engine, clerk, admin):
    with write_session(engine) as s:
        e = registry.add_enrollee(s, clerk, id_number=make_id_number(seq=77), card_number="SZ7700001",
                                  name="李四", scheme="inpatient", reason="counter enrolment")
    with Session(engine) as s:
        evs = list(s.exec(select(AuditEvent).where(AuditEvent.entity_id == str(e.id))))
    assert len(evs) == 1
    ev = evs[0]
    assert ev.actor == "clerk1" and ev.actor_role == "clerk" and ev.action == "enrollee.add"
    assert ev.reason == "counter enrolment"
    assert json.loads(ev.after)["name"] == "李四"


def test_team_head_change_ends_previous_head(engine, admin, policy):
    with write_session(engine) as s:
        registry.add_institution(s, admin, code="H1", name="H", kind="hospital", city="Shenzhen", level=3,
                                 designated=True, diagnostic_hospital=True)
        for c in ("P1", "P2"):
            registry.add_physician(s, admin, code=c, name=c, institution_code="H1", title="chief",
                                   specialty="cardiology")
    with write_session(engine) as s:
        registry.add_team_member(s, admin, policy=policy, institution_code="H1", specialty="cardiology", physician_code="P1",
                                 is_head=True, since=date(2024, 1, 1))
    with write_session(engine) as s:
        registry.add_team_member(s, admin, policy=policy, institution_code="H1", specialty="cardiology", physician_code="P2",
                                 is_head=True, since=date(2025, 6, 1))
    with Session(engine) as s:
        rows = s.execute(text("SELECT p.code, m.is_head, m.since, m.until FROM team_membership m "
                              "JOIN physician p ON p.id = m.physician_id ORDER BY p.code")).all()
    assert rows[0][0] == "P1" and str(rows[0][3]) == "2025-05-31"
    assert rows[1][0] == "P2" and rows[1][3] is None


def test_sz_md_art_4_team_member_must_be_deputy_chief_or_above(engine, admin, policy):
    with write_session(engine) as s:
        registry.add_institution(s, admin, code="H1", name="H", kind="hospital", city="Shenzhen", level=3,
                                 designated=True, diagnostic_hospital=True)
        registry.add_physician(s, admin, code="P1", name="P", institution_code="H1", title="attending",
                               specialty="cardiology")
    with pytest.raises(DomainError) as err:
        with write_session(engine) as s:
            registry.add_team_member(s, admin, policy=policy, institution_code="H1", specialty="cardiology", physician_code="P1",
                                     is_head=False, since=date(2024, 1, 1))
    assert err.value.reasons[0].article == "SZ-MD Art. 4"


ENROLLEE_HEADER = "id_number,card_number,name,scheme,supplementary,city_household,employment\n"


def _csv(tmp_path, body: str, name="e.csv"):
    p = tmp_path / name
    p.write_text(body, encoding="utf-8")
    return p


def test_import_all_or_nothing(engine, clerk, tmp_path):
    good1 = make_id_number(seq=201)
    good2 = make_id_number(seq=202)
    body = ENROLLEE_HEADER + (
        f"{good1},SZ2010001,王一,comprehensive,1,1,employed\n"
        f"440304196005170011,SZ2010002,王二,comprehensive,1,1,employed\n"  # bad check digit
        f"{good2},SZ2010003,王三,gold,1,1,employed\n"  # bad scheme
    )
    before = db_fingerprint(engine)
    with pytest.raises(ImportRefused) as err:
        if True:
            import_csv(engine, clerk, "enrollees", _csv(tmp_path, body))
    bad = err.value.report.bad
    assert [ln for ln, _ in bad] == [3, 4]
    assert "check digit" in bad[0][1].lower() and "scheme" in bad[1][1]
    assert db_fingerprint(engine) == before


def test_import_skip_bad_writes_good_rows(engine, clerk, tmp_path):
    good1 = make_id_number(seq=301)
    body = ENROLLEE_HEADER + f"{good1},SZ3010001,王一,comprehensive,yes,no,employed\nbad,SZ3010002,王二,migrant,0,0,employed\n"
    if True:
        rep = import_csv(engine, clerk, "enrollees", _csv(tmp_path, body), skip_bad=True)
    assert rep.written == 1 and [ln for ln, _ in rep.bad] == [3]
    with Session(engine) as s:
        assert s.exec(select(Enrollee).where(Enrollee.card_number == "SZ3010001")).one().supplementary is True


def test_import_refuses_unknown_columns(engine, clerk, tmp_path):
    body = "id_number,card_number,name,scheme,supplementary,city_household,employment,shoe_size\n"
    with pytest.raises(ImportRefused) as err:
        if True:
            import_csv(engine, clerk, "enrollees", _csv(tmp_path, body))
    assert "shoe_size" in err.value.report.bad[0][1]


def test_import_expenses_money_never_float(engine, clerk, build, tmp_path):
    e = build.enrollee()
    body = ("enrollee_id_number,occurred_at,amount_yuan,visit_kind\n"
            f"{e.id_number},2026-10-01T09:30,0.29,general_outpatient\n"
            f"{e.id_number},2026-10-01T10:30,12.345,general_outpatient\n")
    with pytest.raises(ImportRefused) as err:
        if True:
            import_csv(engine, clerk, "expenses", _csv(tmp_path, body))
    assert [ln for ln, _ in err.value.report.bad] == [3]
    if True:
        import_csv(engine, clerk, "expenses", _csv(tmp_path, body.rsplit("\n", 2)[0] + "\n"))
    with Session(engine) as s:
        assert s.execute(text("SELECT amount_fen FROM expense_record")).scalar_one() == 29


def test_roles_clerk_cannot_add_users(engine, clerk):
    with pytest.raises(PermissionDenied):
        with write_session(engine) as s:
            users.add_user(s, clerk, username="x", role="clerk")


def test_no_first_user_exception_db_init_records_the_first_admin(engine):
    """An empty caseworker table no longer lets the first comer in as admin
    (issue 9): `casedesk db init` records the first admin, audited."""
    with Session(engine) as s:
        with pytest.raises(PermissionDenied, match="db init"):
            actor_for(s, "alice")
    with write_session(engine) as s:
        users.add_first_admin(s, username="alice")
    with write_session(engine) as s:
        with pytest.raises(DomainError, match="already has caseworkers"):
            users.add_first_admin(s, username="mallory")
    with Session(engine) as s:
        assert actor_for(s, "alice").role == "admin"
        with pytest.raises(PermissionDenied, match="user add bob"):
            actor_for(s, "bob")
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "user.add")).one()
        assert (ev.actor, ev.seq) == ("alice", 1)


def test_the_last_admin_cannot_be_demoted_or_deactivated(engine):
    with write_session(engine) as s:
        a = users.add_first_admin(s, username="alice")
        boss = actor_for(s, "alice")
    for work in (lambda s: users.set_role(s, boss, username="alice", role="clerk", reason="x", expected_version=None),
                 lambda s: users.deactivate(s, boss, username="alice", reason="x", expected_version=None)):
        with pytest.raises(DomainError, match="last active admin"):
            with write_session(engine) as s:
                work(s)
    with write_session(engine) as s:
        users.add_user(s, boss, username="bea", role="admin", reason="second admin")
    with write_session(engine) as s:
        users.deactivate(s, boss, username="alice", reason="left", expected_version=None)
    with Session(engine) as s:
        assert not s.get(Caseworker, a.id).active


def test_deactivated_user_refused(engine, admin):
    with write_session(engine) as s:
        users.add_user(s, admin, username="carol", role="clerk")
    with write_session(engine) as s:
        users.deactivate(s, admin, username="carol", reason="left the branch", expected_version=None)
    with Session(engine) as s:
        with pytest.raises(PermissionDenied):
            actor_for(s, "carol")
        assert s.exec(select(Caseworker).where(Caseworker.username == "carol")).one().active is False
