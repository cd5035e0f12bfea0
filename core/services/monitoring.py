"""Monthly monitoring scan and manual triggers (SZ-MT Art. 13; RULES.md §11).

The scan runs in the database (SQLAlchemy Core, portable between SQLite and
PostgreSQL) and returns only the enrollees who trip a trigger, with the
figures that tripped it; it never loads expense rows into Python.

Visit counting (see :mod:`core.rules.monitoring` for the definition) is done
so that the recursive part stays tiny:

1. one row per enrollee and visit instant, read in (enrollee, time) order
   from the covering index ``ix_expense_enrollee_time``; ``LAG`` gives the gap
   to the previous visit;
2. a visit more than the merge span after the previous visit (counted or
   not) starts a *chain* and always counts; a running ``MAX`` carries the
   chain's start time to every visit of the chain;
3. visits within the span of their chain's start never count; only the
   rest ("late" visits, e.g. the 6h visit of 0h, 3h, 6h) need the greedy
   walk, which a recursive CTE does visit by visit, carrying the time of the
   last counted visit. Its depth is the longest run of late visits in one
   chain, not the number of visits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, exists, func, literal, or_, select, text, type_coerce, union_all
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from core import audit
from core.auth import Actor
from core.errors import NotFound
from core.i18n import N_
from core.models import Certificate, Enrollee, ExpenseRecord, MonitoringFlag
from core.policy import Policy, Trigger, fen_to_yuan, stamp
from core.rules import monitoring as rules
from core.rules.monitoring import Month, ScanWindows
from core.sync.ops import operation

X = ExpenseRecord.__table__  # type: ignore[attr-defined]
E = Enrollee.__table__  # type: ignore[attr-defined]
C = Certificate.__table__  # type: ignore[attr-defined]
F = MonitoringFlag.__table__  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- SQL helpers


def _enrollee_filter(enrollee_id: uuid.UUID | None) -> list[ColumnElement[bool]]:
    return [X.c.enrollee_id == enrollee_id] if enrollee_id is not None else []


# --------------------------------------------------------------------------- result shapes


@dataclass(frozen=True)
class Hit:
    """One enrollee tripping one numeric trigger in the scanned month."""

    enrollee_id: uuid.UUID
    enrollee_name: str
    branch: str
    scheme: str
    month: str
    trigger: str
    number: int
    kind: str
    figure: int  # visits, or fen
    threshold: int  # same unit; the trigger is "more than" this
    unit: str  # visits | fen
    article: str

    @property
    def msgid(self) -> str:
        if self.unit == "visits":
            return N_("Trigger {number}: {figure} visits, more than {threshold}.")
        return N_("Trigger {number}: {figure} yuan, more than {threshold} yuan.")

    @property
    def params(self) -> dict[str, Any]:
        if self.unit == "visits":
            return {"number": self.number, "figure": self.figure, "threshold": self.threshold}
        return {"number": self.number, "figure": str(fen_to_yuan(self.figure)),
                "threshold": str(fen_to_yuan(self.threshold))}

    def message(self, lang: str = "en") -> str:
        from core.i18n import translate

        return translate(self.msgid, lang, **self.params)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        out: dict[str, Any] = {
            "enrollee_id": str(self.enrollee_id),
            "enrollee_name": self.enrollee_name,
            "branch": self.branch,
            "scheme": self.scheme,
            "month": self.month,
            "trigger": self.trigger,
            "number": self.number,
            "kind": self.kind,
            "unit": self.unit,
            "figure": self.figure,
            "threshold": self.threshold,
            "article": self.article,
            "message": self.message(lang),
        }
        if self.unit == "fen":
            out["figure_yuan"] = str(fen_to_yuan(self.figure))
            out["threshold_yuan"] = str(fen_to_yuan(self.threshold))
        return out


@dataclass(frozen=True)
class FlagRow:
    """A manual trigger recorded for the month."""

    id: uuid.UUID
    enrollee_id: uuid.UUID
    enrollee_name: str
    trigger: str
    number: int
    month: str
    detail: str
    recorded_by: str
    case_id: uuid.UUID | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "enrollee_id": str(self.enrollee_id), "enrollee_name": self.enrollee_name,
                "trigger": self.trigger, "number": self.number, "month": self.month, "detail": self.detail,
                "recorded_by": self.recorded_by, "case_id": str(self.case_id) if self.case_id else None}


@dataclass(frozen=True)
class ScanResult:
    month: str
    windows: ScanWindows
    hits: list[Hit]
    manual: list[FlagRow] = field(default_factory=list)
    article: str = ""  # the pack's monitoring article

    @property
    def enrollee_ids(self) -> set[uuid.UUID]:
        return {h.enrollee_id for h in self.hits} | {f.enrollee_id for f in self.manual}

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        w = self.windows
        return {
            "month": self.month,
            "article": self.article,
            "windows": {
                "month": [w.start.isoformat(), w.end.isoformat()],
                "visits": [w.visits_start.isoformat(), w.end.isoformat()],
                "year": [w.year_start.isoformat(), w.end.isoformat()],
            },
            "enrollees": len(self.enrollee_ids),
            "hits": [h.as_dict(lang) for h in self.hits],
            "manual": [f.as_dict() for f in self.manual],
        }


# --------------------------------------------------------------------------- visits


def _visit_figures(session: Session, w: ScanWindows, merge: int, triggers: list[Trigger],
                   enrollee_id: uuid.UUID | None) -> list[Any]:
    """Rows (enrollee columns, visits_month, visits_3months) for enrollees
    over a visits threshold."""
    # One row per enrollee and visit time (visits at the same instant are one
    # visit), so (e, at) orders the rows totally. The expense table is
    # clustered on (enrollee, time) (migration 0008_compact_expense): the
    # rows are read in that order from the table alone, grouped and windowed
    # without a sort; the enrollee is joined only for the enrollees with hits.
    t = type_coerce(X.c.occurred_at, BigInteger)  # stored as seconds (core.models.storage.LocalEpoch)
    visits = select(
        X.c.enrollee_id.label("e"),
        t.label("at"),
        t.label("t"),
        case((X.c.occurred_at >= w.start, 1), else_=0).label("in_month"),
        (t - func.lag(t).over(partition_by=X.c.enrollee_id, order_by=t)).label("gap"),
    ).where(
        X.c.visit_kind == rules.GENERAL_KIND,
        X.c.occurred_at >= w.visits_start,
        X.c.occurred_at < w.end,
        *_enrollee_filter(enrollee_id),
    ).group_by(X.c.enrollee_id, X.c.occurred_at).cte("mt_visits")

    # A chain starts at a visit more than the merge span after the previous
    # visit; chain_start is the time of the current chain's first visit.
    starts = visits.c.gap.is_(None) | (visits.c.gap > merge)
    chained = select(
        visits.c.e, visits.c.at, visits.c.t, visits.c.in_month,
        case((starts, 1), else_=0).label("is_start"),
        func.max(case((starts, visits.c.t), else_=None)).over(
            partition_by=visits.c.e, order_by=visits.c.at, rows=(None, 0)
        ).label("chain_start"),
    ).cte("mt_chained")

    # Visits of a chain within the span of its first visit never count; the
    # rest ("late" visits, rare) are walked in order. The first late visit
    # of a chain always counts.
    late = select(
        chained.c.e, chained.c.chain_start, chained.c.t, chained.c.in_month,
        func.row_number().over(partition_by=(chained.c.e, chained.c.chain_start),
                               order_by=chained.c.at).label("rn"),
    ).where(chained.c.t - chained.c.chain_start > merge).cte("mt_late")

    walk = select(
        late.c.e, late.c.chain_start, late.c.rn, late.c.t.label("last_counted"), late.c.in_month,
        literal(1, Integer).label("counted"),
    ).where(late.c.rn == 1).cte("mt_walk", recursive=True)
    counts = late.c.t - walk.c.last_counted > merge
    walk = walk.union_all(
        select(
            late.c.e, late.c.chain_start, late.c.rn,
            case((counts, late.c.t), else_=walk.c.last_counted),
            late.c.in_month,
            case((counts, 1), else_=0),
        ).where(
            late.c.e == walk.c.e,
            late.c.chain_start == walk.c.chain_start,
            late.c.rn == walk.c.rn + 1,
        )
    )

    counted = union_all(
        select(chained.c.e, chained.c.in_month).where(chained.c.is_start == 1),
        select(walk.c.e, walk.c.in_month).where(walk.c.counted == 1),
    ).subquery("mt_counted")

    visits_month = func.sum(counted.c.in_month)
    visits_window = func.count()
    over = []
    for trig in triggers:
        figure = visits_month if trig.kind == "visits_month" else visits_window
        over.append(figure > rules.limit_of(trig))
    agg = (
        select(counted.c.e, visits_month.label("visits_month"), visits_window.label("visits_3months"))
        .group_by(counted.c.e)
        .having(or_(*over))
        .subquery("mt_visit_agg")
    )
    stmt = select(E.c.id, E.c.name, E.c.branch, E.c.scheme, agg.c.visits_month, agg.c.visits_3months).join(
        agg, agg.c.e == E.c.id
    )
    return list(session.execute(stmt))


# --------------------------------------------------------------------------- costs


def _holds(rule: rules.OrganTherapy, e: ColumnElement[Any]) -> ColumnElement[bool]:
    """The enrollee holds a confirmed certificate of the rule's disease and organ."""
    return exists(select(literal(1)).where(
        C.c.enrollee_id == e,
        C.c.disease_code == rule.disease_code,
        C.c.organ.in_(rule.organs),
        C.c.confirmed_on.is_not(None),
    ))


