"""Recognition by diagnosis certificate (SZ-MD Art. 2, 3, 4, 12, 13; ZZ §3, §4).

Pure rules: the service loads the facts (model rows, which are plain data
here) and the policy pack, and passes the business date ``on``. Nothing here
touches a session or the clock.

Readings taken (RULES.md §4):

* "Attending physician of the disease's specialty" is read as a physician of
  the issuing institution, in the disease's specialty, holding the attending
  title (主治医师) or higher.
* Off-site issue (SZ-MD Art. 4(2)) replaces the "designated diagnostic
  hospital in the city" test with "level ``offsite_min_level``+, on record,
  in the enrollee's filed place"; the signature, seal and confirmation steps
  are the same, so the institution needs a diagnostic team for the specialty.
* Validity runs from the confirmation date; the last valid day is the day
  before the anniversary (a Feb 29 start ends on Feb 28).
* A live certificate is one in a state tagged ``gives_benefits`` in the
  certificate machine (confirmed, or superseded by a renewal: it gives
  benefits to its own last day, SZ-MD Art. 12) whose validity covers the
  date; a draft, signed or sealed one is "in process". Both count as
  concurrent for the same disease. Every state set here comes from
  :mod:`core.workflows.definitions`.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.i18n import N_, Code
from core.models import (
    TITLE_RANK,
    Certificate,
    CertificateStatus,
    Enrollee,
    Institution,
    OffsiteFiling,
    Physician,
    TeamMembership,
    Title,
)
from core.policy import Disease, Policy
from core.rules.decision import Decision, refuse
from core.errors import Reason
from core.workflows import CERTIFICATE
from core.workflows.definitions import (
    CERT_BLOCKS_NEW,
    CERT_GIVES_BENEFITS,
    CERT_IN_PROCESS,
    CERT_INVALIDATABLE,
    CERT_RENEWABLE,
    CERT_WITHDRAWABLE,
    FILING_CURRENT,
)

# Article tags and titles come from the pack (``policy.certificates``,
# ``policy.validity.article``): no rule here names a city's article.

IN_PROCESS = CERT_IN_PROCESS
GIVES_BENEFITS = CERT_GIVES_BENEFITS
INVALIDATABLE = CERT_INVALIDATABLE


# --------------------------------------------------------------------------- dates


def add_months(d: date, months: int) -> date:
    """``d`` moved by whole months; a day past the target month's end is
    clamped to its last day (Jan 31 + 1 month = Feb 28/29)."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def last_valid_day(valid_from: date, years: int | None) -> date | None:
    """Last day of a recognition of ``years`` starting ``valid_from`` (None: no end)."""
    if years is None:
        return None
    return add_months(valid_from - timedelta(days=1), 12 * years)


def renewal_window(cert: Certificate, policy: Policy) -> tuple[date, date] | None:
    """First and last day on which a re-application for ``cert`` is accepted
    (SZ-MD Art. 12): from ``valid_until`` minus ``renewal_window_months`` plus
    one day, to ``valid_until``. None when the certificate has no end date."""
    if cert.valid_until is None:
        return None
    opens = add_months(cert.valid_until, -policy.validity.renewal_window_months) + timedelta(days=1)
    return opens, cert.valid_until


def covers(cert: Certificate, on: date) -> bool:
    """True if the certificate's validity includes ``on``."""
    if cert.valid_from is None or cert.valid_from > on:
        return False
    return cert.valid_until is None or on <= cert.valid_until


def is_live(cert: Certificate, on: date) -> bool:
    """Gives benefits on ``on``: confirmed (or superseded by a renewal that has
    not started yet) and valid that day."""
    return cert.status in GIVES_BENEFITS and covers(cert, on)


def is_current(cert: Certificate, on: date) -> bool:
    """In process, or confirmed and not yet expired: blocks a second one."""
    if cert.status not in CERT_BLOCKS_NEW:
        return False
    if cert.status in IN_PROCESS:
        return True
    return cert.valid_until is None or on <= cert.valid_until


def renewable(cert: Certificate) -> bool:
    """A re-application may chain from it (SZ-MD Art. 12)."""
    return cert.status in CERT_RENEWABLE


# --------------------------------------------------------------------------- drafting


