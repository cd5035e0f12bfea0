"""Monitoring triggers (SZ-MT Art. 13; RULES.md §11).

Pure rules: months and scan windows, the disease-to-therapy map, the trigger
limits and the strict "more than" test. The service
(:mod:`core.services.monitoring`) turns these into SQL so that the scan runs
in the database and returns only the hits.

Readings taken:

* **Visit counting** (triggers 1 and 2, pack ``visit_merge_hours``): an
  enrollee's general outpatient visits (``visit_kind = general_outpatient``)
  are taken in time order from the first instant of the scan window (the
  scanned month and the ``consecutive_months - 1`` months before it). The
  first visit counts. Each later visit counts if it starts **more than**
  ``visit_merge_hours`` after the last *counted* visit; otherwise it belongs
  to that counted visit's period and does not count (greedy episodes). So
  visits at 08:00, 11:00 and 13:00 count twice (08:00 and 13:00), and a visit
  exactly 4h00m after the counted one does **not** count again (it is still
  "within one 4-hour period"). Times are compared to the second. The month
  figure is the number of counted visits in the scanned month, the
  three-month figure the number in the whole window; episodes never reach
  back before the window's first day.
* **Outpatient costs** (triggers 3, 5, 6-8) are the costs of visit kinds in
  :data:`OUTPATIENT_KINDS` (general and major-disease outpatient, emergency);
  inpatient stays and retail pharmacy purchases are not outpatient treatment.
  Trigger 4 counts general outpatient costs only.
* **Medical insurance year** (triggers 4, 5): starts on the first day of the
  pack's ``benefit_year_start_month``; the figure is year-to-date through the
  end of the scanned month. Trigger 5 applies to enrollees whose scheme is
  ``inpatient`` at the time of the scan.
* **Therapy** (triggers 6-8): an expense's therapy is the pack's
  ``Disease.therapy`` of its ``disease_code``, except that where a disease's
  organ carries its own therapy (the kidney organ of the transplant disease
  carries ``kidney_transplant``) the expense takes the organ's therapy when
  the enrollee holds a confirmed certificate for that disease and organ.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.errors import BadInput, DomainError
from core.i18n import N_
from core.models import Scheme, VisitKind
from core.policy import Policy, Trigger, yuan_to_fen
from core.rules.decision import Decision, allow, refuse


GENERAL_KIND = VisitKind.GENERAL_OUTPATIENT.value
OUTPATIENT_KINDS: tuple[str, ...] = (
    VisitKind.GENERAL_OUTPATIENT.value,
    VisitKind.MAJOR_DISEASE_OUTPATIENT.value,
    VisitKind.EMERGENCY.value,
)

VISIT_KINDS = frozenset({"visits_month", "visits_3months"})
COST_KINDS = frozenset({"cost_month", "general_cost_year", "inpatient_scheme_cost_year", "therapy_cost_month"})
MANUAL_KIND = "manual"

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --------------------------------------------------------------------------- months


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, d: date) -> "Month":
        return cls(d.year, d.month)

    def shift(self, months: int) -> "Month":
        total = self.year * 12 + (self.month - 1) + months
        return Month(total // 12, total % 12 + 1)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.label


def parse_month(text: str, field: str = "month", article: str = "") -> Month:
    """``YYYY-MM`` → :class:`Month`; a DomainError naming ``field`` otherwise."""
    m = _MONTH_RE.match((text or "").strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise BadInput.one(article, field,
                           N_("{value} is not a month; write it as YYYY-MM, e.g. 2026-10."),
                              value=text)
    return Month(int(m.group(1)), int(m.group(2)))


def benefit_year_start(month: Month, start_month: int) -> Month:
    """First month of the medical insurance year that contains ``month``."""
    year = month.year if month.month >= start_month else month.year - 1
    return Month(year, start_month)


@dataclass(frozen=True)
class ScanWindows:
    """Half-open local-time ranges ``[start, end)`` the scan reads."""

    month: Month
    start: datetime  # first instant of the scanned month
    end: datetime  # first instant of the next month
    visits_start: datetime  # first instant of the consecutive-months window
    year_start: datetime  # first instant of the medical insurance year

    @property
    def earliest(self) -> datetime:
        return min(self.visits_start, self.year_start)


def _midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day)


def scan_windows(month: Month, policy: Policy) -> ScanWindows:
    span = policy.monitoring.consecutive_months
    return ScanWindows(
        month=month,
        start=_midnight(month.first),
        end=_midnight(month.shift(1).first),
        visits_start=_midnight(month.shift(1 - span).first),
        year_start=_midnight(benefit_year_start(month, policy.benefits.benefit_year_start_month).first),
    )


def merge_seconds(policy: Policy) -> int:
    """``visit_merge_hours`` in whole seconds."""
    return int(Decimal(policy.monitoring.visit_merge_hours) * 3600)


# --------------------------------------------------------------------------- therapy


@dataclass(frozen=True)
class OrganTherapy:
    """Expenses of ``disease_code`` take ``therapy`` when the enrollee holds a
    confirmed certificate for the disease with one of ``organs``."""

    disease_code: str
    organs: tuple[str, ...]
    therapy: str


@dataclass(frozen=True)
class TherapyMap:
    organ_rules: tuple[OrganTherapy, ...]  # checked first
    disease_codes: Mapping[str, tuple[str, ...]]  # therapy -> disease codes


def therapy_map(policy: Policy) -> TherapyMap:
    """The pack's disease (and organ) therapies, for an SQL CASE."""
    organ_rules: list[OrganTherapy] = []
    by_therapy: dict[str, list[str]] = {}
    for d in policy.diseases:
        overrides: dict[str, list[str]] = {}
        for o in d.organs:
            if o.therapy and o.therapy != d.therapy:
                overrides.setdefault(o.therapy, []).append(o.code)
        organ_rules += [OrganTherapy(d.code, tuple(organs), t) for t, organs in sorted(overrides.items())]
        if d.therapy != "none":
            by_therapy.setdefault(d.therapy, []).append(d.code)
    return TherapyMap(tuple(organ_rules), {t: tuple(c) for t, c in sorted(by_therapy.items())})


