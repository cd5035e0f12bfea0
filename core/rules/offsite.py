"""Off-site filing of three designated institutions (SZ-MT Art. 9, 10; SZ-MD Art. 5).

Pure rules: the enrollee's facts, the form as typed, the institutions named on
it and the pack in; a :class:`~core.rules.decision.Decision` out, with every
refusal gathered.

Who (SZ-MT Art. 9, SZ-MD Art. 5(1)(b), (c)): a city-household-registered
enrollee stationed to work in another mainland city (basis ``stationed``), or
a retiree drawing a monthly pension from the city agency living in another
mainland city (basis ``retired``). The place is not Hong Kong, Macao or
Taiwan, and not the pack's own city.

The form (SZ-MT Art. 10): in ``filing_form_copies`` copies; exactly
``filing_institutions`` distinct public medical institutions of level
``filing_min_level`` or higher, designated, in the place, in order, each
stamped; the local social-security institution's stamp; filed by the
employer, the enrollee, or an agent (name, a valid ID number and a phone).

**Reading:** "medical institutions" excludes pharmacies and social-security
offices; an inactive institution cannot be chosen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from core.errors import Reason
from core.i18n import N_
from core.ids import IdNumberError, validate_id_number
from core.models.base import Employment, InstitutionKind
from core.policy import Policy
from core.rules.decision import Decision, refuse
from core.workflows import FILING

BASES = ("stationed", "retired")
FILERS = ("employer", "self", "agent")
MEDICAL_KINDS = frozenset({
    InstitutionKind.HOSPITAL, InstitutionKind.COMMUNITY_HEALTH_CENTRE, InstitutionKind.CLINIC,
    InstitutionKind.DIALYSIS_CENTRE,
})
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,23}$")


@dataclass(frozen=True)
class ApplicantFacts:
    city_household: bool
    stationed_elsewhere: bool
    employment: str
    employer: str = ""


@dataclass(frozen=True)
class CandidateFacts:
    code: str
    name: str
    kind: str
    public: bool
    level: int
    city: str
    designated: bool
    active: bool = True


@dataclass(frozen=True)
class FilingForm:
    """The registration form as presented at the counter."""

    place_city: str
    institution_codes: tuple[str, ...]
    stamped_codes: frozenset[str]
    form_copies: int
    local_ss_stamp: bool
    filed_by: str  # employer | self | agent
    place_province: str = ""
    place_mainland: bool = True
    local_ss_office: str = ""
    employer_name: str = ""
    agent_name: str = ""
    agent_id_number: str = ""
    agent_phone: str = ""
    agent_relation: str = ""
    basis: str | None = None  # stationed | retired; None = from the enrollee's facts


def filing_basis(applicant: ApplicantFacts) -> str | None:
    """The ground the enrollee qualifies on, or None."""
    if applicant.city_household and applicant.stationed_elsewhere:
        return "stationed"
    if applicant.employment == Employment.RETIRED_CITY_PENSION:
        return "retired"
    return None


def _who(applicant: ApplicantFacts, basis: str | None, policy: Policy) -> list[Reason]:
    art_who = policy.offsite.article_who
    if basis is None:
        if filing_basis(applicant) is None:
            return [refuse(art_who, "enrollee",
                           N_("Off-site filing is for city-household enrollees stationed in another mainland city, or retirees drawing a city pension living in one; this enrollee is neither."))]
        return []
    if basis not in BASES:
        return [refuse(art_who, "basis", N_("Basis {basis} is unknown; use stationed or retired."), basis=basis)]
    if basis == "stationed" and not applicant.city_household:
        return [refuse(art_who, "enrollee",
                       N_("Only enrollees with city household registration may file as stationed elsewhere."))]
    if basis == "stationed" and not applicant.stationed_elsewhere:
        return [refuse(art_who, "enrollee",
                       N_("The enrollee is not recorded as stationed to work in another city."))]
    if basis == "retired" and applicant.employment != Employment.RETIRED_CITY_PENSION:
        return [refuse(art_who, "enrollee",
                       N_("Only retirees drawing a monthly pension from the city agency may file as retired."))]
    return []


def _place(form: FilingForm, policy: Policy) -> list[Reason]:
    art_who = policy.offsite.article_who
    out: list[Reason] = []
    if not form.place_city.strip():
        out.append(refuse(art_who, "place_city", N_("Name the city where the enrollee lives or works.")))
    elif form.place_city.strip().casefold() == policy.pack.city.casefold():
        out.append(refuse(art_who, "place_city",
                          N_("The place must be another city than {city}."), city=policy.pack.city))
    if not form.place_mainland:
        out.append(refuse(policy.offsite.article_mainland, "place_mainland",
                          N_("Off-site filing is for mainland China only, not Hong Kong, Macao or Taiwan.")))
    return out


def institution_reasons(pos: int, code: str, inst: CandidateFacts | None, place_city: str,
                        policy: Policy) -> list[Reason]:
    """Whether ``inst`` may be filed as institution ``pos`` for ``place_city``
    (SZ-MT Art. 9, 10); the filing's picker offers only institutions with none."""
    art_who, art_form = policy.offsite.article_who, policy.offsite.article_form
    p = dict(pos=pos, code=code)
    if inst is None:
        return [refuse(art_form, "institutions", N_("Institution {pos}: no institution with code {code}."), **p)]
    out: list[Reason] = []
    if inst.kind not in MEDICAL_KINDS or not inst.active:
        out.append(refuse(art_form, "institutions",
                          N_("Institution {pos} ({code}) is not an active medical institution."), **p))
    if not inst.public:
        out.append(refuse(art_form, "institutions",
                          N_("Institution {pos} ({code}) is not public; only public medical institutions may be filed."), **p))
    if inst.level < policy.offsite.min_level:
        out.append(refuse(art_form, "institutions",
                          N_("Institution {pos} ({code}) is level {level}; township level ({min}) or higher is required."),
                          level=inst.level, min=policy.offsite.min_level, **p))
    if not inst.designated:
        out.append(refuse(art_who, "institutions",
                          N_("Institution {pos} ({code}) is not a designated medical insurance institution."), **p))
    if inst.city.strip().casefold() != place_city.strip().casefold():
        out.append(refuse(art_form, "institutions",
                          N_("Institution {pos} ({code}) is in {city}, not in {place}."),
                          city=inst.city, place=place_city, **p))
    return out