@dataclass(frozen=True)
class DraftFacts:
    """Everything the drafting rules look at."""

    enrollee: Enrollee
    disease: Disease | None
    disease_code: str
    organ: str | None
    institution: Institution
    physician: Physician
    offsite: bool
    offsite_filing: OffsiteFiling | None
    continuation: bool
    checklist: dict[str, bool]
    criteria_acknowledged: bool
    existing: Sequence[Certificate]  # the enrollee's certificates (any disease, any status)
    renewal_of: Certificate | None


CHECKLIST_FIELDS = ("cont_recent_record", "cont_original_papers", "cont_originals_seen", "cont_copies_kept")
_CHECKLIST_MSG = {
    "cont_recent_record": N_("A continuation needs a recent outpatient record."),
    "cont_original_papers": N_("A continuation needs the original diagnosis papers."),
    "cont_originals_seen": N_("A continuation needs the originals checked."),
    "cont_copies_kept": N_("A continuation needs copies of the papers kept."),
}


def eligibility_reasons(enrollee: Enrollee, disease: Disease, organ: str | None, policy: Policy) -> list[Reason]:
    """Who may be recognised for the disease (SZ-MD Art. 2, 3)."""
    art_who, art_catalogue = policy.certificates.article_who, policy.certificates.article_catalogue
    out: list[Reason] = []
    if enrollee.scheme not in disease.schemes:
        out.append(refuse(art_who, "scheme",
                          N_("{disease} (Category {category}) is open only to {schemes} enrollees; "
                             "this enrollee is in the {scheme} scheme."),
                          disease=disease.code, category=disease.category,
                          schemes=", ".join(disease.schemes), scheme=Code("scheme", enrollee.scheme)))
    if disease.requires_supplementary and not enrollee.supplementary:
        out.append(refuse(art_who, "supplementary",
                          N_("{disease} is open only to enrollees with local supplementary insurance."),
                          disease=disease.code))
    if disease.organs:
        o = disease.organ(organ)
        if o is None:
            out.append(refuse(art_catalogue, "organ",
                              N_("{disease} needs the transplanted organ, one of: {organs}."),
                              disease=disease.code, organs=", ".join(x.code for x in disease.organs)))
        elif o.requires_supplementary and not enrollee.supplementary:
            out.append(refuse(art_who, "supplementary",
                              N_("Anti-rejection therapy after a {organ} transplant is open only to "
                                 "enrollees with local supplementary insurance."),
                              organ=o.code))
    elif organ:
        out.append(refuse(art_catalogue, "organ", N_("{disease} takes no organ."), disease=disease.code))
    return out


def _institution_reasons(f: DraftFacts, policy: Policy) -> list[Reason]:
    if not f.offsite:
        return hospital_reasons(f.institution, policy)
    return offsite_issuer_reasons(f.institution, f.offsite_filing, policy)


def _active_reasons(inst, policy: Policy) -> list[Reason]:
    if not inst.active:
        return [refuse(policy.certificates.article, "institution_id", N_("Institution {code} is not active."), code=inst.code)]
    return []


def hospital_reasons(inst, policy: Policy) -> list[Reason]:
    """Whether ``inst`` may issue a certificate in the city (SZ-MD Art. 4): an
    active designated diagnostic hospital of the pack's city. The hospital
    pickers offer only institutions with no reason here."""
    art_cert = policy.certificates.article
    out = _active_reasons(inst, policy)
    if not (inst.designated and inst.diagnostic_hospital) or inst.city != policy.pack.city:
        out.append(refuse(art_cert, "institution_id",
                          N_("Institution {code} is not a designated diagnostic hospital of {city}."),
                          code=inst.code, city=policy.pack.city))
    return out


def offsite_issuer_reasons(inst, filing, policy: Policy) -> list[Reason]:
    """Whether ``inst`` may issue a certificate off site for an enrollee with
    ``filing`` (SZ-MD Art. 4(2)); the off-site picker offers only those with none."""
    art_offsite = policy.certificates.article_offsite
    out = _active_reasons(inst, policy)
    if filing is None or filing.status not in FILING_CURRENT:
        out.append(refuse(art_offsite, "offsite",
                          N_("Off-site issue needs an active off-site filing for the enrollee.")))
    elif inst.city != filing.place_city:
        out.append(refuse(art_offsite, "institution_id",
                          N_("Institution {code} is in {city}, not in the enrollee's filed place {place}."),
                          code=inst.code, city=inst.city, place=filing.place_city))
    if inst.level < policy.certificates.offsite_min_level:
        out.append(refuse(art_offsite, "institution_id",
                          N_("Off-site issue needs a level-{level} or higher institution; {code} is level {actual}."),
                          level=policy.certificates.offsite_min_level, code=inst.code, actual=inst.level))
    if not inst.offsite_on_record:
        out.append(refuse(art_offsite, "institution_id",
                          N_("Institution {code} is not on record with the agency for off-site issue."),
                          code=inst.code))
    return out