# --------------------------------------------------------------------------- triggers


def numeric_triggers(policy: Policy) -> list[Trigger]:
    return [t for t in policy.monitoring.triggers if t.kind != MANUAL_KIND]


def manual_triggers(policy: Policy) -> list[Trigger]:
    return [t for t in policy.monitoring.triggers if t.kind == MANUAL_KIND]


def figure_key(trigger: Trigger) -> str:
    """Name of the figure a trigger is tested on."""
    return f"therapy:{trigger.therapy}" if trigger.kind == "therapy_cost_month" else trigger.kind


def unit_of(trigger: Trigger) -> str:
    return "visits" if trigger.kind in VISIT_KINDS else "fen"


def limit_of(trigger: Trigger) -> int:
    """The threshold in the figure's unit: visits, or fen for costs."""
    if trigger.threshold is None:
        raise ValueError(f"trigger {trigger.code} has no threshold")
    if trigger.kind in VISIT_KINDS:
        return int(trigger.threshold)
    return yuan_to_fen(trigger.threshold)


def applies_to(trigger: Trigger, scheme: str) -> bool:
    """Trigger 5 watches ``inpatient``-scheme enrollees only."""
    return trigger.kind != "inpatient_scheme_cost_year" or scheme == Scheme.INPATIENT.value


def tripped(trigger: Trigger, figure: int) -> bool:
    """"More than" thresholds are strict: 15 visits do not trip "more than 15"."""
    return figure > limit_of(trigger)


def evaluate(figures: Mapping[str, int], scheme: str, triggers: list[Trigger]) -> list[tuple[Trigger, int]]:
    """The triggers (with their figure) that ``figures`` trip, in trigger order."""
    out = []
    for t in triggers:
        key = figure_key(t)
        if key in figures and applies_to(t, scheme) and tripped(t, int(figures[key])):
            out.append((t, int(figures[key])))
    return out


def check_manual_trigger(policy: Policy, code: str, month: Month, on: date, detail: str) -> Decision:
    """A caseworker records one of the pack's manual triggers (9-13) for a
    month that has begun, saying what happened."""
    art = policy.monitoring.article
    reasons = []
    trigger = policy.trigger(code)
    if trigger is None or trigger.kind != MANUAL_KIND:
        codes = ", ".join(t.code for t in manual_triggers(policy))
        reasons.append(refuse(art, "trigger",
                              N_("{code} is not a trigger a caseworker records; use one of {codes}."),
                              code=code, codes=codes))
    if month.first > on:
        reasons.append(refuse(art, "month", N_("{month} has not begun yet."), month=month.label))
    if not detail.strip():
        reasons.append(refuse(art, "detail", N_("Say what was observed or reported.")))
    if not reasons:
        reasons.append(allow(art, "trigger", N_("Trigger {code} recorded."), code=code))
    return Decision.of(reasons)