def _therapy_totals(policy: Policy, therapies: list[str], sums: dict[str, ColumnElement[Any]],
                    e: ColumnElement[Any]) -> dict[str, ColumnElement[Any]]:
    """Each therapy's month total from the per-disease month sums ``sums``.

    An expense of a disease takes the therapy of the first organ rule whose
    certificate the enrollee holds, else the disease's own therapy
    (:func:`core.rules.monitoring.therapy_map`). Whether a certificate is
    held depends on the enrollee only, not on the row, so the choice is made
    once per enrollee and disease, and only where the disease has a sum."""
    tmap = rules.therapy_map(policy)
    totals: dict[str, list[ColumnElement[Any]]] = {th: [] for th in therapies}
    for code, total in sums.items():
        organ_rules = [r for r in tmap.organ_rules if r.disease_code == code]
        own = next((th for th, codes in tmap.disease_codes.items() if code in codes), None)
        whens = [(_holds(r, e), r.therapy) for r in organ_rules]
        for th in therapies:
            if not whens:
                if own == th:
                    totals[th].append(total)
                continue
            owner = case(*whens, else_=own)
            totals[th].append(case((and_(total > 0, owner == th), total), else_=0))
    zero = literal(0, BigInteger)
    out = {}
    for th, parts in totals.items():
        expr: ColumnElement[Any] = zero
        for part in parts:
            expr = expr + part
        out[th] = expr
    return out