def _physician_reasons(f: DraftFacts, disease: Disease, policy: Policy) -> list[Reason]:
    art_cert = policy.certificates.article
    p = f.physician
    out: list[Reason] = []
    if p.institution_id != f.institution.id or not p.active:
        out.append(refuse(art_cert, "physician_id",
                          N_("Physician {code} is not an active physician of institution {inst}."),
                          code=p.code, inst=f.institution.code))
    if p.specialty != disease.specialty:
        out.append(refuse(art_cert, "physician_id",
                          N_("Physician {code} is in {actual}; {disease} is certified in {specialty}."),
                          code=p.code, actual=p.specialty, disease=disease.code, specialty=disease.specialty))
    return out + drafter_title_reasons(p, policy)


def drafter_title_reasons(p, policy: Policy) -> list[Reason]:
    """The attending physician drafting a certificate holds the title needed
    (SZ-MD Art. 4); the physician picker offers only those with none."""
    drafter_min = Title(policy.certificates.drafter_min_title)
    if TITLE_RANK.get(p.title, 0) < TITLE_RANK[drafter_min]:
        return [refuse(policy.certificates.article, "physician_id",
                       N_("Physician {code} holds the title {title}; drafting needs {needed} or above."),
                       code=p.code, title=p.title, needed=drafter_min.value)]
    return []


def _checklist_reasons(f: DraftFacts, policy: Policy) -> list[Reason]:
    if not f.continuation:
        return []
    return [refuse(policy.certificates.article, k, _CHECKLIST_MSG[k]) for k in CHECKLIST_FIELDS if not f.checklist.get(k)]


def _renewal_reasons(prev: Certificate, f: DraftFacts, policy: Policy, on: date) -> list[Reason]:
    art_validity, art_false_claim = policy.validity.article, policy.certificates.article_false_claim
    if prev.enrollee_id != f.enrollee.id or prev.disease_code != f.disease_code:
        return [refuse(art_validity, "renewal_of",
                       N_("Certificate {number} is not for this enrollee and disease."), number=prev.number)]
    if prev.status == CertificateStatus.INVALIDATED:
        return [refuse(art_false_claim, "renewal_of",
                       N_("Certificate {number} was invalidated; the enrollee must apply again from the start."),
                       number=prev.number)]
    if not renewable(prev):
        return [refuse(art_validity, "renewal_of",
                       N_("Certificate {number} is {status}; only a confirmed certificate can be renewed."),
                       number=prev.number, status=prev.status)]
    window = renewal_window(prev, policy)
    if window is None:
        return [refuse(art_validity, "renewal_of",
                       N_("Certificate {number} has no end date and needs no re-application."),
                       number=prev.number)]
    opens, closes = window
    if on < opens:
        return [refuse(art_validity, "renewal_of",
                       N_("Re-application for {number} opens on {opens} ({months} months before it expires on {until})."),
                       number=prev.number, opens=opens.isoformat(), until=closes.isoformat(),
                       months=policy.validity.renewal_window_months)]
    if on > closes:
        return [refuse(art_validity, "renewal_of",
                       N_("Certificate {number} expired on {until}; the enrollee must apply again from the start."),
                       number=prev.number, until=closes.isoformat())]
    return []


def _concurrency_reasons(f: DraftFacts, policy: Policy, on: date) -> list[Reason]:
    art_validity, art_cert = policy.validity.article, policy.certificates.article
    renewing = f.renewal_of.id if f.renewal_of is not None else None
    same = [c for c in f.existing
            if c.disease_code == f.disease_code and c.id != renewing and is_current(c, on)]
    out: list[Reason] = []
    for c in same:
        window = renewal_window(c, policy) if renewable(c) else None
        if window is not None and window[0] <= on and renewing is None:
            out.append(refuse(art_validity, "renewal_of",
                              N_("Certificate {number} for {disease} is in its re-application window; "
                                 "draft the new one as its renewal."),
                              number=c.number, disease=f.disease_code))
        else:
            out.append(refuse(art_cert, "disease_code",
                              N_("The enrollee already has certificate {number} ({status}) for {disease}."),
                              number=c.number, status=Code("certificate_status", c.status), disease=f.disease_code))
    return out


