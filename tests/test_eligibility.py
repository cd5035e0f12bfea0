"""Eligibility and benefit estimates (SZ-MD Art. 3-7, 10, 12; SZ-MT Art. 14; ZZ §4).

Each condition is checked both ways against a real SQLite file. Estimate
figures are computed here by hand from numbers the test sets on the pack.
"""

from __future__ import annotations

import itertools
import json
from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from core.db import read_session, write_session
from core.models import Certificate, Hospitalisation
from core.policy import AverageWage, Policy
from core.rules.eligibility import (
    EligibilityFacts,
    EnrolleeFacts,
    Spend,
    evaluate,
    insurance_year,
    percent_of,
)
from core.services import eligibility, offsite
from core.services.offsite import FilingForm
from tests.conftest import db_fingerprint

ON = date(2026, 3, 10)
_n = itertools.count(1)


# --------------------------------------------------------------------------- helpers


class World:
    """Master data and certificates for eligibility tests."""

    def __init__(self, engine, build, policy):
        self.engine = engine
        self.build = build
        self.policy = policy
        self.hospital = build.institution(city=policy.pack.city)
        self.doctor = build.physician(self.hospital)

    def cert(self, enrollee, code: str, *, valid_from: date = date(2025, 1, 1), valid_until: date | None = date(2026, 12, 31),
             status: str = "confirmed", organ: str | None = None) -> Certificate:
        n = next(_n)
        disease = self.policy.disease(code)
        c = Certificate(
            number=f"C{n:06d}", enrollee_id=enrollee.id, disease_code=code, organ=organ,
            category=disease.category if disease else 1, policy_pack=self.policy.id, status=status,
            institution_id=self.hospital.id, physician_id=self.doctor.id, drafted_on=valid_from,
            drafted_by="clerk1", valid_from=valid_from if status == "confirmed" else None,
            valid_until=valid_until if status == "confirmed" else None,
            confirmed_on=valid_from if status == "confirmed" else None,
        )
        with write_session(self.engine) as s:
            s.add(c)
        return c

    def check(self, enrollee, code: str, *, on: date = ON, policy=None, **kw):
        with read_session(self.engine) as s:
            return eligibility.check(s, enrollee.id_number, code, on=on, policy=policy or self.policy, **kw)


@pytest.fixture
def world(engine, build, policy):
    return World(engine, build, policy)


@pytest.fixture
def zz_world(engine, build, zz_policy):
    return World(engine, build, zz_policy)


def reason(result, field: str):
    found = [r for r in result.reasons if r.field == field]
    assert found, f"no reason on {field}: {[str(r) for r in result.reasons]}"
    return found[0]


def refusal(result, field: str):
    found = [r for r in result.refusals if r.field == field]
    assert found, f"no refusal on {field}: {[str(r) for r in result.reasons]}"
    return found[0]


def wage_policy(policy, *, wage_year: int = 2025, wage: str = "123456.78", **params):
    """The loaded pack with the test's own average wage and formula parameters."""
    b = policy.benefits
    own = {k: params.pop(k) for k in list(params) if k in type(b).model_fields}
    return policy.model_copy(update={
        "average_wage": [AverageWage(year=wage_year, yuan=Decimal(wage))],
        "benefits": b.model_copy(update={**own, "params": b.params.model_copy(update=params)}),
    })


# --------------------------------------------------------------------------- SZ-MD Art. 3: scheme


def test_sz_md_art_3_category_1_comprehensive_accepted(world, build):
    e = build.enrollee(scheme="comprehensive")
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09")
    assert r.entitled
    scheme = reason(r, "scheme")
    assert scheme.ok and scheme.article == "SZ-MD Art. 3"
    assert all(x.ok for x in r.reasons)
    assert r.settlement == "bookkeeping"


@pytest.mark.parametrize("scheme", ["inpatient", "migrant"])
def test_sz_md_art_3_category_1_other_schemes_refused(world, build, scheme):
    e = build.enrollee(scheme=scheme)
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09")
    assert not r.entitled
    ref = refusal(r, "scheme")
    assert ref.article == "SZ-MD Art. 3"
    assert scheme in ref.message("en")
    assert r.settlement is None
    # the other reasons are still shown, satisfied ones as ok
    assert reason(r, "certificate").ok


def test_sz_md_art_3_category_2_inpatient_accepted(world, build):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-II-03")
    assert world.check(e, "MD-II-03").entitled


