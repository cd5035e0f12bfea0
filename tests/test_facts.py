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