def _max_diseases_reasons(f: DraftFacts, policy: Policy, on: date) -> list[Reason]:
    limit = policy.benefits.max_diseases
    if limit is None:
        return []
    others = {c.disease_code for c in f.existing
              if c.disease_code != f.disease_code and (is_current(c, on) or is_live(c, on))}
    if len(others) < limit:
        return []
    return [refuse(policy.benefits.article_max_diseases or "", "disease_code",
                   N_("The enrollee already has {count} designated diseases ({diseases}); at most {limit} are allowed."),
                   count=len(others), diseases=", ".join(sorted(others)), limit=limit)]


def check_draft(f: DraftFacts, policy: Policy, on: date) -> Decision:
    """Drafting by the attending physician (SZ-MD Art. 2, 3, 4, 4(2), 12; ZZ §4)."""
    disease = f.disease
    if disease is None:
        return Decision.of([refuse(policy.certificates.article_catalogue, "disease_code",
                                   N_("{code} is not a disease of the {pack} catalogue."),
                                   code=f.disease_code, pack=policy.id)])
    reasons = eligibility_reasons(f.enrollee, disease, f.organ, policy)
    if not f.criteria_acknowledged:
        reasons.append(refuse(policy.certificates.article, "criteria_acknowledged",
                              N_("The physician must confirm that the admission criteria of {disease} are met."),
                              disease=disease.code))
    reasons += _checklist_reasons(f, policy)
    reasons += _institution_reasons(f, policy)
    reasons += _physician_reasons(f, disease, policy)
    if f.renewal_of is not None:
        reasons += _renewal_reasons(f.renewal_of, f, policy, on)
    reasons += _concurrency_reasons(f, policy, on)
    reasons += _max_diseases_reasons(f, policy, on)
    return Decision.of(reasons)


# --------------------------------------------------------------------------- signatures


@dataclass(frozen=True)
class Signature:
    physician: Physician
    signed_on: date


def membership_on(memberships: Iterable[TeamMembership], physician_id: uuid.UUID,
                  day: date) -> TeamMembership | None:
    """The physician's team membership covering ``day`` (since/until inclusive)."""
    for m in memberships:
        if m.physician_id == physician_id and m.since <= day and (m.until is None or day <= m.until):
            return m
    return None


def signer_reasons(p: Physician, institution_id: uuid.UUID, memberships: Sequence[TeamMembership],
                   specialty: str, policy: Policy, day: date) -> list[Reason]:
    """Whether ``p`` may sign a certificate of ``institution_id`` in
    ``specialty`` on ``day`` under the pack's rule (``policy.certificates.
    signatures``): a physician of the issuing hospital in the specialty,
    qualified by title (and the team list when the pack keeps one) or as
    department director where the pack lets the director sign. Empty: may
    sign. The signer pickers offer only physicians with no reason here."""
    rule = policy.certificates.signatures
    article = rule.article
    out: list[Reason] = []
    if p.institution_id != institution_id or not p.active:
        out.append(refuse(article, "signer",
                          N_("Physician {code} is not an active physician of the issuing hospital."), code=p.code))
    if p.specialty != specialty:
        out.append(refuse(article, "signer",
                          N_("Physician {code} is in {actual}; this certificate is signed in {specialty}."),
                          code=p.code, actual=p.specialty, specialty=specialty))
    if rule.director_may_sign and p.department_director:
        return out  # the department director signs whatever the title and team list
    if rule.team_list_required and membership_on(memberships, p.id, day) is None:
        out.append(refuse(article, "signer",
                          N_("Physician {code} was not on the hospital's diagnostic team for this specialty on {day}."),
                          code=p.code, day=day.isoformat()))
    needed = rule.min_title
    if TITLE_RANK.get(p.title, 0) < TITLE_RANK[Title(needed)]:
        if rule.director_may_sign:
            out.append(refuse(article, "signer",
                              N_("Physician {code} holds the title {title}; signing needs {needed} or above, "
                                 "or the department director."),
                              code=p.code, title=p.title, needed=needed))
        else:
            out.append(refuse(article, "signer",
                              N_("Physician {code} holds the title {title}; signing needs {needed} or above."),
                              code=p.code, title=p.title, needed=needed))
    return out


