"""Hospital stays (issue 13): admission and discharge, at the counter or from
an institution's list. ZZ §4 pays no chronic-disease outpatient benefit while
the enrollee is in hospital (:func:`core.rules.eligibility.hospital_reason`);
Shenzhen records the stay under SZ-MT Art. 7 (hospitalisation at a
designated institution). The article is the pack's (``treatment.article_stay``).

Pure: the enrollee's other stays, the dates and the pack in; a Decision out.

Readings taken:

- A stay runs from ``admitted_on`` to the day before ``discharged_on`` (the
  discharge day is an outpatient day again, as eligibility reads it); a stay
  discharged the day it began is a day case and covers no day.
- Two stays of one enrollee never overlap, and an open stay (not yet
  discharged) blocks any later admission until it is discharged.
- Neither date is after the business date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.errors import Reason
from core.i18n import N_
from core.policy import Policy
from core.rules.decision import Decision, refuse
from core.rules.eligibility import StayFacts


def article(policy: Policy) -> str:
    return policy.benefits.article_hospitalised or policy.treatment.article_stay or ""


def _overlaps(a: StayFacts, admitted: date, discharged: date | None) -> bool:
    a_end = a.discharged_on  # exclusive; None = still in
    return (a_end is None or admitted < a_end) and (discharged is None or a.admitted_on < discharged) \
        or a.admitted_on == admitted


def check_stay(others: Sequence[StayFacts], admitted_on: date, discharged_on: date | None, *, policy: Policy,
               today: date) -> Decision:
    """May a stay from ``admitted_on`` (to ``discharged_on``, None = still in)
    be recorded beside the enrollee's ``others``?"""
    art = article(policy)
    reasons: list[Reason] = []
    if admitted_on > today:
        reasons.append(refuse(art, "admitted_on", N_("The admission date {day} is after today ({today})."),
                              day=admitted_on.isoformat(), today=today.isoformat()))
    if discharged_on is not None:
        if discharged_on < admitted_on:
            reasons.append(refuse(art, "discharged_on", N_("The discharge date {day} is before the admission date {admitted}."),
                                  day=discharged_on.isoformat(), admitted=admitted_on.isoformat()))
        if discharged_on > today:
            reasons.append(refuse(art, "discharged_on", N_("The discharge date {day} is after today ({today})."),
                                  day=discharged_on.isoformat(), today=today.isoformat()))
    for o in others:
        if _overlaps(o, admitted_on, discharged_on):
            until = o.discharged_on.isoformat() if o.discharged_on else "-"
            reasons.append(refuse(art, "admitted_on",
                                  N_("The enrollee's stay from {admitted} (discharged {until}) overlaps these dates."),
                                  admitted=o.admitted_on.isoformat(), until=until))
    return Decision.of(reasons)


def check_discharge(stay: StayFacts | None, discharged_on: date, *, policy: Policy, today: date,
                    others: Sequence[StayFacts] = ()) -> Decision:
    """Discharge of the enrollee's open stay on ``discharged_on``."""
    art = article(policy)
    if stay is None or stay.discharged_on is not None:
        return Decision.of([refuse(art, "stay", N_("The enrollee is not in hospital: there is no open stay to discharge."))])
    return check_stay(others, stay.admitted_on, discharged_on, policy=policy, today=today)