def _cost_figures(session: Session, policy: Policy, w: ScanWindows, triggers: list[Trigger],
                  enrollee_id: uuid.UUID | None) -> list[Any]:
    """Rows (enrollee columns, one column per cost figure) for enrollees over
    a cost threshold: one pass over the year's outpatient rows in (enrollee,
    time) order, grouped by enrollee without a sort."""
    in_month = X.c.occurred_at >= w.start
    therapies = sorted({t.therapy for t in triggers if t.kind == "therapy_cost_month" and t.therapy})
    tmap = rules.therapy_map(policy)
    codes = sorted({c for cs in tmap.disease_codes.values() for c in cs} | {r.disease_code for r in tmap.organ_rules}
                   ) if therapies else []

    def total(cond: ColumnElement[bool] | None) -> ColumnElement[Any]:
        return func.coalesce(func.sum(X.c.amount_fen if cond is None else case((cond, X.c.amount_fen), else_=0)), 0)

    figures = {
        "cost_month": total(in_month),
        "general_cost_year": total(X.c.visit_kind == rules.GENERAL_KIND),
        "inpatient_scheme_cost_year": total(None),
    }
    names = {key: f"f{i}" for i, key in enumerate(figures)}
    disease_cols = {code: f"d{i}" for i, code in enumerate(codes)}
    agg = (
        select(X.c.enrollee_id.label("e"), *(expr.label(names[key]) for key, expr in figures.items()),
               *(total(and_(in_month, X.c.disease_code == code)).label(col) for code, col in disease_cols.items()))
        .where(
            X.c.visit_kind.in_(rules.OUTPATIENT_KINDS),
            X.c.occurred_at >= w.year_start,
            X.c.occurred_at < w.end,
            *_enrollee_filter(enrollee_id),
        )
        .group_by(X.c.enrollee_id)
        .subquery("mt_cost_agg")
    )
    cols: dict[str, ColumnElement[Any]] = {key: agg.c[names[key]] for key in figures}
    sums = {code: agg.c[col] for code, col in disease_cols.items()}
    for th, expr in _therapy_totals(policy, therapies, sums, agg.c.e).items():
        cols[f"therapy:{th}"] = expr
    over = []
    for trig in triggers:
        cond = cols[rules.figure_key(trig)] > rules.limit_of(trig)
        if trig.kind == "inpatient_scheme_cost_year":
            cond = and_(E.c.scheme == "inpatient", cond)
        over.append(cond)
    keys = list(cols)
    stmt = (
        select(E.c.id, E.c.name, E.c.branch, E.c.scheme, *(cols[key].label(f"c{i}") for i, key in enumerate(keys)))
        .select_from(agg.join(E, E.c.id == agg.c.e))
        .where(or_(*over))
    )
    return [(row, {key: int(row[i + 4]) for i, key in enumerate(keys)}) for row in session.execute(stmt)]


# --------------------------------------------------------------------------- scan