def _one_signature_reasons(sig: Signature, cert: Certificate, memberships: Sequence[TeamMembership],
                           specialty: str, policy: Policy, on: date) -> list[Reason]:
    p = sig.physician
    out: list[Reason] = []
    if sig.signed_on < cert.drafted_on or sig.signed_on > on:
        out.append(refuse(policy.certificates.signatures.article, "signed_on",
                          N_("Signature of {code} dated {day} is outside {drafted}..{today}."),
                          code=p.code, day=sig.signed_on.isoformat(), drafted=cert.drafted_on.isoformat(),
                          today=on.isoformat()))
    return out + signer_reasons(p, cert.institution_id, memberships, specialty, policy, sig.signed_on)


def check_signatures(cert: Certificate, signatures: Sequence[Signature],
                     memberships: Sequence[TeamMembership], policy: Policy, on: date,
                     specialty: str = "") -> Decision:
    """Signatures under the pack's rule (``policy.certificates.signatures``;
    SZ-MD Art. 4(1): two team physicians, deputy chief or above, the head among
    them; ZZ §3: one physician of associate-senior title or the department
    director, no team list): the required number, different people, each
    qualified on the signing date, and the team head among them when the pack
    says so. ``specialty`` is the disease's (default: the drafting physician's
    team is not known, so the memberships' team decides)."""
    rule = policy.certificates.signatures
    article = rule.article
    if not CERTIFICATE.can_fire("sign", cert.status):
        return Decision.of([refuse(article, "status",
                                   N_("Certificate {number} is {status}; only a draft can be signed."),
                                   number=cert.number, status=Code("certificate_status", cert.status))])
    need = rule.required
    reasons: list[Reason] = []
    if len(signatures) != need:
        reasons.append(refuse(article, "signatures",
                              N_("The certificate needs {need} signatures; {got} given."),
                              need=need, got=len(signatures)))
    ids = [s.physician.id for s in signatures]
    if len(set(ids)) != len(ids):
        reasons.append(refuse(article, "signatures",
                              N_("The signatures must be by different physicians.")))
    for sig in signatures:
        reasons += _one_signature_reasons(sig, cert, memberships, specialty, policy, on)
    if rule.head_must_sign and signatures:
        heads = [s for s in signatures
                 if (m := membership_on(memberships, s.physician.id, s.signed_on)) is not None and m.is_head]
        if not heads:
            reasons.append(refuse(article, "signatures",
                                  N_("One of the signers must be the head of the diagnostic team.")))
    return Decision.of(reasons)


# --------------------------------------------------------------------------- seal, confirm, end


def check_seal(cert: Certificate, seal_ref: str, on: date, policy: Policy) -> Decision:
    """Insurance-office seal (SZ-MD Art. 4(1))."""
    art_cert = policy.certificates.article
    if not CERTIFICATE.can_fire("seal", cert.status):
        return Decision.of([refuse(art_cert, "status",
                                   N_("Certificate {number} is {status}; it must be signed by the team before it is sealed."),
                                   number=cert.number, status=Code("certificate_status", cert.status))])
    reasons: list[Reason] = []
    if not seal_ref.strip():
        reasons.append(refuse(art_cert, "seal_ref", N_("Enter the reference of the insurance-office seal.")))
    last_sig = max(d for d in (cert.signed1_on, cert.signed2_on) if d is not None)
    if on < last_sig:
        reasons.append(refuse(art_cert, "on", N_("The seal cannot be dated before the last signature ({day})."),
                              day=last_sig.isoformat()))
    return Decision.of(reasons)


