"""Eligibility and benefit estimates: the caseworker's quick lookup.

Pure rules: facts (plain dataclasses the service builds from the database) +
the policy pack + the business date in, an :class:`EligibilityResult` out. The
result carries *every* reason, satisfied ones too (``ok=True``), each with its
article, so the caseworker sees why, not only whether.

Conditions (RULES.md §3, §4, §7, §9, §11):

- scheme may be recognised for the disease (SZ-MD Art. 3);
- a confirmed certificate for the disease valid on the date (SZ-MD Art. 4,
  expiry SZ-MD Art. 12): status ``confirmed`` and
  ``valid_from <= on <= valid_until`` (``valid_until`` None = no fixed term);
- transplant organ in scope, and local supplementary insurance where the organ
  or the disease needs it (SZ-MD Art. 2, 3);
- where treatment is paid (SZ-MD Art. 5): designated institutions in the
  pack's city; outside it only in an emergency or at one of the institutions
  of an off-site filing in force on the date; haemodialysis only at
  designated dialysis centres; cash reimbursement cases (SZ-MD Art. 10);
- a suspended account keeps the benefit, settled in cash (SZ-MT Art. 14);
- packs with ``max_diseases`` / ``none_while_hospitalised`` (ZZ §4): at most
  that many diseases, none while in hospital.

Readings taken (documented here and in the report):

- Off-site filing covers Category I diseases only (SZ-MD Art. 5(1)(b), (c)
  say "(the first category)"); Category II outside the city is paid only in
  an emergency. A filing is in force from ``filed_on`` up to the day before
  ``cancelled_on``.
- Haemodialysis is paid only at the city's designated dialysis centres, even
  in an emergency (the dialysis paragraph of SZ-MD Art. 5 has no exception).
- A hospital stay covers ``admitted_on`` up to the day before
  ``discharged_on`` (the discharge day is an outpatient day again).
- ZZ §4 "at most two": the diseases recognised first (by ``valid_from``, then
  certificate number) are the chosen ones; a later one is refused.
- Estimate, spend: ``basic`` is basic medical insurance cost, ``supplementary``
  is local supplementary insurance cost (default 0). A supplementary-fund share
  is paid only if the enrollee has local supplementary insurance.
- Category I (SZ-MD Art. 6): the recorded individual-account balance pays
  first; the 5 % threshold counts all of the year's costs (account-paid ones
  too); the pooling funds pay 70 % of the costs the account could not cover
  above the threshold, split between the basic and the supplementary part in
  proportion to the spend.
- Category II (SZ-MD Art. 7): 90 % of the basic cost from the basic fund, 80 %
  of the supplementary cost from the supplementary fund.
- Zezhou (ZZ §4): the spend is the month-to-date cost of the disease's drug
  list; the fund pays the rate of the institution (60 % if none is given) up
  to the month's cap.

Money is integer fen; every percentage share is rounded half up to the fen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from core.errors import Reason
from core.i18n import N_, Bilingual, Code
from core.models.base import (
    AccountState,
    InstitutionKind,
    Settlement,
)
from core.policy import Disease, Policy
from core.rules.decision import allow, refuse
from core.workflows.definitions import CERT_GIVES_BENEFITS, CERT_IN_PROCESS
from core.rules.formulas import (  # noqa: F401  (re-exported: results of the estimate)
    SHARE_LABELS,
    SHARE_PARTS,
    Estimate,
    Period,
    Share,
    Spend,
    estimate,
    insurance_year,
    insurance_year_start,
    money,
    month_of,
    percent_of,
)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class EnrolleeFacts:
    scheme: str
    supplementary: bool
    account_state: str = AccountState.NORMAL
    account_state_since: date | None = None
    individual_account_fen: int = 0


@dataclass(frozen=True)
class CertificateFacts:
    number: str
    disease_code: str
    status: str
    organ: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None  # last valid day; None = no fixed term

    def confirmed(self) -> bool:
        """Confirmed by the agency and not ended: a state that gives benefits
        (a renewed certificate still does, to its own last day, SZ-MD Art. 12)."""
        return self.status in CERT_GIVES_BENEFITS

    def valid_on(self, on: date) -> bool:
        if not self.confirmed():
            return False
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_until is None or on <= self.valid_until


@dataclass(frozen=True)
class InstitutionFacts:
    code: str
    name: str
    kind: str
    city: str
    name_zh: str = ""
    designated: bool = True
    active: bool = True
    dialysis_centre: bool = False
    run_by_hospital_level: int = 0

    def community_rate(self) -> bool:
        """ZZ §4: a community health centre not run by a level-2/3 hospital."""
        return self.kind == InstitutionKind.COMMUNITY_HEALTH_CENTRE and self.run_by_hospital_level < 2


@dataclass(frozen=True)
class FilingFacts:
    voucher_number: str
    filed_on: date
    institution_codes: tuple[str, ...]
    cancelled_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.filed_on <= on and (self.cancelled_on is None or on < self.cancelled_on)


@dataclass(frozen=True)
class StayFacts:
    admitted_on: date
    discharged_on: date | None = None

    def covers(self, on: date) -> bool:
        return self.admitted_on <= on and (self.discharged_on is None or on < self.discharged_on)


@dataclass(frozen=True)
class RecordedSpend:
    """What the period (insurance year, or the ZZ month) holds up to the
    date: booked expenses and cash claims' receipts, large-equipment
    examinations left out where the pack says so (SZ-MD Art. 6)."""

    period: Period
    booked_fen: int = 0
    claimed_fen: int = 0
    large_equipment_fen: int = 0
    visits: int = 0

    @property
    def spend(self) -> Spend:
        return Spend(self.booked_fen + self.claimed_fen)


@dataclass(frozen=True)
class EligibilityFacts:
    enrollee: EnrolleeFacts
    certificates: tuple[CertificateFacts, ...] = ()  # all of the enrollee's, any disease
    institution: InstitutionFacts | None = None
    filings: tuple[FilingFacts, ...] = ()
    stays: tuple[StayFacts, ...] = ()
    emergency: bool = False
    peritoneal_dialysis: bool = False


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class EligibilityResult:
    disease_code: str
    disease_name_en: str
    disease_name_zh: str
    category: int
    on: date
    entitled: bool
    reasons: tuple[Reason, ...]
    settlement: str | None  # Settlement when entitled
    period: Period | None  # the certificate's validity
    estimate: Estimate | None = None  # of the spend recorded (or the spend given to the rules)
    institution_code: str | None = None
    emergency: bool = False
    enrollee_id: str = ""
    certificate_number: str | None = None
    what_if: Estimate | None = None  # of a spend the caseworker typed

    @property
    def refusals(self) -> list[Reason]:
        return [r for r in self.reasons if not r.ok]

    def disease_name(self, lang: str = "en") -> str:
        return self.disease_name_zh if lang.startswith("zh") else self.disease_name_en

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "entitled": self.entitled,
            "enrollee_id": self.enrollee_id,
            "disease": {"code": self.disease_code, "name": self.disease_name(lang), "category": self.category},
            "on": self.on.isoformat(),
            "institution": self.institution_code,
            "emergency": self.emergency,
            "certificate": self.certificate_number,
            "settlement": self.settlement,
            "period": self.period.as_dict() if self.period else None,
            "reasons": [r.as_dict(lang) for r in self.reasons],
            "estimate": self.estimate.as_dict(lang) if self.estimate else None,
            "what_if": self.what_if.as_dict(lang) if self.what_if else None,
        }


# --------------------------------------------------------------------------- conditions


def scheme_reason(enrollee: EnrolleeFacts, disease: Disease, policy: Policy) -> Reason:
    article = policy.certificates.article_who
    if enrollee.scheme in disease.schemes:
        return allow(article, "scheme", N_("The {scheme} scheme may be recognised for Category {category} diseases."),
                     scheme=Code("scheme", enrollee.scheme), category=disease.category)
    return refuse(article, "scheme",
                  N_("Category {category} ({code}) is open to {schemes} enrollees only; this enrollee is in the {scheme} scheme."),
                  category=disease.category, code=disease.code, schemes=", ".join(disease.schemes),
                  scheme=Code("scheme", enrollee.scheme))


def valid_certificate(certs: tuple[CertificateFacts, ...], code: str, on: date) -> CertificateFacts | None:
    """The confirmed certificate for ``code`` valid on ``on`` (latest start wins)."""
    valid = [c for c in certs if c.disease_code == code and c.valid_on(on)]
    valid.sort(key=lambda c: (c.valid_from or date.min, c.number))
    return valid[-1] if valid else None


def certificate_reason(certs: tuple[CertificateFacts, ...], disease: Disease, policy: Policy,
                       on: date) -> tuple[CertificateFacts | None, Reason]:
    confirm_art = policy.certificates.article
    cert = valid_certificate(certs, disease.code, on)
    if cert is not None:
        if cert.valid_until is None:
            return cert, allow(confirm_art, "certificate",
                               N_("Certificate {number} confirmed, valid from {start} with no fixed end."),
                               number=cert.number, start=cert.valid_from or "-")
        return cert, allow(policy.validity.article, "certificate",
                           N_("Certificate {number} confirmed, valid {start} to {end}."),
                           number=cert.number, start=cert.valid_from or "-", end=cert.valid_until)
    mine = [c for c in certs if c.disease_code == disease.code]
    confirmed = [c for c in mine if c.confirmed()]
    expired = sorted((c for c in confirmed if c.valid_until is not None and c.valid_until < on),
                     key=lambda c: c.valid_until or date.min)
    if expired:
        c = expired[-1]
        return None, refuse(policy.validity.article, "certificate",
                            N_("Certificate {number} expired on {end}; re-apply for recognition."),
                            number=c.number, end=c.valid_until)
    future = sorted((c for c in confirmed if c.valid_from is not None and c.valid_from > on),
                    key=lambda c: c.valid_from or date.min)
    if future:
        c = future[0]
        return None, refuse(confirm_art, "certificate", N_("Certificate {number} is valid only from {start}."),
                            number=c.number, start=c.valid_from)
    pending = [c for c in mine if c.status in CERT_IN_PROCESS]
    if pending:
        c = pending[-1]
        return None, refuse(confirm_art, "certificate",
                            N_("Certificate {number} is {status}, not yet confirmed by the agency; only a confirmed certificate gives benefits."),
                            number=c.number, status=Code("certificate_status", c.status))
    if mine:
        c = mine[-1]
        return None, refuse(confirm_art, "certificate",
                            N_("Certificate {number} is {status}; there is no confirmed certificate for {code}."),
                            number=c.number, status=Code("certificate_status", c.status), code=disease.code)
    return None, refuse(confirm_art, "certificate", N_("No certificate for {code}: the disease is not recognised."),
                        code=disease.code)


def supplementary_reasons(enrollee: EnrolleeFacts, disease: Disease, cert: CertificateFacts | None,
                          policy: Policy) -> list[Reason]:
    """Transplant organ scope and the supplementary-insurance requirement (SZ-MD Art. 2, 3)."""
    art_who, art_catalogue = policy.certificates.article_who, policy.certificates.article_catalogue
    out: list[Reason] = []
    if disease.requires_supplementary:
        if enrollee.supplementary:
            out.append(allow(art_who, "supplementary",
                             N_("{code} needs local supplementary insurance; the enrollee has it."), code=disease.code))
        else:
            out.append(refuse(art_who, "supplementary",
                              N_("{code} needs local supplementary insurance; the enrollee has none."), code=disease.code))
    if not disease.organs or cert is None:
        return out
    organ = disease.organ(cert.organ)
    if organ is None:
        out.append(refuse(art_catalogue, "organ",
                          N_("Certificate {number} names organ \"{organ}\", which is not in the anti-rejection scope."),
                          number=cert.number, organ=cert.organ or ""))
    elif not organ.requires_supplementary:
        out.append(allow(art_catalogue, "organ",
                         N_("Anti-rejection after {organ} transplant is open to basic insurance participants."),
                         organ=organ.code))
    elif enrollee.supplementary:
        out.append(allow(art_who, "organ",
                         N_("Anti-rejection after {organ} transplant needs local supplementary insurance; the enrollee has it."),
                         organ=organ.code))
    else:
        out.append(refuse(art_who, "organ",
                          N_("Anti-rejection after {organ} transplant is open only to local supplementary participants; the enrollee has none."),
                          organ=organ.code))
    return out


def disease_count_reason(certs: tuple[CertificateFacts, ...], disease: Disease, policy: Policy,
                         on: date) -> Reason | None:
    """ZZ §4: at most ``max_diseases`` diseases carry benefits; the first recognised are the chosen ones."""
    limit = policy.benefits.max_diseases
    if limit is None:
        return None
    valid = sorted((c for c in certs if c.valid_on(on)), key=lambda c: (c.valid_from or date.min, c.number))
    order: list[str] = []
    for c in valid:
        if c.disease_code not in order:
            order.append(c.disease_code)
    if disease.code not in order:
        return None  # no valid certificate: certificate_reason already refuses
    article = policy.benefits.article_max_diseases or ""
    if order.index(disease.code) < limit:
        return allow(article, "disease", N_("{code} is one of at most {max} designated diseases with benefits ({count} recognised)."),
                     code=disease.code, max=limit, count=len(order))
    return refuse(article, "disease",
                  N_("At most {max} designated diseases carry benefits; the enrollee already has {chosen}."),
                  max=limit, chosen=", ".join(order[:limit]))


def hospital_reason(stays: tuple[StayFacts, ...], policy: Policy, on: date) -> Reason | None:
    if not policy.benefits.none_while_hospitalised:
        return None
    for s in stays:
        if s.covers(on):
            return refuse(policy.benefits.article_hospitalised or "", "hospitalisation",
                          N_("In hospital since {admitted}: no chronic disease outpatient benefit during a stay."),
                          admitted=s.admitted_on)
    return allow(policy.benefits.article_hospitalised or "", "hospitalisation", N_("Not in hospital on {on}."), on=on)


def _therapy(disease: Disease, cert: CertificateFacts | None, peritoneal: bool) -> str:
    therapy = disease.therapy_for(cert.organ if cert else None)
    return "peritoneal_dialysis" if therapy == "dialysis" and peritoneal else therapy


def place_reasons(facts: EligibilityFacts, disease: Disease, cert: CertificateFacts | None, policy: Policy,
                  on: date) -> tuple[list[Reason], list[Reason]]:
    """Where treatment is paid (SZ-MD Art. 5). Returns (reasons, cash-settlement reasons)."""
    t = policy.treatment
    art5 = t.article_place
    city = Bilingual(policy.pack.city, policy.pack.city_zh)
    inst = facts.institution
    haemo = _therapy(disease, cert, facts.peritoneal_dialysis) == "dialysis"
    reasons: list[Reason] = []
    cash: list[Reason] = []
    if inst is None:
        reasons.append(allow(art5, "institution",
                             N_("No institution given: the fund pays at designated institutions in {city}."), city=city))
        if haemo:
            reasons.append(allow(t.article_dialysis, "institution",
                                 N_("Haemodialysis is paid only at the designated dialysis centres of {city}."), city=city))
        return reasons, cash
    p = dict(name=Bilingual(inst.name, inst.name_zh), code=inst.code, city=city, place=inst.city)
    if inst.city == policy.pack.city:
        if inst.designated and inst.active:
            reasons.append(allow(art5, "institution", N_("{name} ({code}) is a designated institution in {city}."), **p))
        elif facts.emergency:
            reasons.append(allow(art5, "emergency", N_("Emergency rescue at {name} ({code}): paid."), **p))
        else:
            reasons.append(refuse(t.article_designated, "institution",
                                  N_("{name} ({code}) is not an active designated institution; the fund does not pay there."), **p))
    else:
        reasons.extend(_offsite_reasons(facts, disease, policy, on, art5, p, cash))
    if haemo:
        if inst.city == policy.pack.city and inst.dialysis_centre:
            reasons.append(allow(t.article_dialysis, "institution",
                                 N_("{name} ({code}) is a designated dialysis centre: haemodialysis is paid."), **p))
        else:
            reasons.append(refuse(t.article_dialysis, "institution",
                                  N_("Haemodialysis is paid only at the designated dialysis centres of {city}; {name} ({code}) is not one."), **p))
    return reasons, cash


def _offsite_reasons(facts: EligibilityFacts, disease: Disease, policy: Policy, on: date, art5: str,
                     p: dict[str, Any], cash: list[Reason]) -> list[Reason]:
    code = p["code"]
    if facts.emergency:
        cash.append(allow(policy.treatment.article_cash, "settlement",
                          N_("Emergency treatment outside {city} is reimbursed in cash by the agency."), **p))
        return [allow(art5, "emergency", N_("Emergency rescue at {name} ({code}) in {place}: paid outside {city}."), **p)]
    if disease.category != 1:
        return [refuse(art5, "institution",
                       N_("{name} ({code}) is in {place}: outside {city} Category II treatment is paid only in an emergency."), **p)]
    in_force = [f for f in facts.filings if f.in_force(on)]
    for f in in_force:
        if code in f.institution_codes:
            cash.append(allow(policy.treatment.article_cash, "settlement",
                              N_("Treatment at a filed off-site institution is reimbursed in cash by the agency."), **p))
            return [allow(art5, "institution",
                          N_("{name} ({code}) is one of the institutions filed under voucher {voucher} on {filed}."),
                          voucher=f.voucher_number, filed=f.filed_on, **p)]
    if in_force:
        f = in_force[0]
        return [refuse(art5, "institution",
                       N_("{name} ({code}) is not one of the institutions filed under voucher {voucher} ({filed_codes}); outside {city} only those are paid."),
                       voucher=f.voucher_number, filed_codes=", ".join(f.institution_codes), **p)]
    later = sorted((f for f in facts.filings if f.filed_on > on and code in f.institution_codes),
                   key=lambda f: f.filed_on)
    if later:
        f = later[0]
        return [refuse(policy.offsite.article_who, "on",
                       N_("{on} is before the off-site filing of {filed} (voucher {voucher}): ordinary out-of-town treatment, not paid."),
                       on=on, filed=f.filed_on, voucher=f.voucher_number, **p)]
    return [refuse(art5, "institution",
                   N_("{name} ({code}) is in {place}, outside {city}; there is no off-site filing in force and no emergency, so the fund does not pay."),
                   **p)]


def therapy_cash_reason(disease: Disease, cert: CertificateFacts | None, facts: EligibilityFacts,
                        policy: Policy) -> Reason | None:
    """Therapies the pack settles in cash (``treatment.cash_therapies``; Shenzhen: SZ-MD Art. 10(a),
    peritoneal dialysis, anti-rejection and tumour therapy)."""
    therapy = _therapy(disease, cert, facts.peritoneal_dialysis)
    if therapy not in policy.treatment.cash_therapies:
        return None
    article = policy.treatment.article_cash
    if therapy == "peritoneal_dialysis":
        return allow(article, "settlement", N_("Peritoneal dialysis is reimbursed in cash by the agency."))
    return allow(article, "settlement", N_("{code} treatment is reimbursed in cash by the agency."),
                 code=disease.code)


def account_reason(enrollee: EnrolleeFacts, policy: Policy) -> tuple[Reason, bool]:
    """A suspended account keeps the benefit; it is settled in cash (SZ-MT Art. 14)."""
    if enrollee.account_state == AccountState.SUSPENDED:
        return allow(policy.deadlines.article_notice, "account_state",
                     N_("Bookkeeping suspended since {since}: benefits continue, paid in cash and reimbursed by the agency."),
                     since=enrollee.account_state_since or "-"), True
    return allow(policy.treatment.article_bookkeeping, "account_state",
                 N_("Account in normal state: the institution books the fund's share.")), False


# --------------------------------------------------------------------------- evaluate


def recorded_reasons(recorded: RecordedSpend, policy: Policy) -> list[Reason]:
    """Where the estimate's spend comes from (SZ-MD Art. 8 year, ZZ §4 month; SZ-MD Art. 6)."""
    p = recorded.period
    out = [allow(policy.benefits.article_year, "spent",
                 N_("Recorded from {start} to {end}: {booked} booked in {visits} visits, {claimed} claimed in cash."),
                 start=p.start or "-", end=p.end or "-", booked=money(recorded.booked_fen), visits=recorded.visits,
                 claimed=money(recorded.claimed_fen))]
    if recorded.large_equipment_fen:
        out.append(allow(policy.claims.article_large_equipment, "large_equipment",
                         N_("{amount} of large-equipment examinations left out."),
                         amount=money(recorded.large_equipment_fen)))
    return out