# --------------------------------------------------------------------------- SZ-MD Art. 4, 12: certificate


def test_sz_md_art_4_no_certificate_refused(world, build):
    e = build.enrollee()
    r = world.check(e, "MD-I-09")
    assert not r.entitled
    assert refusal(r, "certificate").article == "SZ-MD Art. 4"


def test_sz_md_art_4_unconfirmed_certificate_refused(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09", status="sealed")
    r = world.check(e, "MD-I-09")
    assert not r.entitled
    ref = refusal(r, "certificate")
    assert ref.article == "SZ-MD Art. 4" and "sealed" in ref.message("en")


def test_sz_md_art_4_certificate_of_other_disease_does_not_count(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-01")
    assert not world.check(e, "MD-I-09").entitled


def test_sz_md_art_12_last_valid_day_accepted(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09", valid_from=date(2024, 6, 1), valid_until=date(2026, 5, 31))
    r = world.check(e, "MD-I-09", on=date(2026, 5, 31))
    assert r.entitled
    assert r.period.start == date(2024, 6, 1) and r.period.end == date(2026, 5, 31)


def test_sz_md_art_12_day_after_valid_until_refused(world, build):
    e = build.enrollee()
    c = world.cert(e, "MD-I-09", valid_from=date(2024, 6, 1), valid_until=date(2026, 5, 31))
    r = world.check(e, "MD-I-09", on=date(2026, 6, 1))
    assert not r.entitled
    ref = refusal(r, "certificate")
    assert ref.article == "SZ-MD Art. 12"
    assert c.number in ref.message("en") and "2026-05-31" in ref.message("en")
    assert r.period is None


def test_sz_md_art_4_before_valid_from_refused(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09", valid_from=date(2026, 3, 11))
    assert not world.check(e, "MD-I-09", on=date(2026, 3, 10)).entitled
    assert world.check(e, "MD-I-09", on=date(2026, 3, 11)).entitled


def test_sz_md_art_12_category_2_without_end_accepted(world, build):
    e = build.enrollee(scheme="migrant")
    world.cert(e, "MD-II-03", valid_until=None)
    r = world.check(e, "MD-II-03", on=date(2040, 1, 1))
    assert r.entitled and r.period.end is None


# --------------------------------------------------------------------------- SZ-MD Art. 2, 3: transplant organ


def test_sz_md_art_3_heart_transplant_without_supplementary_refused(world, build):
    e = build.enrollee(scheme="inpatient", supplementary=False)
    world.cert(e, "MD-II-02", organ="heart")
    r = world.check(e, "MD-II-02")
    assert not r.entitled
    assert refusal(r, "organ").article == "SZ-MD Art. 3"


def test_sz_md_art_3_heart_transplant_with_supplementary_accepted(world, build):
    e = build.enrollee(scheme="comprehensive", supplementary=True)
    world.cert(e, "MD-II-02", organ="heart")
    r = world.check(e, "MD-II-02")
    assert r.entitled and reason(r, "organ").ok


def test_sz_md_art_2_kidney_transplant_without_supplementary_accepted(world, build):
    e = build.enrollee(scheme="migrant", supplementary=False)
    world.cert(e, "MD-II-02", organ="kidney")
    r = world.check(e, "MD-II-02")
    assert r.entitled and reason(r, "organ").article == "SZ-MD Art. 2"


def test_sz_md_art_2_organ_outside_scope_refused(world, build):
    e = build.enrollee()
    world.cert(e, "MD-II-02", organ="lung")
    assert refusal(world.check(e, "MD-II-02"), "organ").article == "SZ-MD Art. 2"


# --------------------------------------------------------------------------- SZ-MD Art. 5: where treatment is paid


def test_sz_md_art_5_designated_institution_in_city_accepted(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    inst = build.institution(kind="clinic", city="Shenzhen", designated=True)
    r = world.check(e, "MD-I-09", institution_code=inst.code)
    assert r.entitled and reason(r, "institution").article == "SZ-MD Art. 5"


def test_sz_mt_art_5_undesignated_institution_in_city_refused(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    inst = build.institution(kind="clinic", city="Shenzhen", designated=False)
    r = world.check(e, "MD-I-09", institution_code=inst.code)
    assert not r.entitled and refusal(r, "institution").article == "SZ-MT Art. 5"


def _stationed_with_filing(world, build, filed_on: date):
    e = build.enrollee(stationed_elsewhere=True, residence_city="Wuhan")
    world.cert(e, "MD-I-09")
    insts = [build.institution(city="Wuhan", level=2, public=True, designated=True) for _ in range(4)]
    codes = tuple(i.code for i in insts[:3])
    form = FilingForm(place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                      local_ss_stamp=True, filed_by="self")
    from core.auth import Actor
    from core.models import Caseworker

    with write_session(world.engine) as s:
        s.add(Caseworker(username="filer", role="clerk"))
    with write_session(world.engine) as s:
        f = offsite.file_filing(s, Actor("filer", "clerk"), e.id, form, on=filed_on, policy=world.policy)
    return e, insts, f


def test_sz_md_art_5_offsite_filed_institution_accepted(world, build):
    e, insts, f = _stationed_with_filing(world, build, date(2026, 2, 1))
    r = world.check(e, "MD-I-09", institution_code=insts[1].code)
    assert r.entitled
    assert f.voucher_number in reason(r, "institution").message("en")
    assert r.settlement == "cash"
    assert reason(r, "settlement").article == "SZ-MD Art. 10"


def test_sz_md_art_5_offsite_fourth_institution_refused(world, build):
    e, insts, _ = _stationed_with_filing(world, build, date(2026, 2, 1))
    r = world.check(e, "MD-I-09", institution_code=insts[3].code)
    assert not r.entitled
    assert refusal(r, "institution").article == "SZ-MD Art. 5"


def test_sz_mt_art_9_costs_before_filed_on_refused(world, build):
    e, insts, _ = _stationed_with_filing(world, build, date(2026, 3, 11))
    r = world.check(e, "MD-I-09", on=date(2026, 3, 10), institution_code=insts[0].code)
    assert not r.entitled
    ref = refusal(r, "on")
    assert ref.article == "SZ-MT Art. 9" and "2026-03-11" in ref.message("en")
    assert world.check(e, "MD-I-09", on=date(2026, 3, 11), institution_code=insts[0].code).entitled


def test_sz_mt_art_9_cancelled_filing_no_longer_pays(world, build):
    e, insts, f = _stationed_with_filing(world, build, date(2026, 1, 5))
    from core.auth import Actor

    with write_session(world.engine) as s:
        offsite.cancel_filing(s, Actor("filer", "clerk"), f.id, on=date(2026, 3, 1), reason="returned to Shenzhen",
                              policy=world.policy)
    assert world.check(e, "MD-I-09", on=date(2026, 2, 28), institution_code=insts[0].code).entitled
    assert not world.check(e, "MD-I-09", on=date(2026, 3, 1), institution_code=insts[0].code).entitled


def test_sz_md_art_5_offsite_category_2_only_in_emergency(world, build):
    e, insts, _ = _stationed_with_filing(world, build, date(2026, 1, 5))
    world.cert(e, "MD-II-03")
    assert not world.check(e, "MD-II-03", institution_code=insts[0].code).entitled
    assert world.check(e, "MD-II-03", institution_code=insts[0].code, emergency=True).entitled


def test_sz_md_art_5_out_of_town_without_filing_refused(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    inst = build.institution(city="Guangzhou")
    r = world.check(e, "MD-I-09", institution_code=inst.code)
    assert not r.entitled and refusal(r, "institution").article == "SZ-MD Art. 5"


def test_sz_md_art_5_emergency_out_of_town_accepted(world, build):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    inst = build.institution(city="Guangzhou", designated=False)
    r = world.check(e, "MD-I-09", institution_code=inst.code, emergency=True)
    assert r.entitled
    assert reason(r, "emergency").article == "SZ-MD Art. 5"
    assert r.settlement == "cash" and reason(r, "settlement").article == "SZ-MD Art. 10"


def test_sz_md_art_5_haemodialysis_at_non_dialysis_centre_refused(world, build):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-II-01")
    inst = build.institution(city="Shenzhen", dialysis_centre=False)
    r = world.check(e, "MD-II-01", institution_code=inst.code)
    assert not r.entitled
    ref = refusal(r, "institution")
    assert ref.article == "SZ-MD Art. 5" and "dialysis" in ref.message("en")


def test_sz_md_art_5_haemodialysis_at_dialysis_centre_accepted(world, build):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-II-01")
    inst = build.institution(city="Shenzhen", kind="dialysis_centre", dialysis_centre=True)
    r = world.check(e, "MD-II-01", institution_code=inst.code)
    assert r.entitled and r.settlement == "bookkeeping"


def test_sz_md_art_10_peritoneal_dialysis_cash(world, build):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-II-01")
    inst = build.institution(city="Shenzhen", dialysis_centre=False)
    r = world.check(e, "MD-II-01", institution_code=inst.code, peritoneal_dialysis=True)
    assert r.entitled and r.settlement == "cash"


def test_sz_md_art_10_tumour_therapy_cash(world, build):
    e = build.enrollee()
    world.cert(e, "MD-II-03")
    r = world.check(e, "MD-II-03")
    assert r.entitled and r.settlement == "cash"
    assert reason(r, "settlement").article == "SZ-MD Art. 10"


# --------------------------------------------------------------------------- SZ-MT Art. 14: suspended account


def test_sz_mt_art_14_suspended_account_entitled_with_cash_settlement(world, build):
    e = build.enrollee(account_state="suspended", account_state_since=date(2026, 2, 2))
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09")
    assert r.entitled
    acct = reason(r, "account_state")
    assert acct.ok and acct.article == "SZ-MT Art. 14" and "2026-02-02" in acct.message("en")
    assert r.settlement == "cash"


def test_sz_md_art_9_normal_account_bookkeeping(world, build):
    e = build.enrollee(account_state="normal")
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09")
    assert r.settlement == "bookkeeping" and reason(r, "account_state").article == "SZ-MD Art. 9"


# --------------------------------------------------------------------------- SZ-MD Art. 6: Category I estimate


# wage 123,456.78 yuan = 12,345,678 fen; 5% = 617,283.9 -> 617,284 fen (half up)
THRESHOLD = 617_284


def test_sz_md_art_6_threshold_half_up():
    assert percent_of(12_345_678, 5) == THRESHOLD
    assert percent_of(1015, 70) == 711  # 710.5 -> 711 (half up, not half even)
    assert percent_of(1, 70) == 1  # 0.7 -> 1


def test_sz_md_art_6_spend_at_threshold_nothing_pooled(world, build, policy):
    pol = wage_policy(policy)
    e = build.enrollee(individual_account_fen=0)
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09", policy=pol, spent_fen=THRESHOLD)
    est = r.what_if
    assert est.complete and est.threshold_fen == THRESHOLD
    assert est.share("individual_account") == 0
    assert est.share("basic_pooling") == 0
    assert est.share("supplementary_pooling") == 0
    assert est.share("enrollee") == THRESHOLD
    assert est.period.start == date(2026, 1, 1) and est.period.end == date(2026, 12, 31)


def test_sz_md_art_6_one_fen_above_threshold_pooled(world, build, policy):
    pol = wage_policy(policy)
    e = build.enrollee(individual_account_fen=0)
    world.cert(e, "MD-I-09")
    est = world.check(e, "MD-I-09", policy=pol, spent_fen=THRESHOLD + 1).what_if
    assert est.share("basic_pooling") == 1  # 70% of 1 fen = 0.7 -> 1
    assert est.share("enrollee") == THRESHOLD
    est = world.check(e, "MD-I-09", policy=pol, spent_fen=THRESHOLD + 1015).what_if
    assert est.share("basic_pooling") == 711
    assert est.share("enrollee") == THRESHOLD + 1015 - 711
    assert est.used_fen == 711


def test_sz_md_art_6_individual_account_first(world, build, policy):
    pol = wage_policy(policy)
    e = build.enrollee(individual_account_fen=200_000)
    world.cert(e, "MD-I-09")
    est = world.check(e, "MD-I-09", policy=pol, spent_fen=700_000).what_if
    pooled = 700_000 - THRESHOLD  # 82,716
    assert est.share("individual_account") == 200_000
    assert est.share("basic_pooling") == 57_901  # 57,901.2
    assert est.share("enrollee") == 700_000 - 200_000 - 57_901
    assert pooled == 82_716
    # account larger than the threshold: pooling starts where the account ends
    e2 = build.enrollee(individual_account_fen=700_000)
    world.cert(e2, "MD-I-09")
    est2 = world.check(e2, "MD-I-09", policy=pol, spent_fen=800_000).what_if
    assert (est2.share("individual_account"), est2.share("basic_pooling"), est2.share("enrollee")) == (700_000, 70_000, 30_000)


def test_sz_md_art_6_supplementary_part_pooled_at_its_own_rate(world, build, policy):
    pol = wage_policy(policy, cat1_supplementary_pooling_pct=Decimal(60))
    e = build.enrollee(individual_account_fen=0, supplementary=True)
    world.cert(e, "MD-I-09")
    est = world.check(e, "MD-I-09", policy=pol, spent_fen=600_000, spent_supplementary_fen=100_000).what_if
    # pooled 82,716 split 6:1 -> 70,899.43 -> 70,899 basic, 11,817 supplementary
    assert est.share("basic_pooling") == 49_629  # 70% of 70,899 = 49,629.3
    assert est.share("supplementary_pooling") == 7_090  # 60% of 11,817 = 7,090.2
    assert est.share("enrollee") == 700_000 - 49_629 - 7_090
    assert sum(s.fen for s in est.shares) == 700_000
    e2 = build.enrollee(individual_account_fen=0, supplementary=False)
    world.cert(e2, "MD-I-09")
    est2 = world.check(e2, "MD-I-09", policy=pol, spent_fen=600_000, spent_supplementary_fen=100_000).what_if
    assert est2.share("supplementary_pooling") == 0
    assert est2.share("enrollee") == 700_000 - 49_629


def test_sz_md_art_6_missing_previous_year_wage_said_not_guessed(world, build, policy):
    pol = wage_policy(policy, wage_year=2026)  # 2025 is what a 2026 check needs
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    r = world.check(e, "MD-I-09", policy=pol, spent_fen=900_000)
    assert r.entitled
    est = r.what_if
    assert not est.complete and est.shares == ()
    ref = [x for x in est.reasons if not x.ok][0]
    assert ref.article == "SZ-MD Art. 6" and ref.field == "average_wage" and "2025" in ref.message("en")


def test_sz_md_art_6_previous_year_of_insurance_year(policy):
    pol = wage_policy(policy, benefit_year_start_month=7, wage_year=2024)
    e = EnrolleeFacts(scheme="comprehensive", supplementary=True)
    disease = pol.disease("MD-I-09")
    # 2026-03-10 lies in the insurance year 2025-07-01..2026-06-30: previous year 2024
    assert insurance_year(ON, 7).start == date(2025, 7, 1)
    est = evaluate(EligibilityFacts(enrollee=e), disease, pol, ON, spend=Spend(1)).estimate
    assert est is None  # no certificate: not entitled, no estimate
    from core.rules.eligibility import estimate

    assert estimate(disease, pol, ON, e, Spend(THRESHOLD + 1)).share("basic_pooling") == 1


def test_estimate_as_dict_money_strings(world, build, policy):
    pol = wage_policy(policy)
    e = build.enrollee(individual_account_fen=12_345)
    world.cert(e, "MD-I-09")
    d = world.check(e, "MD-I-09", policy=pol, spent_fen=THRESHOLD + 1015).as_dict("en")
    json.dumps(d)
    shares = {s["part"]: s["amount"] for s in d["what_if"]["shares"]}
    assert shares["individual_account"] == "123.45"
    assert shares["basic_pooling"] == "7.11"
    assert d["what_if"]["threshold"] == "6172.84"
    assert d["entitled"] is True and d["settlement"] == "bookkeeping"
    assert all({"ok", "article", "field", "message"} <= set(x) for x in d["reasons"])


# --------------------------------------------------------------------------- SZ-MD Art. 7: Category II


def test_sz_md_art_7_category_2_90_basic_80_supplementary(world, build, policy):
    e = build.enrollee(scheme="inpatient", supplementary=True)
    world.cert(e, "MD-II-03")
    est = world.check(e, "MD-II-03", spent_fen=100_005, spent_supplementary_fen=10_003).what_if
    assert est.share("basic_pooling") == 90_005  # 90,004.5 -> 90,005
    assert est.share("supplementary_pooling") == 8_002  # 8,002.4
    assert est.share("enrollee") == 100_005 + 10_003 - 90_005 - 8_002
    assert {s.article for s in est.shares if s.fen and s.part != "enrollee"} == {"SZ-MD Art. 7"}


def test_sz_md_art_7_no_supplementary_share_without_supplementary(world, build):
    e = build.enrollee(scheme="migrant", supplementary=False)
    world.cert(e, "MD-II-03")
    est = world.check(e, "MD-II-03", spent_fen=100_000, spent_supplementary_fen=10_000).what_if
    assert est.share("basic_pooling") == 90_000
    assert est.share("supplementary_pooling") == 0
    assert est.share("enrollee") == 20_000


def test_no_estimate_when_not_entitled(world, build):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-I-09")
    assert world.check(e, "MD-I-09", spent_fen=100).what_if is None


# --------------------------------------------------------------------------- ZZ §4


def test_zz_4_community_centre_80_other_60(zz_world, build):
    e = build.enrollee(scheme="inpatient")
    zz_world.cert(e, "ZZ-01")  # monthly cap 300 yuan in the pack
    chc = build.institution(city="Zezhou", kind="community_health_centre", level=1)
    run_by_l2 = build.institution(city="Zezhou", kind="community_health_centre", level=1, run_by_hospital_level=2)
    hosp = build.institution(city="Zezhou", kind="hospital", level=2)
    assert zz_world.check(e, "ZZ-01", institution_code=chc.code, spent_fen=10_001).what_if.share("basic_pooling") == 8_001
    assert zz_world.check(e, "ZZ-01", institution_code=run_by_l2.code, spent_fen=10_001).what_if.share("basic_pooling") == 6_001
    assert zz_world.check(e, "ZZ-01", institution_code=hosp.code, spent_fen=10_001).what_if.share("basic_pooling") == 6_001
    r = zz_world.check(e, "ZZ-01", institution_code=chc.code)
    assert r.entitled and {x.article for x in r.reasons} >= {"ZZ §4"}


def test_zz_4_monthly_cap_valid_in_month_only(zz_world, build, zz_policy):
    # validated afresh: model_copy would keep the cached disease index
    pol = Policy.model_validate({**zz_policy.model_dump(), "diseases": [
        {**d.model_dump(), "monthly_cap_yuan": Decimal("250.00")} if d.code == "ZZ-01" else d.model_dump()
        for d in zz_policy.diseases
    ]})
    e = build.enrollee(scheme="inpatient")
    zz_world.cert(e, "ZZ-01")
    chc = build.institution(city="Zezhou", kind="community_health_centre", level=1)
    jan = zz_world.check(e, "ZZ-01", on=date(2026, 1, 20), policy=pol, institution_code=chc.code, spent_fen=10_000).what_if
    assert (jan.allowed_fen, jan.used_fen, jan.remaining_fen) == (25_000, 8_000, 17_000)
    assert jan.period.start == date(2026, 1, 1) and jan.period.end == date(2026, 1, 31)
    # February: January's unused 170 yuan is not carried over
    feb = zz_world.check(e, "ZZ-01", on=date(2026, 2, 5), policy=pol, institution_code=chc.code, spent_fen=50_000).what_if
    assert (feb.allowed_fen, feb.used_fen, feb.remaining_fen) == (25_000, 25_000, 0)
    assert feb.share("enrollee") == 25_000
    assert feb.period.end == date(2026, 2, 28)
    # one fen below the cap's spend boundary: 80% of 31,249 = 24,999.2 -> 24,999
    below = zz_world.check(e, "ZZ-01", on=date(2026, 2, 5), policy=pol, institution_code=chc.code, spent_fen=31_249).what_if
    assert below.used_fen == 24_999 and below.remaining_fen == 1


def test_zz_4_third_disease_refused(zz_world, build):
    e = build.enrollee(scheme="comprehensive")
    zz_world.cert(e, "ZZ-01", valid_from=date(2025, 1, 1))
    zz_world.cert(e, "ZZ-02", valid_from=date(2025, 2, 1))
    zz_world.cert(e, "ZZ-05", valid_from=date(2025, 3, 1))
    assert zz_world.check(e, "ZZ-01").entitled
    assert zz_world.check(e, "ZZ-02").entitled
    r = zz_world.check(e, "ZZ-05")
    assert not r.entitled
    ref = refusal(r, "disease")
    assert ref.article == "ZZ §4" and "ZZ-01" in ref.message("en")


def test_zz_4_hospitalised_refused_discharge_day_accepted(zz_world, build, engine):
    e = build.enrollee(scheme="inpatient")
    zz_world.cert(e, "ZZ-01")
    with write_session(engine) as s:
        s.add(Hospitalisation(enrollee_id=e.id, admitted_on=date(2026, 3, 5), discharged_on=date(2026, 3, 12)))
    assert zz_world.check(e, "ZZ-01", on=date(2026, 3, 4)).entitled
    r = zz_world.check(e, "ZZ-01", on=date(2026, 3, 5))
    assert not r.entitled and refusal(r, "hospitalisation").article == "ZZ §4"
    assert not zz_world.check(e, "ZZ-01", on=date(2026, 3, 11)).entitled
    assert zz_world.check(e, "ZZ-01", on=date(2026, 3, 12)).entitled


def test_sz_no_hospital_rule_in_shenzhen(world, build, engine):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    with write_session(engine) as s:
        s.add(Hospitalisation(enrollee_id=e.id, admitted_on=date(2026, 3, 1)))
    r = world.check(e, "MD-I-09")
    assert r.entitled and not [x for x in r.reasons if x.field == "hospitalisation"]


# --------------------------------------------------------------------------- bad input


def test_unknown_disease_refused_naming_field(world, build):
    from core.errors import DomainError

    e = build.enrollee()
    with pytest.raises(DomainError) as exc:
        world.check(e, "MD-I-99")
    assert exc.value.field == "disease"


def test_parse_amount_fen():
    from core.errors import DomainError

    assert eligibility.parse_amount_fen("1234.5") == 123_450
    assert eligibility.parse_amount_fen("0.01") == 1
    for bad in ("-1", "1.234", "abc", "NaN"):
        with pytest.raises(DomainError) as exc:
            eligibility.parse_amount_fen(bad)
        assert exc.value.field == "spent"


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def cli(db_path, tmp_path, monkeypatch, me):
    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("CASEDESK_DB", str(db_path))
    monkeypatch.delenv("CASEDESK_POLICY", raising=False)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["--lang", "en", "--policy", "shenzhen-2008", "check", *args])

    return run


def test_cli_check_entitled_exit_0(world, build, cli, engine):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    before = db_fingerprint(engine)
    res = cli(e.id_number, "MD-I-09", "--on", "2026-03-10", "--spent", "100.00")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("ENTITLED")
    assert any(line.startswith("✓ [SZ-MD Art. 3] scheme:") for line in lines)
    assert "100.00" in res.output
    assert db_fingerprint(engine) == before


def test_cli_check_not_entitled_exit_1(world, build, cli):
    e = build.enrollee(scheme="inpatient")
    world.cert(e, "MD-I-09")
    res = cli(e.card_number, "MD-I-09", "--on", "2026-03-10")
    assert res.exit_code == 1, res.output
    assert res.output.splitlines()[0].startswith("NOT ENTITLED")
    assert "✗ [SZ-MD Art. 3] scheme:" in res.output


def test_cli_check_json(world, build, cli):
    e = build.enrollee(individual_account_fen=5_000)
    world.cert(e, "MD-I-09")
    res = cli(str(e.id), "MD-I-09", "--on", "2026-03-10", "--spent", "20", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["entitled"] is True
    assert data["what_if"]["spent"] == "20.00"
    assert {s["part"]: s["amount"] for s in data["what_if"]["shares"]}["individual_account"] == "20.00"


@pytest.mark.parametrize("args, field", [
    (("MD-I-99",), "disease"),
    (("MD-I-09", "--institution", "NOPE"), "institution"),
    (("MD-I-09", "--on", "2026-02-30"), "on"),
    (("MD-I-09", "--spent", "12.345"), "spent"),
    (("MD-I-09", "--spent", "-3"), "spent"),
])
def test_cli_check_bad_input_exit_2(world, build, cli, args, field):
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    res = cli(e.id_number, *args)
    assert res.exit_code == 2, res.output
    assert f"{field}:" in res.output


def test_cli_check_unknown_enrollee_exit_2(cli):
    res = cli("440304196005170000", "MD-I-09")
    assert res.exit_code == 2 and "enrollee:" in res.output


def test_cli_check_uses_the_db_path_option(world, build, db_path, tmp_path, monkeypatch, me):
    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("CASEDESK_DB", raising=False)
    e = build.enrollee()
    world.cert(e, "MD-I-09")
    res = CliRunner().invoke(app, ["--db", str(db_path), "--policy", "shenzhen-2008", "check", e.id_number, "MD-I-09",
                                   "--on", "2026-03-10"])
    assert res.exit_code == 0, res.output