def check_confirm(cert: Certificate, enrollee: Enrollee, disease: Disease | None, confirmer: str,
                  previous: Certificate | None, on: date, policy: Policy) -> Decision:
    """Agency examination and confirmation (SZ-MD Art. 3, 4, 12)."""
    c = policy.certificates
    art_cert, art_catalogue, art_false_claim = c.article, c.article_catalogue, c.article_false_claim
    art_validity = policy.validity.article
    if not CERTIFICATE.can_fire("confirm", cert.status):
        return Decision.of([refuse(art_cert, "status",
                                   N_("Certificate {number} is {status}; it must be signed and sealed before the agency confirms it."),
                                   number=cert.number, status=Code("certificate_status", cert.status))])
    reasons = confirm_record_reasons(cert, confirmer, on, policy)
    if disease is None:
        reasons.append(refuse(art_catalogue, "disease_code",
                              N_("{code} is no longer in the catalogue."), code=cert.disease_code))
    else:
        reasons += eligibility_reasons(enrollee, disease, cert.organ, policy)
    if previous is not None:
        if previous.status == CertificateStatus.INVALIDATED:
            reasons.append(refuse(art_false_claim, "previous_id",
                                  N_("Certificate {number} that this one renews was invalidated; "
                                     "the enrollee must apply again from the start."), number=previous.number))
        elif not renewable(previous) or previous.valid_until is None:
            reasons.append(refuse(art_validity, "previous_id",
                                  N_("Certificate {number} that this one renews is {status}."),
                                  number=previous.number, status=previous.status))
    return Decision.of(reasons)


def confirm_record_reasons(cert: Certificate, confirmer: str, on: date, policy: Policy) -> list[Reason]:
    """What the certificate alone says about confirming it: not by the
    caseworker who entered it, not before the seal (SZ-MD Art. 4)."""
    art_cert = policy.certificates.article
    reasons: list[Reason] = []
    if confirmer == cert.drafted_by:
        reasons.append(refuse(art_cert, "confirmed_by",
                              N_("{user} entered this certificate and may not also confirm it."), user=confirmer))
    if cert.sealed_on is not None and on < cert.sealed_on:
        reasons.append(refuse(art_cert, "on", N_("Confirmation cannot be dated before the seal ({day})."),
                              day=cert.sealed_on.isoformat()))
    return reasons


def validity_on_confirm(cert: Certificate, previous: Certificate | None, policy: Policy,
                        on: date) -> tuple[date, date | None]:
    """(valid_from, valid_until): from the confirmation date, or from the day
    after the renewed certificate's last day so there is no gap (SZ-MD Art. 12)."""
    if previous is not None and previous.valid_until is not None:
        start = previous.valid_until + timedelta(days=1)
    else:
        start = on
    return start, last_valid_day(start, policy.validity_years(cert.category))


def check_invalidate(cert: Certificate, reason: str, policy: Policy) -> Decision:
    """False claim (SZ-MD Art. 13)."""
    art_false_claim = policy.certificates.article_false_claim
    reasons: list[Reason] = []
    if cert.status not in INVALIDATABLE:
        reasons.append(refuse(art_false_claim, "status",
                              N_("Certificate {number} is {status} and cannot be invalidated."),
                              number=cert.number, status=Code("certificate_status", cert.status)))
    if not reason.strip():
        reasons.append(refuse(art_false_claim, "reason", N_("Give the reason for the invalidation.")))
    return Decision.of(reasons)


def check_withdraw(cert: Certificate, reason: str, policy: Policy) -> Decision:
    """A draft abandoned before confirmation (SZ-MD Art. 4)."""
    art_cert = policy.certificates.article
    reasons: list[Reason] = []
    if cert.status not in CERT_WITHDRAWABLE:
        reasons.append(refuse(art_cert, "status",
                              N_("Certificate {number} is {status}; only an unconfirmed certificate can be withdrawn."),
                              number=cert.number, status=Code("certificate_status", cert.status)))
    if not reason.strip():
        reasons.append(refuse(art_cert, "reason", N_("Give the reason for withdrawing the certificate.")))
    return Decision.of(reasons)


# --------------------------------------------------------------------------- monthly batch


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``; ValueError if malformed."""
    year, mon = (int(x) for x in month.split("-"))
    if len(month) != 7 or not 1 <= mon <= 12:
        raise ValueError(month)
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def check_batch_month(month: str, on: date, policy: Policy) -> Decision:
    """A monthly batch of originals (SZ-MD Art. 4(1)) is for a month that has begun."""
    art_cert = policy.certificates.article
    try:
        first, _ = month_bounds(month)
    except ValueError:
        return Decision.of([refuse(art_cert, "month", N_("{month} is not a month (YYYY-MM)."), month=month)])
    if first > on:
        return Decision.of([refuse(art_cert, "month", N_("{month} has not begun yet."), month=month)])
    return Decision(ok=True)