def evaluate(facts: EligibilityFacts, disease: Disease, policy: Policy, on: date, *,
             spend: Spend | None = None, recorded: RecordedSpend | None = None, what_if: Spend | None = None,
             enrollee_id: str = "") -> EligibilityResult:
    """Entitled or not on ``on``, with every reason, the settlement mode and,
    when the enrollee is entitled, the estimate of ``spend`` (or of the
    ``recorded`` spend, with where it comes from) and of the ``what_if``
    spend a caseworker typed."""
    e = facts.enrollee
    cert, cert_r = certificate_reason(facts.certificates, disease, policy, on)
    reasons: list[Reason] = [scheme_reason(e, disease, policy), cert_r]
    reasons += supplementary_reasons(e, disease, cert, policy)
    for extra in (disease_count_reason(facts.certificates, disease, policy, on), hospital_reason(facts.stays, policy, on)):
        if extra is not None:
            reasons.append(extra)
    place, cash = place_reasons(facts, disease, cert, policy, on)
    reasons += place
    therapy_cash = therapy_cash_reason(disease, cert, facts, policy)
    if therapy_cash is not None:
        cash.append(therapy_cash)
    acct, suspended = account_reason(e, policy)
    reasons.append(acct)
    reasons += cash
    entitled = all(r.ok for r in reasons)
    settlement = None
    if entitled:
        settlement = Settlement.CASH if (suspended or cash) else Settlement.BOOKKEEPING
    period = Period("certificate", cert.valid_from, cert.valid_until) if cert else None
    if spend is None and recorded is not None:
        spend = recorded.spend
    est = estimate(disease, policy, on, e, spend, facts.institution) if (entitled and spend is not None) else None
    if est is not None and recorded is not None:
        est = replace(est, reasons=tuple(recorded_reasons(recorded, policy)) + est.reasons)
    wi = estimate(disease, policy, on, e, what_if, facts.institution) if (entitled and what_if is not None) else None
    return EligibilityResult(
        disease_code=disease.code, disease_name_en=disease.name_en, disease_name_zh=disease.name_zh,
        category=disease.category, on=on, entitled=entitled, reasons=tuple(reasons),
        settlement=str(settlement) if settlement else None, period=period, estimate=est,
        institution_code=facts.institution.code if facts.institution else None, emergency=facts.emergency,
        enrollee_id=enrollee_id, certificate_number=cert.number if cert else None, what_if=wi,
    )


# --------------------------------------------------------------------------- estimate


__all__ = [
    "CertificateFacts", "EligibilityFacts", "EligibilityResult", "EnrolleeFacts", "Estimate", "FilingFacts",
    "InstitutionFacts", "Period", "RecordedSpend", "SHARE_PARTS", "Share", "Spend", "StayFacts", "estimate", "evaluate",
    "insurance_year", "money", "month_of", "percent_of", "valid_certificate",
]