def _manual_flags(session: Session, policy: Policy, month: Month,
                  enrollee_id: uuid.UUID | None) -> list[FlagRow]:
    stmt = select(F.c.id, F.c.enrollee_id, E.c.name, F.c.trigger, F.c.month, F.c.detail, F.c.recorded_by,
                  F.c.case_id).join(E, E.c.id == F.c.enrollee_id).where(
        F.c.month == month.label, F.c.source == "manual")
    if enrollee_id is not None:
        stmt = stmt.where(F.c.enrollee_id == enrollee_id)
    out = []
    for r in session.execute(stmt.order_by(E.c.name, F.c.trigger)):
        trig = policy.trigger(r.trigger)
        out.append(FlagRow(id=r.id, enrollee_id=r.enrollee_id, enrollee_name=r.name, trigger=r.trigger,
                           number=trig.number if trig else 0, month=r.month, detail=r.detail,
                           recorded_by=r.recorded_by, case_id=r.case_id))
    return out


def _no_jit(session: Session) -> None:
    """PostgreSQL: no JIT compilation for the scan's statements (for the
    rest of this transaction). Their CASE-per-therapy aggregates and
    certificate subplans are priced in the millions, so the planner asks
    LLVM for fully optimised code: about 3 s of compiling per scan on the
    bench machine, more than the 1M-row scan itself (bench/scan_pg.py)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def scan(session: Session, policy: Policy, month: Month | str, *,
         enrollee_id: uuid.UUID | None = None) -> ScanResult:
    """Every enrollee tripping a numeric trigger in ``month`` (SZ-MT Art. 13),
    with the figures, plus the manual triggers recorded for the month.
    ``enrollee_id`` limits the scan to one enrollee (indexed)."""
    if isinstance(month, str):
        month = rules.parse_month(month, article=policy.monitoring.article)
    _no_jit(session)
    w = rules.scan_windows(month, policy)
    numeric = rules.numeric_triggers(policy)
    visit_triggers = [t for t in numeric if t.kind in rules.VISIT_KINDS]
    cost_triggers = [t for t in numeric if t.kind in rules.COST_KINDS]
    hits: list[Hit] = []

    def add(row: Any, figures: dict[str, int], triggers: list[Trigger]) -> None:
        for trig, figure in rules.evaluate(figures, row.scheme, triggers):
            hits.append(Hit(
                enrollee_id=row.id, enrollee_name=row.name, branch=row.branch, scheme=row.scheme,
                month=month.label, trigger=trig.code, number=trig.number, kind=trig.kind, figure=figure,
                threshold=rules.limit_of(trig), unit=rules.unit_of(trig), article=trig.article,
            ))

    if visit_triggers:
        for row in _visit_figures(session, w, rules.merge_seconds(policy), visit_triggers, enrollee_id):
            add(row, {"visits_month": int(row.visits_month), "visits_3months": int(row.visits_3months)},
                visit_triggers)
    if cost_triggers:
        for row, figures in _cost_figures(session, policy, w, cost_triggers, enrollee_id):
            add(row, figures, cost_triggers)
    hits.sort(key=lambda h: (h.enrollee_name, str(h.enrollee_id), h.number))
    return ScanResult(month=month.label, windows=w, hits=hits,
                      manual=_manual_flags(session, policy, month, enrollee_id), article=policy.monitoring.article)


def hits_for(session: Session, policy: Policy, enrollee_id: uuid.UUID, month: Month | str) -> list[Hit]:
    """The numeric triggers one enrollee trips in ``month``."""
    return scan(session, policy, month, enrollee_id=enrollee_id).hits


# --------------------------------------------------------------------------- manual triggers


@operation("monitoring.record_manual_trigger")
def record_manual_trigger(session: Session, actor: Actor, policy: Policy, *, enrollee_id: uuid.UUID,
                          trigger: str, detail: str, on: date, month: Month | str | None = None,
                          reason: str = "") -> MonitoringFlag:
    """Record a manual trigger (SZ-MT Art. 13, triggers 9-13): false
    enrolment, card lent or borrowed, card left at an institution, a report,
    another violation. ``month`` defaults to the month of ``on``."""
    art = policy.monitoring.article
    actor.require("record", article=art, action=N_("record a monitoring trigger"))
    m = rules.parse_month(month, article=art) if isinstance(month, str) else (month or Month.of(on))
    enrollee = session.get(Enrollee, enrollee_id)
    if enrollee is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with key {ref}."), ref=str(enrollee_id))
    rules.check_manual_trigger(policy, trigger, m, on, detail).raise_if_refused()
    flag = MonitoringFlag(enrollee_id=enrollee.id, trigger=trigger, month=m.label, detail=detail.strip(),
                          source="manual", recorded_by=actor.username)
    stamp(flag, policy)
    audit.created(session, actor, flag, "monitoring.flag", reason=reason or detail.strip(),
                  article=art)
    return flag
