"""Cash reimbursement claims (SZ-MD Art. 10; SZ-MT Art. 14; ZZ §8 audit).

Every paying and non-paying case of SZ-MD Art. 10 and SZ-MT Art. 14 through
the services on a real SQLite file (certificates confirmed, filings filed,
cases opened by the steps a caseworker takes); the Zezhou caps, the
two-disease limit and the supplementary audit on the pure rules; duplicate
receipts, four eyes and the payment list. Figures are computed here by hand.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest

from certificate_world import make_world, refused
from conftest import db_fingerprint
from core.db import write_session
from core.errors import DomainError, PermissionDenied
from core.models import Caseworker
from core.auth import Actor
from core.rules import claims as rules
from core.rules.eligibility import CertificateFacts, EligibilityFacts, EnrolleeFacts, InstitutionFacts, StayFacts
from core.rules.formulas import Spend
from core.services import claims, investigations as inv, monitoring, offsite
from core.services.claims import ItemInput, ReceiptInput
from core.services.offsite import FilingForm

ON = date(2026, 3, 10)  # certificates confirmed on this day
LATER = date(2026, 4, 20)
WAGE_2025_FEN = 166200_00  # the pack's (demo) 2025 average wage
THRESHOLD_FEN = WAGE_2025_FEN * 5 // 100  # SZ-MD Art. 6: 5 %


def _receipt(inst_code: str, amount_fen: int, *, on: date = LATER, number: str | None = None,
             items: tuple[ItemInput, ...] | None = None, **kw) -> ReceiptInput:
    return ReceiptInput(number or f"RC-{uuid.uuid4().hex[:10]}", inst_code, on,
                        items or (ItemInput("drugs", amount_fen),), **kw)


class Counter:
    """A world per specialty, and helpers that run each step in its own transaction."""

    def __init__(self, engine, build, policy, clerk, reviewer):
        self.engine, self.build, self.policy, self.clerk, self.reviewer = engine, build, policy, clerk, reviewer
        self.worlds: dict[str, object] = {}

    def world(self, specialty: str):
        if specialty not in self.worlds:
            self.worlds[specialty] = make_world(self.engine, self.build, self.policy, self.clerk, self.reviewer,
                                                specialty=specialty)
        return self.worlds[specialty]

    def run(self, fn):
        with write_session(self.engine) as s:
            return fn(s)

    def recognised(self, disease: str, specialty: str, *, enrollee=None, organ: str | None = None, **kw):
        w = self.world(specialty)
        enrollee = enrollee or self.build.enrollee(scheme="comprehensive", supplementary=True, **kw)
        extra = {"organ": organ} if organ else {}
        if disease == "MD-II-02":
            w.recognise(ON, disease, enrollee=enrollee, **extra)
        else:
            w.recognise(ON, disease, enrollee=enrollee, physician=w.attending, **extra)
        return w, enrollee

    def decide(self, enrollee, disease: str, *receipts: ReceiptInput, on: date = LATER, actor=None):
        claim = self.run(lambda s: claims.register_claim(s, actor or self.clerk, enrollee.id, disease, list(receipts),
                                                         on=on, policy=self.policy))
        return self.run(lambda s: claims.decide_claim(s, self.clerk, claim.id, on=on, policy=self.policy))

    def receipts(self, claim):
        return self.run(lambda s: [r for r, _ in claims.receipts_of(s, claim.id)])


@pytest.fixture
def desk(engine, build, policy, clerk, reviewer):
    return Counter(engine, build, policy, clerk, reviewer)


def _articles(receipt, ok: bool | None = None) -> set[str]:
    return {r["article"] for r in claims.receipt_reasons(receipt) if ok is None or r["ok"] is ok}


# --------------------------------------------------------------------------- SZ-MD Art. 10(a): paid


def test_sz_md_art_10_a_tumour_therapy_at_a_city_institution_is_reimbursed(desk):
    w, p = desk.recognised("MD-II-03", "oncology")
    items = (ItemInput("chemotherapy drugs", 100_000), ItemInput("supplementary drug", 20_000, supplementary=True))
    claim = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 0, items=items))
    (r,) = desk.receipts(claim)
    assert r.pays is True
    assert (r.basic_fen, r.supplementary_fen) == (90_000, 16_000)  # SZ-MD Art. 7: 90 % and 80 %
    assert claim.paid_fen == 106_000 and claim.status == "decided"
    assert "SZ-MD Art. 10" in _articles(r, ok=True)


def test_sz_md_art_10_a_peritoneal_dialysis_is_reimbursed(desk):
    w, p = desk.recognised("MD-II-01", "nephrology")
    claim = desk.decide(p, "MD-II-01", _receipt(w.hospital.code, 50_000, peritoneal_dialysis=True))
    (r,) = desk.receipts(claim)
    assert r.pays is True and r.basic_fen == 45_000
    assert "SZ-MD Art. 10" in _articles(r, ok=True)


def test_sz_md_art_10_a_haemodialysis_is_not_reimbursed_in_cash(desk):
    w, p = desk.recognised("MD-II-01", "nephrology")
    claim = desk.decide(p, "MD-II-01", _receipt(w.hospital.code, 50_000))  # not peritoneal: haemodialysis
    (r,) = desk.receipts(claim)
    assert r.pays is False and r.paid_fen == 0
    assert "SZ-MD Art. 5" in _articles(r, ok=False)  # only at designated dialysis centres


def test_sz_md_art_10_a_transplant_anti_rejection_is_reimbursed(desk):
    w, p = desk.recognised("MD-II-02", "cardiology", organ="kidney")
    claim = desk.decide(p, "MD-II-02", _receipt(w.hospital.code, 30_000))
    (r,) = desk.receipts(claim)
    assert r.pays is True and r.basic_fen == 27_000


def test_sz_md_art_10_a_large_equipment_does_not_count_for_category_i(desk, build, policy):
    w, p = desk.recognised("MD-I-01", "cardiology")
    far = build.institution(city="Wuhan", level=3)
    items = (ItemInput("drugs", THRESHOLD_FEN + 100_000), ItemInput("MRI scan", 500_000, large_equipment=True))
    claim = desk.decide(p, "MD-I-01", _receipt(far.code, 0, items=items, emergency=True))
    (r,) = desk.receipts(claim)
    assert r.counted_fen == THRESHOLD_FEN + 100_000  # SZ-MD Art. 6: the MRI is left out
    assert r.basic_fen == 70_000  # 70 % of the 1,000 yuan above the threshold
    assert "SZ-MD Art. 6" in _articles(r)


# --------------------------------------------------------------------------- SZ-MD Art. 9 / 10: not paid


def test_sz_md_art_10_booked_treatment_at_a_city_institution_is_not_reimbursed(desk):
    w, p = desk.recognised("MD-I-01", "cardiology")
    claim = desk.decide(p, "MD-I-01", _receipt(w.hospital.code, 900_000))
    (r,) = desk.receipts(claim)
    assert r.pays is False and claim.paid_fen == 0
    assert "SZ-MD Art. 9" in _articles(r, ok=False)  # the institution books it


def test_sz_md_art_10_receipt_before_recognition_is_not_reimbursed(desk):
    w, p = desk.recognised("MD-II-03", "oncology")
    claim = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 10_000, on=ON - timedelta(days=5)))
    (r,) = desk.receipts(claim)
    assert r.pays is False
    assert "SZ-MD Art. 4" in _articles(r, ok=False)  # no confirmed certificate on the treatment date


# --------------------------------------------------------------------------- SZ-MD Art. 10(b): Art. 5(1) cases


def test_sz_md_art_10_b_emergency_outside_the_city_is_reimbursed_above_the_threshold(desk, build):
    w, p = desk.recognised("MD-I-01", "cardiology")
    far = build.institution(city="Wuhan", level=3)
    first = desk.decide(p, "MD-I-01", _receipt(far.code, THRESHOLD_FEN - 10_000, emergency=True))
    (r1,) = desk.receipts(first)
    assert r1.pays is True and r1.paid_fen == 0  # within the year's threshold (SZ-MD Art. 6)
    second = desk.decide(p, "MD-I-01", _receipt(far.code, 110_000, emergency=True, on=LATER + timedelta(days=1)),
                         on=LATER + timedelta(days=1))
    (r2,) = desk.receipts(second)
    # the threshold is shared with the first receipt: 100,000 fen above it, 70 % basic and 70 % of none supplementary
    assert r2.basic_fen == 70_000


def test_sz_md_art_10_b_outside_the_city_without_emergency_or_filing_is_not_reimbursed(desk, build):
    w, p = desk.recognised("MD-I-01", "cardiology")
    far = build.institution(city="Wuhan", level=3)
    claim = desk.decide(p, "MD-I-01", _receipt(far.code, 50_000))
    (r,) = desk.receipts(claim)
    assert r.pays is False
    assert "SZ-MD Art. 5" in _articles(r, ok=False)


def _filed(desk, build, p):
    insts = [build.institution(city="Wuhan", level=lvl, public=True, designated=True) for lvl in (3, 2, 2)]
    codes = tuple(i.code for i in insts)
    form = FilingForm(place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                      local_ss_stamp=True, filed_by="self")
    desk.run(lambda s: offsite.file_filing(s, desk.clerk, p.id, form, on=ON, policy=desk.policy))
    return insts


def test_sz_md_art_10_b_filed_offsite_institution_is_reimbursed(desk, build):
    p = build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed", employer="Metro",
                       residence_city="Wuhan", individual_account_fen=0)
    insts = _filed(desk, build, p)
    desk.recognised("MD-I-01", "cardiology", enrollee=p)
    claim = desk.decide(p, "MD-I-01", _receipt(insts[1].code, THRESHOLD_FEN + 20_000))
    (r,) = desk.receipts(claim)
    assert r.pays is True and r.basic_fen == 14_000  # 70 % of 200 yuan above the threshold
    assert "SZ-MD Art. 5" in _articles(r, ok=True)


def test_sz_md_art_10_b_unfiled_institution_in_the_filed_place_is_not_reimbursed(desk, build):
    p = build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed", employer="Metro",
                       residence_city="Wuhan")
    _filed(desk, build, p)
    other = build.institution(city="Wuhan", level=3)
    desk.recognised("MD-I-01", "cardiology", enrollee=p)
    claim = desk.decide(p, "MD-I-01", _receipt(other.code, 50_000))
    (r,) = desk.receipts(claim)
    assert r.pays is False and "SZ-MD Art. 5" in _articles(r, ok=False)


# --------------------------------------------------------------------------- SZ-MT Art. 14: suspended account


def _suspend(desk, p, on: date) -> date:
    flag = desk.run(lambda s: monitoring.record_manual_trigger(
        s, desk.clerk, desk.policy, enrollee_id=p.id, trigger="T12-reported-violation", detail="reported", on=on))
    case = desk.run(lambda s: inv.send_notice_for_flag(s, desk.clerk, desk.policy, flag_id=flag.id, on=on))
    day = case.notice_due + timedelta(days=1)
    desk.run(lambda s: inv.record_no_show(s, desk.reviewer, desk.policy, case_id=case.id, on=day))
    return day


def test_sz_mt_art_14_suspended_account_is_paid_in_cash_and_reimbursed(desk):
    w, p = desk.recognised("MD-I-01", "cardiology", individual_account_fen=0)
    opened = _suspend(desk, p, date(2026, 3, 16))
    claim = desk.decide(p, "MD-I-01", _receipt(w.hospital.code, THRESHOLD_FEN + 10_000, on=opened + timedelta(days=2)),
                        on=opened + timedelta(days=3))
    (r,) = desk.receipts(claim)
    assert r.pays is True and r.basic_fen == 7_000
    assert "SZ-MT Art. 14" in _articles(r, ok=True)


def test_sz_mt_art_14_receipt_from_before_the_suspension_is_not_reimbursed(desk):
    w, p = desk.recognised("MD-I-01", "cardiology")
    opened = _suspend(desk, p, date(2026, 3, 16))
    claim = desk.decide(p, "MD-I-01", _receipt(w.hospital.code, 900_000, on=opened - timedelta(days=1)),
                        on=opened + timedelta(days=3))
    (r,) = desk.receipts(claim)
    assert r.pays is False  # on the treatment date the account was normal: the institution booked it
    assert "SZ-MD Art. 9" in _articles(r, ok=False)


# --------------------------------------------------------------------------- registration, four eyes, states


def test_duplicate_receipt_refused_and_nothing_written(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    r = _receipt(w.hospital.code, 10_000, number="INV-77")
    desk.decide(p, "MD-II-03", r)
    again = _receipt(w.hospital.code.lower(), 20_000, number=" inv-77 ")  # as typed at the counter
    refused(engine, lambda s: claims.register_claim(s, desk.clerk, p.id, "MD-II-03", [again], on=LATER,
                                                    policy=desk.policy),
            article="SZ-MD Art. 10", field="receipt_number")
    refused(engine, lambda s: claims.register_claim(s, desk.clerk, p.id, "MD-II-03",
                                                    [_receipt(w.hospital.code, 1, number="X1"),
                                                     _receipt(w.hospital.code, 2, number="X1")],
                                                    on=LATER, policy=desk.policy),
            article="SZ-MD Art. 10", field="receipt_number")


def test_withdrawn_claim_frees_its_receipts(desk):
    w, p = desk.recognised("MD-II-03", "oncology")
    r = _receipt(w.hospital.code, 10_000, number="INV-78")
    claim = desk.decide(p, "MD-II-03", r)
    desk.run(lambda s: claims.withdraw_claim(s, desk.clerk, claim.id, on=LATER, policy=desk.policy, reason="wrong disease"))
    again = desk.decide(p, "MD-II-03", r)
    assert again.status == "decided"


def test_bad_receipts_refused_naming_each_field(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    bad = [ReceiptInput("", "NOPE", LATER + timedelta(days=3), (ItemInput("drugs", 0),))]
    err = refused(engine, lambda s: claims.register_claim(s, desk.clerk, p.id, "MD-II-03", bad, on=LATER,
                                                          policy=desk.policy),
                  article="SZ-MD Art. 10", field="receipt_number")
    assert {r.field for r in err.reasons} >= {"receipt_number", "institution", "treated_on", "amount"}


def test_four_eyes_the_registering_caseworker_may_not_approve(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    claim = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 10_000), actor=desk.reviewer)  # a reviewer registers
    err = refused(engine, lambda s: claims.approve_claim(s, desk.reviewer, claim.id, on=LATER, policy=desk.policy),
                  article="SZ-MD Art. 10", field="approved_by")
    assert "registered" in err.reasons[0].message()
    with write_session(engine) as s:
        s.add(Caseworker(username="rev2", role="reviewer"))
    other = Actor(username="rev2", role="reviewer")
    done = desk.run(lambda s: claims.approve_claim(s, other, claim.id, on=LATER, policy=desk.policy))
    assert (done.status, done.approved_by) == ("approved", "rev2")


def test_four_eyes_the_deciding_caseworker_may_not_approve(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    claim = desk.run(lambda s: claims.register_claim(s, desk.clerk, p.id, "MD-II-03",
                                                     [_receipt(w.hospital.code, 10_000)], on=LATER, policy=desk.policy))
    desk.run(lambda s: claims.decide_claim(s, desk.reviewer, claim.id, on=LATER, policy=desk.policy))
    refused(engine, lambda s: claims.approve_claim(s, desk.reviewer, claim.id, on=LATER, policy=desk.policy),
            article="SZ-MD Art. 10", field="approved_by")


def test_a_clerk_may_not_approve(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    claim = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 10_000))
    before = db_fingerprint(engine)
    with pytest.raises(PermissionDenied):
        desk.run(lambda s: claims.approve_claim(s, desk.clerk, claim.id, on=LATER, policy=desk.policy))
    assert db_fingerprint(engine) == before


def test_an_undecided_claim_cannot_be_approved(desk, engine):
    w, p = desk.recognised("MD-II-03", "oncology")
    claim = desk.run(lambda s: claims.register_claim(s, desk.clerk, p.id, "MD-II-03",
                                                     [_receipt(w.hospital.code, 10_000)], on=LATER, policy=desk.policy))
    with pytest.raises(DomainError) as info:
        desk.run(lambda s: claims.approve_claim(s, desk.reviewer, claim.id, on=LATER, policy=desk.policy))
    assert any(r.field == "status" for r in info.value.reasons)


def test_payment_list_of_the_month_as_csv(desk):
    w, p = desk.recognised("MD-II-03", "oncology")
    paid = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 100_000))
    nothing = desk.decide(p, "MD-II-03", _receipt(w.hospital.code, 10_000, on=ON - timedelta(days=3)))
    for c in (paid, nothing):
        desk.run(lambda s, c=c: claims.approve_claim(s, desk.reviewer, c.id, on=LATER, policy=desk.policy))
    rows = desk.run(lambda s: claims.payment_list(s, "2026-04", policy=desk.policy))
    assert [r.claim_number for r in rows] == [paid.number]  # a claim paying nothing is not on the list
    assert desk.run(lambda s: claims.payment_list(s, "2026-05", policy=desk.policy)) == ()
    table = list(csv.DictReader(io.StringIO(claims.payment_list_csv(rows))))
    assert table[0]["paid"] == "900.00" and table[0]["id_number"] == p.id_number


# --------------------------------------------------------------------------- Zezhou (pure rules)


def _zz_facts(zz_policy, *, supplementary=True, suspended=True, codes=("ZZ-04",), stays=(), kind="hospital"):
    certs = tuple(CertificateFacts(number=f"C{i}", disease_code=c, status="confirmed", valid_from=date(2026, 1, i + 1))
                  for i, c in enumerate(codes))
    enrollee = EnrolleeFacts(scheme="comprehensive", supplementary=supplementary,
                             account_state="suspended" if suspended else "normal", account_state_since=date(2026, 2, 1))
    inst = InstitutionFacts(code="ZH1", name="Zezhou People's Hospital", kind=kind, city="Zezhou")
    return EligibilityFacts(enrollee=enrollee, certificates=certs, institution=inst, stays=tuple(stays))


def _zz_receipt(fen: int, on: date = date(2026, 4, 10)) -> ReceiptInput:
    return ReceiptInput("Z-1", "ZH1", on, (ItemInput("drugs", fen),))


def test_zz_4_monthly_cap_and_zz_8_supplementary_audit(zz_policy):
    d = rules.decide_receipt(_zz_receipt(300_000), _zz_facts(zz_policy), zz_policy.disease("ZZ-04"), zz_policy,
                             prior=Spend(0), year_cost_fen=300_000)
    # 60 % of 3,000 yuan is 1,800, capped at ZZ-04's 1,500 a month (ZZ §4); the supplementary fund pays the
    # pack's 50 % of the 1,500 the pooling fund left (ZZ §8, ZZ-04 is on the audit's list)
    assert (d.pays, d.basic_fen, d.supplementary_fen) == (True, 150_000, 75_000)
    assert {"ZZ §4", "ZZ §8", "SZ-MT Art. 14"} <= {r.article for r in d.reasons}


def test_zz_4_cap_shared_with_the_month_so_far(zz_policy):
    d = rules.decide_receipt(_zz_receipt(100_000), _zz_facts(zz_policy, supplementary=False),
                             zz_policy.disease("ZZ-04"), zz_policy, prior=Spend(200_000))
    assert d.basic_fen == 150_000 - 120_000  # the month's 1,200 already paid leaves 300 of the cap


def test_zz_4_two_disease_limit_refuses_the_third(zz_policy):
    facts = _zz_facts(zz_policy, codes=("ZZ-01", "ZZ-02", "ZZ-04"))
    d = rules.decide_receipt(_zz_receipt(10_000), facts, zz_policy.disease("ZZ-04"), zz_policy, prior=Spend(0))
    assert d.pays is False and "ZZ §4" in {r.article for r in d.reasons if not r.ok}


def test_zz_4_none_while_hospitalised(zz_policy):
    facts = _zz_facts(zz_policy, stays=(StayFacts(admitted_on=date(2026, 4, 1)),))
    d = rules.decide_receipt(_zz_receipt(10_000), facts, zz_policy.disease("ZZ-04"), zz_policy, prior=Spend(0))
    assert d.pays is False and any(r.field == "hospitalisation" and not r.ok for r in d.reasons)


def test_zz_8_supplementary_audit_condition_2_costs_above_the_pooling_maximum(zz_policy):
    disease = zz_policy.disease("ZZ-02")
    audit = zz_policy.claims.supplementary_audit
    narrowed = zz_policy.model_copy(update={"claims": zz_policy.claims.model_copy(
        update={"supplementary_audit": audit.model_copy(update={"diseases": []})})})
    below = rules.decide_receipt(_zz_receipt(100_000), _zz_facts(zz_policy, codes=("ZZ-02",)), disease, narrowed,
                                 prior=Spend(0), year_cost_fen=4_000_000)
    above = rules.decide_receipt(_zz_receipt(100_000), _zz_facts(zz_policy, codes=("ZZ-02",)), disease, narrowed,
                                 prior=Spend(0), year_cost_fen=4_000_001)
    assert below.supplementary_fen == 0 and any(r.article == "ZZ §8" and not r.ok for r in below.reasons)
    # 60 % of 1,000 is 600, capped at ZZ-02's 200: the pooling fund leaves 800, half of it supplementary
    assert (above.basic_fen, above.supplementary_fen) == (20_000, 40_000)


def test_zz_booked_treatment_is_not_reimbursed(zz_policy):
    d = rules.decide_receipt(_zz_receipt(10_000), _zz_facts(zz_policy, suspended=False), zz_policy.disease("ZZ-04"),
                             zz_policy, prior=Spend(0))
    assert d.pays is False and "ZZ §5" in {r.article for r in d.reasons if not r.ok}
