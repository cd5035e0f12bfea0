"""Community health centre selection (SZ-MT Art. 4)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.errors import DomainError, PermissionDenied, StaleRecord
from core.models import AuditEvent, Enrollee, HealthCentreSelection
from core.services import health_centre
from tests.conftest import db_fingerprint

ON = date(2026, 3, 10)


@pytest.fixture
def chc(build):
    return build.institution(kind="community_health_centre", level=1, city="Shenzhen", name="Lianhua CHC")


@pytest.fixture
def chc2(build):
    return build.institution(kind="community_health_centre", level=1, city="Shenzhen", name="Xiangmihu CHC")


def select_(engine, actor, enrollee, inst, policy, *, applicant="employer", on=ON, **kw):
    with write_session(engine) as s:
        kw.setdefault("expected_version", None)  # tests of the version check pass one
        return health_centre.select_health_centre(s, actor, enrollee.id_number, inst.code, applicant=applicant,
                                                  on=on, policy=policy, **kw)


def refused(engine, fn, *, field: str) -> DomainError:
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as exc:
        fn()
    assert db_fingerprint(engine) == before, "a refusal changed the database"
    assert field in {r.field for r in exc.value.reasons}
    assert {r.article for r in exc.value.reasons} == {"SZ-MT Art. 4"}
    return exc.value


def test_sz_mt_art_4_comprehensive_refused(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="comprehensive", employer="ACME")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy), field="scheme")


@pytest.mark.parametrize("scheme", ["inpatient", "migrant"])
def test_sz_mt_art_4_inpatient_and_migrant_select(engine, clerk, policy, build, chc, scheme):
    e = build.enrollee(scheme=scheme, employment="employed", employer="ACME Ltd")
    sel = select_(engine, clerk, e, chc, policy)
    assert sel.applicant == "employer" and sel.applicant_name == "ACME Ltd" and sel.ended_on is None
    with read_session(engine) as s:
        assert s.get(Enrollee, e.id).health_centre_id == chc.id
        actions = [a.action for a in s.exec(select(AuditEvent).where(AuditEvent.enrollee_id == e.id))]
        assert sorted(actions) == ["enrollee.health_centre", "health_centre.select"]


def test_sz_mt_art_4_new_selection_ends_previous(engine, clerk, policy, build, chc, chc2):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    first = select_(engine, clerk, e, chc, policy, on=date(2026, 1, 5))
    second = select_(engine, clerk, e, chc2, policy, on=ON, reason="moved office")
    with read_session(engine) as s:
        assert s.get(HealthCentreSelection, first.id).ended_on == ON
        assert s.get(Enrollee, e.id).health_centre_id == chc2.id
        assert health_centre.current_selection(s, e.id).id == second.id
        assert [x.id for x in health_centre.selections_of(s, e.id)] == [second.id, first.id]
        ended = s.exec(select(AuditEvent).where(AuditEvent.action == "health_centre.end")).one()
        assert ended.reason == "moved office" and ended.article == "SZ-MT Art. 4"


def test_sz_mt_art_4_same_centre_again_refused(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    select_(engine, clerk, e, chc, policy, on=date(2026, 1, 5))
    refused(engine, lambda: select_(engine, clerk, e, chc, policy), field="institution")


def test_sz_mt_art_4_selection_before_current_refused(engine, clerk, policy, build, chc, chc2):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    select_(engine, clerk, e, chc, policy, on=ON)
    refused(engine, lambda: select_(engine, clerk, e, chc2, policy, on=date(2026, 3, 9)), field="on")
    select_(engine, clerk, e, chc2, policy, on=ON)


def test_sz_mt_art_4_hospital_is_not_a_health_centre(engine, clerk, policy, build):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    hosp = build.institution(kind="hospital", city="Shenzhen")
    refused(engine, lambda: select_(engine, clerk, e, hosp, policy), field="institution")


def test_sz_mt_art_4_centre_outside_the_city_refused(engine, clerk, policy, build):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    far = build.institution(kind="community_health_centre", city="Dongguan", level=1)
    err = refused(engine, lambda: select_(engine, clerk, e, far, policy), field="institution")
    assert "Dongguan" in err.reasons[0].message("en")


def test_sz_mt_art_4_zezhou_pack_city(engine, clerk, zz_policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    refused(engine, lambda: select_(engine, clerk, e, chc, zz_policy), field="institution")
    zz = build.institution(kind="community_health_centre", city="Zezhou", level=1)
    select_(engine, clerk, e, zz, zz_policy)


def test_sz_mt_art_4_employer_applies_for_employed(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy, applicant="self"), field="applicant")
    nameless = build.enrollee(scheme="inpatient", employment="employed", employer="")
    refused(engine, lambda: select_(engine, clerk, nameless, chc, policy), field="applicant_name")
    sel = select_(engine, clerk, nameless, chc, policy, applicant_name="Futian Logistics")
    assert sel.applicant_name == "Futian Logistics"


def test_sz_mt_art_4_migrant_worker_employer_applies(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="migrant", employment="other", employer="Building Co")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy, applicant="self"), field="applicant")
    assert select_(engine, clerk, e, chc, policy).applicant == "employer"


def test_sz_mt_art_4_village_applies_for_rural_urbanised(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="other", employer="")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy, applicant="village"), field="applicant_name")
    sel = select_(engine, clerk, e, chc, policy, applicant="village", applicant_name="Huanggang Joint-Stock Co.")
    assert sel.applicant == "village"


def test_sz_mt_art_4_others_apply_themselves(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="unemployed", employer="")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy, applicant="employer"), field="applicant")
    refused(engine, lambda: select_(engine, clerk, e, chc, policy, applicant="neighbour"), field="applicant")
    assert select_(engine, clerk, e, chc, policy, applicant="self").applicant == "self"


def test_sz_mt_art_4_stale_enrollee_version_refused(engine, clerk, policy, build, chc):
    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    with pytest.raises(StaleRecord):
        select_(engine, clerk, e, chc, policy, expected_version=e.version + 1)
    select_(engine, clerk, e, chc, policy, expected_version=e.version)


def test_sz_mt_art_4_unknown_role_refused(engine, policy, build, chc):
    from core.auth import Actor

    e = build.enrollee(scheme="inpatient", employment="employed", employer="ACME")
    with pytest.raises(PermissionDenied):
        select_(engine, Actor("ghost", "visitor"), e, chc, policy)


def test_candidate_centres(engine, policy, build, chc, chc2):
    build.institution(kind="community_health_centre", city="Dongguan")
    build.institution(kind="hospital", city="Shenzhen")
    build.institution(kind="community_health_centre", city="Shenzhen", active=False)
    with read_session(engine) as s:
        assert {i.code for i in health_centre.candidate_centres(s, policy=policy)} == {chc.code, chc2.code}
        assert [i.code for i in health_centre.candidate_centres(s, policy=policy, query="xiangmi")] == [chc2.code]
