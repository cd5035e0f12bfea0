"""Facts that change, judged on their date (issue 13): each effective-dated
fact on the day before, of and after its change; the eligibility of a past
date uses that date's facts; returning home cancels the off-site filing
(SZ-MT Art. 9(3)); a signature is judged on the signer's title that day
(SZ-MD Art. 4)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.errors import DomainError, PermissionDenied
from core.models import AuditEvent, Enrollee, FactChange, OffsiteFiling
from core.services import changes, eligibility, offsite
from core.services.offsite import FilingForm
from tests.conftest import db_fingerprint
from tests.test_eligibility import World

TODAY = date(2026, 6, 1)
FROM = date(2026, 3, 1)
BEFORE, AFTER = FROM - timedelta(days=1), FROM + timedelta(days=1)


def _change(engine, actor, who, values, policy, on=FROM, reason="letter from the employer"):
    with write_session(engine) as s:
        return changes.change_enrollee(s, actor, who.id, values, on=on, reason=reason, policy=policy, today=TODAY)


def _on(engine, who, day):
    with read_session(engine) as s:
        return changes.facts_on(s, who.id, day)


# (field, value at registration, new value as typed, the typed new value)
ENROLLEE_CASES = [
    ("scheme", {"scheme": "comprehensive"}, "inpatient", "inpatient"),               # SZ-MT Art. 2
    ("supplementary", {"supplementary": True}, "no", False),                          # SZ-MD Art. 3
    ("city_household", {"city_household": False}, "yes", True),                      # SZ-MT Art. 9
    ("employment", {"employment": "employed"}, "retired_city_pension", "retired_city_pension"),  # SZ-MT Art. 9
    ("employer", {"employer": "Metro"}, "Port Authority", "Port Authority"),          # SZ-MT Art. 4
    ("disabled_grade", {"disabled_grade": None}, "3", 3),                             # SZ-MT Art. 16
    ("stationed_elsewhere", {"stationed_elsewhere": False}, "true", True),            # SZ-MT Art. 9
    ("stationed_city", {"stationed_city": ""}, "Wuhan", "Wuhan"),                      # SZ-MT Art. 9
    ("residence_city", {"residence_city": "Shenzhen"}, "Wuhan", "Wuhan"),              # SZ-MT Art. 9
    ("residence_province", {"residence_province": ""}, "Hubei", "Hubei"),              # SZ-MT Art. 9
    ("residence_mainland", {"residence_mainland": True}, "no", False),                # SZ-MD Art. 5
]


@pytest.mark.parametrize("field,start,typed,value", ENROLLEE_CASES, ids=[c[0] for c in ENROLLEE_CASES])
def test_each_enrollee_fact_before_on_and_after_its_change(engine, build, clerk, policy, field, start, typed, value):
    who = build.enrollee(**start)
    old = start[field]
    _change(engine, clerk, who, {field: typed}, policy)
    assert getattr(_on(engine, who, BEFORE), field) == old
    assert getattr(_on(engine, who, FROM), field) == value
    assert getattr(_on(engine, who, AFTER), field) == value
    with read_session(engine) as s:
        row = s.get(Enrollee, who.id)
        assert getattr(row, field) == value  # the row shows today's value
        fc = s.exec(select(FactChange).where(FactChange.entity_id == who.id)).one()
        assert (fc.field, fc.effective_from, fc.reason) == (field, FROM, "letter from the employer")
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "enrollee.change")).all()
        assert {e.entity for e in events} == {"fact_change", "enrollee"}
        assert all(e.article and e.reason == "letter from the employer" for e in events)


def test_sz_mt_art_16_disabled_grade_outside_the_packs_range_is_refused(engine, build, clerk, policy):
    who = build.enrollee()
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as err:
        _change(engine, clerk, who, {"disabled_grade": str(policy.enrolment.disabled_grade_max + 1)}, policy)
    (r,) = err.value.reasons
    assert (r.field, r.article) == ("disabled_grade", "SZ-MT Art. 16")
    assert db_fingerprint(engine) == before


def test_a_change_is_refused_without_reason_in_the_future_twice_a_day_or_unchanged(engine, build, clerk, policy):
    who = build.enrollee(scheme="comprehensive")
    with pytest.raises(DomainError) as err:
        _change(engine, clerk, who, {"scheme": "inpatient"}, policy, on=TODAY + timedelta(days=1), reason=" ")
    assert {r.field for r in err.value.reasons} == {"from", "reason"}
    with pytest.raises(DomainError) as err:
        _change(engine, clerk, who, {"scheme": "comprehensive"}, policy)
    assert [r.field for r in err.value.reasons] == ["value"]
    with pytest.raises(DomainError) as err:
        _change(engine, clerk, who, {"scheme": "sometimes"}, policy)
    assert [(r.field, r.article) for r in err.value.reasons] == [("scheme", "SZ-MT Art. 2")]
    _change(engine, clerk, who, {"scheme": "inpatient"}, policy)
    with pytest.raises(DomainError) as err:
        _change(engine, clerk, who, {"scheme": "migrant"}, policy)
    assert [r.field for r in err.value.reasons] == ["from"]


def test_a_back_dated_change_keeps_the_later_one_and_today(engine, build, clerk, policy):
    """A change recorded late, dated before an earlier-recorded one: each date
    reads its own value and the row keeps the latest."""
    who = build.enrollee(scheme="comprehensive")
    _change(engine, clerk, who, {"scheme": "inpatient"}, policy, on=date(2026, 4, 1))
    _change(engine, clerk, who, {"scheme": "migrant"}, policy, on=date(2026, 2, 1))
    assert _on(engine, who, date(2026, 1, 31)).scheme == "comprehensive"
    assert _on(engine, who, date(2026, 2, 1)).scheme == "migrant"
    assert _on(engine, who, date(2026, 3, 31)).scheme == "migrant"
    assert _on(engine, who, date(2026, 4, 1)).scheme == "inpatient"
    with read_session(engine) as s:
        assert s.get(Enrollee, who.id).scheme == "inpatient"


def test_sz_md_art_3_eligibility_of_a_past_date_uses_that_dates_scheme(engine, build, clerk, policy):
    """Category I is open to comprehensive enrollees only (SZ-MD Art. 3): a
    check for the day before the change to inpatient is entitled, the day of
    it and after are not."""
    w = World(engine, build, policy)
    who = build.enrollee(scheme="comprehensive")
    w.cert(who, "MD-I-01", valid_from=date(2025, 6, 1), valid_until=date(2027, 5, 31))
    _change(engine, clerk, who, {"scheme": "inpatient"}, policy)

    def check(day):
        with read_session(engine) as s:
            return eligibility.check(s, who.id, "MD-I-01", on=day, policy=policy)

    assert check(BEFORE).entitled
    for day in (FROM, AFTER):
        res = check(day)
        assert not res.entitled
        assert any(r.field == "scheme" and r.article == "SZ-MD Art. 3" for r in res.refusals)


def test_clerk_role_is_needed(engine, build, policy):
    from core.auth import Actor

    who = build.enrollee()
    with pytest.raises(PermissionDenied):
        _change(engine, Actor("nobody", "viewer", ""), who, {"scheme": "inpatient"}, policy)


# --------------------------------------------------------------------------- retirement and return


def test_sz_mt_art_9_retirement_with_city_pension_opens_the_retired_basis_from_its_date(engine, build, clerk, policy):
    from core.rules.offsite import ApplicantFacts, filing_basis

    who = build.enrollee(employment="employed", city_household=False)
    with write_session(engine) as s:
        changes.retire(s, clerk, who.id, city_pension=True, on=FROM, reason="pension granted", policy=policy,
                       today=TODAY)

    def basis(day):
        f = _on(engine, who, day)
        return filing_basis(ApplicantFacts(f.city_household, f.stationed_elsewhere, f.employment))

    assert (basis(BEFORE), basis(FROM), basis(AFTER)) == (None, "retired", "retired")


PLACE = "Wuhan"


def _stationed_with_filing(engine, build, clerk, policy, filed_on=date(2026, 1, 5)):
    insts = [build.institution(city=PLACE, level=lvl, public=True, designated=True, kind=kind)
             for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"))]
    who = build.enrollee(city_household=True, stationed_elsewhere=True, stationed_city=PLACE, residence_city=PLACE)
    codes = tuple(i.code for i in insts)
    form = FilingForm(place_city=PLACE, institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                      local_ss_stamp=True, filed_by="self")
    with write_session(engine) as s:
        filing = offsite.file_filing(s, clerk, who.id, form, on=filed_on, policy=policy, today=TODAY)
    return who, filing


def test_sz_mt_art_9_3_returning_home_cancels_the_filing_in_the_same_transaction(engine, build, clerk, policy):
    who, filing = _stationed_with_filing(engine, build, clerk, policy)
    with write_session(engine) as s:
        written, cancelled = changes.return_home(s, clerk, who.id, on=FROM, reason="back to work at head office",
                                                 policy=policy, today=TODAY)
    assert cancelled is not None and cancelled.id == filing.id
    with read_session(engine) as s:
        f = s.get(OffsiteFiling, filing.id)
        assert (f.status, f.cancelled_on, f.cancel_reason) == ("cancelled", FROM, "back to work at head office")
        ev = s.exec(select(AuditEvent).where(AuditEvent.action == "offsite.return")).one()
        assert ev.article == "SZ-MT Art. 9" and json.loads(ev.after)["status"] == "cancelled"
        assert offsite.active_filing(s, who.id) is None
    before, of = _on(engine, who, BEFORE), _on(engine, who, FROM)
    assert (before.stationed_elsewhere, before.residence_city) == (True, PLACE)
    assert (of.stationed_elsewhere, of.stationed_city, of.residence_city) == (False, "", policy.pack.city)


def test_sz_mt_art_9_3_return_before_the_filing_date_changes_nothing(engine, build, clerk, policy):
    who, _filing = _stationed_with_filing(engine, build, clerk, policy, filed_on=date(2026, 4, 1))
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as err:
        with write_session(engine) as s:
            changes.return_home(s, clerk, who.id, on=FROM, reason="back", policy=policy, today=TODAY)
    assert any(r.article == "SZ-MT Art. 9" for r in err.value.reasons)
    assert db_fingerprint(engine) == before


def test_return_home_of_someone_at_home_is_refused(engine, build, clerk, policy):
    who = build.enrollee(residence_city=policy.pack.city)
    with pytest.raises(DomainError) as err:
        with write_session(engine) as s:
            changes.return_home(s, clerk, who.id, on=FROM, reason="back", policy=policy, today=TODAY)
    assert [r.article for r in err.value.reasons] == ["SZ-MT Art. 9"]


# --------------------------------------------------------------------------- physicians and institutions


@pytest.fixture
def cw(engine, build, policy, clerk, reviewer):
    from certificate_world import make_world

    return make_world(engine, build, policy, clerk, reviewer)


def _sign_on(cw, day):
    cert = cw.draft(day)
    return cw.sign(cert, day)


def test_sz_md_art_4_a_signature_is_judged_on_the_signers_title_on_the_signing_day(engine, cw, clerk, policy):
    """The team head drops to attending from FROM: signing the day before is
    accepted, on the day and after refused for the title (SZ-MD Art. 4)."""
    with write_session(engine) as s:
        changes.change_physician(s, clerk, cw.head.code, {"title": "attending"}, on=FROM, reason="title corrected",
                                 policy=policy, today=TODAY)
    assert _sign_on(cw, BEFORE).status == "signed"
    for day in (FROM, AFTER):
        cert = cw.draft(day, enrollee=cw.build.enrollee())
        with pytest.raises(DomainError) as err:
            cw.sign(cert, day)
        assert any(r.field == "signer" and r.article == "SZ-MD Art. 4" and cw.head.code in r.message()
                   for r in err.value.reasons)


def test_sz_md_art_4_a_physician_who_left_may_not_sign_from_that_day(engine, cw, clerk, policy):
    with write_session(engine) as s:
        changes.change_physician(s, clerk, cw.member.code, {"active": "no"}, on=FROM, reason="left the hospital",
                                 policy=policy, today=TODAY)
    with read_session(engine) as s:
        assert changes.physician_on(s, cw.member.id, BEFORE).active
        assert not changes.physician_on(s, cw.member.id, FROM).active
        assert not changes.physician_on(s, cw.member.id, AFTER).active
    assert _sign_on(cw, BEFORE).status == "signed"
    cert = cw.draft(FROM, enrollee=cw.build.enrollee())
    with pytest.raises(DomainError):
        cw.sign(cert, FROM)


def test_sz_md_art_4_a_de_designated_hospital_may_not_draft_from_that_day(engine, cw, clerk, policy):
    with write_session(engine) as s:
        changes.change_institution(s, clerk, cw.hospital.code, {"diagnostic_hospital": "no"}, on=FROM,
                                   reason="no longer a diagnostic hospital", policy=policy, today=TODAY)
    assert cw.draft(BEFORE).status == "draft"
    for day in (FROM, AFTER):
        with pytest.raises(DomainError) as err:
            cw.draft(day, enrollee=cw.build.enrollee())
        assert any(r.field == "institution_id" and r.article == "SZ-MD Art. 4" for r in err.value.reasons)


def test_sz_md_art_5_dialysis_centre_status_is_judged_on_the_treatment_day(engine, build, clerk, policy):
    """Haemodialysis is paid only at designated dialysis centres (SZ-MD Art. 5):
    the centre loses its status from FROM."""
    w = World(engine, build, policy)
    centre = build.institution(kind="dialysis_centre", dialysis_centre=True, diagnostic_hospital=False)
    who = build.enrollee()
    w.cert(who, "MD-II-01", valid_from=date(2025, 6, 1), valid_until=None)
    with write_session(engine) as s:
        changes.change_institution(s, clerk, centre.code, {"dialysis_centre": "no"}, on=FROM,
                                   reason="status withdrawn", policy=policy, today=TODAY)

    def check(day):
        with read_session(engine) as s:
            return eligibility.check(s, who.id, "MD-II-01", on=day, policy=policy, institution_code=centre.code)

    assert check(BEFORE).entitled
    assert not check(FROM).entitled and not check(AFTER).entitled
    assert any(r.article == "SZ-MD Art. 5" for r in check(FROM).refusals)


# --------------------------------------------------------------------------- hospital stays


def test_zz_4_no_chronic_outpatient_benefit_while_hospitalised(engine, build, clerk, zz_policy):
    """ZZ §4: admitted on FROM, discharged 10 days later: the day before is
    paid, the admission day and the stay are not, the discharge day is again."""
    from core.services import stays

    w = World(engine, build, zz_policy)
    code = zz_policy.diseases[0].code
    who = build.enrollee(city_household=True)
    w.cert(who, code, valid_from=date(2025, 6, 1), valid_until=date(2027, 5, 31))
    out = FROM + timedelta(days=10)
    with write_session(engine) as s:
        stays.admit(s, clerk, who.id, on=FROM, policy=zz_policy, reason="ward 3", today=TODAY)

    def paid(day):
        with read_session(engine) as s:
            res = eligibility.check(s, who.id, code, on=day, policy=zz_policy)
        return res.entitled, [r.article for r in res.refusals if r.field == "hospitalisation"]

    assert paid(BEFORE) == (True, [])
    assert paid(FROM) == (False, ["ZZ §4"]) and paid(AFTER) == (False, ["ZZ §4"])
    with write_session(engine) as s:
        stays.discharge(s, clerk, who.id, on=out, policy=zz_policy, today=TODAY)
    assert paid(out - timedelta(days=1))[0] is False
    assert paid(out) == (True, [])


def test_stays_never_overlap_and_a_discharge_needs_an_open_stay(engine, build, clerk, zz_policy):
    from core.services import stays

    who = build.enrollee()
    with write_session(engine) as s:
        stays.record_stay(s, clerk, who.id, admitted_on=date(2026, 2, 1), discharged_on=date(2026, 2, 10),
                          policy=zz_policy, today=TODAY)
    before = db_fingerprint(engine)
    for admitted, discharged in ((date(2026, 2, 5), None), (date(2026, 1, 20), date(2026, 2, 2)),
                                 (date(2026, 2, 1), date(2026, 2, 1)), (TODAY + timedelta(days=1), None)):
        with pytest.raises(DomainError) as err:
            with write_session(engine) as s:
                stays.record_stay(s, clerk, who.id, admitted_on=admitted, discharged_on=discharged,
                                  policy=zz_policy, today=TODAY)
        assert all(r.article == "ZZ §4" for r in err.value.reasons)
    with pytest.raises(DomainError):
        with write_session(engine) as s:
            stays.discharge(s, clerk, who.id, on=date(2026, 3, 1), policy=zz_policy, today=TODAY)
    assert db_fingerprint(engine) == before
    with write_session(engine) as s:  # the discharge day of one stay may be the admission day of the next
        stays.record_stay(s, clerk, who.id, admitted_on=date(2026, 2, 10), policy=zz_policy, today=TODAY)


# --------------------------------------------------------------------------- import


def test_import_of_changes_is_all_or_nothing(engine, build, clerk, policy, tmp_path):
    from core.services.importer import ImportRefused, import_csv

    a, b = build.enrollee(scheme="comprehensive"), build.enrollee(employment="employed")
    bad = tmp_path / "bad.csv"
    bad.write_text("enrollee_id_number,field,value,from,reason\n"
                   f"{a.id_number},scheme,inpatient,2026-03-01,employer letter\n"
                   f"{b.id_number},disabled_grade,9,2026-03-01,certificate\n", encoding="utf-8")
    before = db_fingerprint(engine)
    with pytest.raises(ImportRefused) as err:
        import_csv(engine, clerk, "changes", bad, today=TODAY, policy=policy)
    assert [ln for ln, _r in err.value.report.bad] == [3] and "SZ-MT Art. 16" in err.value.report.bad[0][1]
    assert db_fingerprint(engine) == before
    good = tmp_path / "good.csv"
    good.write_text("enrollee_id_number,field,value,from,reason\n"
                    f"{a.id_number},scheme,inpatient,2026-03-01,employer letter\n"
                    f"{b.id_number},employment,retired_city_pension,2026-04-01,pension granted\n", encoding="utf-8")
    assert import_csv(engine, clerk, "changes", good, today=TODAY, policy=policy).written == 2
    assert (_on(engine, a, BEFORE).scheme, _on(engine, a, FROM).scheme) == ("comprehensive", "inpatient")
    assert _on(engine, b, date(2026, 4, 1)).employment == "retired_city_pension"
    with read_session(engine) as s:
        assert {c.source for c in s.exec(select(FactChange))} == {"import"}


def test_import_of_an_institutions_stays(engine, build, clerk, zz_policy, tmp_path):
    from core.models import Hospitalisation
    from core.services.importer import ImportRefused, import_csv

    who = build.enrollee()
    hosp = build.institution()
    f = tmp_path / "stays.csv"
    f.write_text("enrollee_id_number,admitted_on,discharged_on,institution_code\n"
                 f"{who.id_number},2026-02-01,2026-02-10,{hosp.code}\n"
                 f"{who.id_number},2026-02-05,,{hosp.code}\n", encoding="utf-8")
    before = db_fingerprint(engine)
    with pytest.raises(ImportRefused):  # the second overlaps the first: nothing is written
        import_csv(engine, clerk, "stays", f, today=TODAY, policy=zz_policy)
    assert db_fingerprint(engine) == before
    f.write_text("enrollee_id_number,admitted_on,discharged_on,institution_code\n"
                 f"{who.id_number},2026-02-01,2026-02-10,{hosp.code}\n"
                 f"{who.id_number},2026-03-05,,{hosp.code}\n", encoding="utf-8")
    assert import_csv(engine, clerk, "stays", f, today=TODAY, policy=zz_policy).written == 2
    with read_session(engine) as s:
        rows = s.exec(select(Hospitalisation).where(Hospitalisation.enrollee_id == who.id)).all()
        assert sorted((h.admitted_on, h.discharged_on, h.source) for h in rows) == [
            (date(2026, 2, 1), date(2026, 2, 10), "import"), (date(2026, 3, 5), None, "import")]
