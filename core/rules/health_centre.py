"""Community health centre selection (SZ-MT Art. 4).

``inpatient`` and ``migrant`` enrollees select one community health centre in
the city; comprehensive enrollees do not select one. Who applies:

1. the employer, for employed ``inpatient`` enrollees and for ``migrant``
   enrollees (SZ-MT Art. 4(1));
2. the village or joint-stock company, for rural urbanised persons insured
   through it (SZ-MT Art. 4(2));
3. the enrollee, by place of residence, for everyone else (SZ-MT Art. 4(3)).

**Reading:** the database does not mark rural urbanised persons, so a
``village`` application is accepted for any enrollee when the village or
company is named; ``self`` is refused for enrollees whose employer must apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import Reason
from core.i18n import N_, Code
from core.models.base import Employment, InstitutionKind, Scheme
from core.policy import Policy
from core.rules.decision import Decision, refuse

APPLICANTS = ("employer", "village", "self")
SCHEMES = frozenset({Scheme.INPATIENT, Scheme.MIGRANT})


@dataclass(frozen=True)
class SelectorFacts:
    scheme: str
    employment: str
    employer: str = ""


@dataclass(frozen=True)
class CentreFacts:
    code: str
    name: str
    kind: str
    city: str
    active: bool = True


@dataclass(frozen=True)
class CurrentSelection:
    code: str
    selected_on: date


def employer_applies(enrollee: SelectorFacts) -> bool:
    """SZ-MT Art. 4(1): employed inpatient-scheme enrollees and migrant workers."""
    return enrollee.scheme == Scheme.MIGRANT or enrollee.employment == Employment.EMPLOYED


def _applicant(enrollee: SelectorFacts, applicant: str, applicant_name: str, art: str) -> list[Reason]:
    if applicant not in APPLICANTS:
        return [refuse(art, "applicant", N_("Applicant {who} is unknown; use employer, village or self."), who=applicant)]
    if applicant == "employer":
        if not employer_applies(enrollee):
            return [refuse(art, "applicant",
                           N_("The employer applies only for employed or migrant-worker enrollees; this enrollee is {employment}."),
                           employment=Code("employment", enrollee.employment))]
        if not (applicant_name.strip() or enrollee.employer.strip()):
            return [refuse(art, "applicant_name", N_("Name the employer that applies."))]
        return []
    if applicant == "village":
        if not applicant_name.strip():
            return [refuse(art, "applicant_name", N_("Name the village or joint-stock company that applies."))]
        return []
    if employer_applies(enrollee):
        return [refuse(art, "applicant",
                       N_("For employed and migrant-worker enrollees the employer applies, not the enrollee."))]
    return []


def check_selection(enrollee: SelectorFacts, centre: CentreFacts, *, applicant: str, applicant_name: str = "",
                    current: CurrentSelection | None, policy: Policy, on: date) -> Decision:
    art = policy.health_centre.article
    reasons: list[Reason] = []
    if enrollee.scheme not in SCHEMES:
        reasons.append(refuse(art, "scheme",
                              N_("Only inpatient and migrant-scheme enrollees select a community health centre; this enrollee is {scheme}."),
                              scheme=Code("scheme", enrollee.scheme)))
    if centre.kind != InstitutionKind.COMMUNITY_HEALTH_CENTRE or not centre.active:
        reasons.append(refuse(art, "institution",
                              N_("{name} ({code}) is not an active community health centre."),
                              name=centre.name, code=centre.code))
    if centre.city.strip().casefold() != policy.pack.city.casefold():
        reasons.append(refuse(art, "institution", N_("{name} ({code}) is in {place}, not in {city}."),
                              name=centre.name, code=centre.code, place=centre.city, city=policy.pack.city))
    reasons += _applicant(enrollee, applicant, applicant_name, art)
    if current is not None and current.code == centre.code:
        reasons.append(refuse(art, "institution", N_("{code} is already the selected centre (since {since})."),
                              code=centre.code, since=current.selected_on))
    elif current is not None and on < current.selected_on:
        reasons.append(refuse(art, "on",
                              N_("{on} is before the current selection of {since}."), on=on, since=current.selected_on))
    return Decision.of(reasons)