def _institution(pos: int, code: str, inst: CandidateFacts | None, form: FilingForm, policy: Policy) -> list[Reason]:
    out = institution_reasons(pos, code, inst, form.place_city, policy)
    if inst is None:
        return out
    p = dict(pos=pos, code=code)
    if code not in form.stamped_codes:
        out.append(refuse(policy.offsite.article_form, "stamps",
                          N_("Institution {pos} ({code}) has not stamped the registration form."), **p))
    return out


def _institutions(form: FilingForm, institutions: Mapping[str, CandidateFacts], policy: Policy) -> list[Reason]:
    art_form = policy.offsite.article_form
    need = policy.offsite.institutions
    codes = form.institution_codes
    out: list[Reason] = []
    if len(codes) != need:
        out.append(refuse(art_form, "institutions",
                          N_("Choose exactly {need} institutions; {got} given."), need=need, got=len(codes)))
    seen: set[str] = set()
    for pos, code in enumerate(codes, start=1):
        if code in seen:
            out.append(refuse(art_form, "institutions",
                              N_("Institution {pos} ({code}) is chosen twice; the institutions must be distinct."),
                              pos=pos, code=code))
            continue
        seen.add(code)
        out += _institution(pos, code, institutions.get(code), form, policy)
    return out


def _form(form: FilingForm, policy: Policy) -> list[Reason]:
    art_form = policy.offsite.article_form
    out: list[Reason] = []
    if form.form_copies != policy.offsite.form_copies:
        out.append(refuse(art_form, "form_copies",
                          N_("The registration form is filed in {need} copies; {got} given."),
                          need=policy.offsite.form_copies, got=form.form_copies))
    if not form.local_ss_stamp:
        out.append(refuse(art_form, "local_ss_stamp",
                          N_("The local social-security institution must examine and stamp the form.")))
    return out


def _filer(form: FilingForm, applicant: ApplicantFacts, on: date, policy: Policy) -> list[Reason]:
    art_form = policy.offsite.article_form
    if form.filed_by not in FILERS:
        return [refuse(art_form, "filed_by",
                       N_("Filed by {who} is unknown; use employer, self or agent."), who=form.filed_by)]
    if form.filed_by == "employer" and not (form.employer_name.strip() or applicant.employer.strip()):
        return [refuse(art_form, "employer_name", N_("Name the employer that files the form."))]
    if form.filed_by != "agent":
        return []
    out: list[Reason] = []
    if not form.agent_name.strip():
        out.append(refuse(art_form, "agent_name", N_("An agent files: the agent's name is required.")))
    try:
        validate_id_number(form.agent_id_number, today=on)
    except IdNumberError as exc:
        out.append(refuse(art_form, "agent_id_number",
                          N_("An agent files: the agent's ID number is not valid ({part})."), part=exc.part))
    phone = form.agent_phone.strip()
    if not _PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
        out.append(refuse(art_form, "agent_phone",
                          N_("An agent files: a phone number (at least 7 digits) is required.")))
    return out


def check_filing(applicant: ApplicantFacts, form: FilingForm, institutions: Mapping[str, CandidateFacts], *,
                 active_voucher: str | None, policy: Policy, on: date) -> Decision:
    """Every reason the filing is refused (or an ok decision).

    ``institutions`` maps the codes on the form to the institutions found;
    ``active_voucher`` is the voucher of the enrollee's active filing, if any
    (not counting one being replaced by a change of institutions).
    """
    art_who = policy.offsite.article_who
    reasons = _who(applicant, form.basis, policy)
    if active_voucher is not None:
        reasons.append(refuse(art_who, "enrollee",
                              N_("The enrollee already has an active off-site filing (voucher {voucher}); cancel it or change its institutions."),
                              voucher=active_voucher))
    reasons += _place(form, policy)
    reasons += _institutions(form, institutions, policy)
    reasons += _form(form, policy)
    reasons += _filer(form, applicant, on, policy)
    return Decision.of(reasons)


def check_cancel(*, status: str, filed_on: date, reason: str, on: date, policy: Policy) -> Decision:
    art_who = policy.offsite.article_who
    """Cancellation on return (SZ-MT Art. 9(3)): an active filing, a reason, a date not before filing."""
    reasons: list[Reason] = []
    if not FILING.can_fire("cancel", status):
        reasons.append(refuse(art_who, "status", N_("The filing is {status}, not active."), status=status))
    if not reason.strip():
        reasons.append(refuse(art_who, "reason",
                              N_("Give the reason for cancelling the filing (e.g. returned to work or settle in the city).")))
    if on < filed_on:
        reasons.append(refuse(art_who, "on",
                              N_("The cancellation date {on} is before the filing date {filed}."), on=on, filed=filed_on))
    return Decision.of(reasons)
