"""Everything due, in one list sorted by due date (RULES.md §4, §11).

Item kinds: notices whose deadline passed without an explanation,
explanations waiting for a judgement, verifications, decisions and
resumptions due (SZ-MT Art. 14, 15), certificates in their re-application
window with no renewal drafted (SZ-MD Art. 12) and hospitals' monthly batches
of originals not received (SZ-MD Art. 4). See :mod:`core.rules.worklist` for
the readings.

Built to scale, O(log n + k): each kind is one indexed, filtered SQL query
read in due-date order and stopped after ``limit + 1`` rows (certificates
by the due-date index, ``ix_certificate_valid_until``); the kinds are merged
and cut to ``limit``. Nothing is counted: when no kind had more than
``limit`` rows the total is exact (every row was read), otherwise it is
unknown ("200 of many") and :attr:`Worklist.total` is None.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, String, exists, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session

from core.i18n import Bilingual
from core.i18n import translate
from core.models import (
    Certificate,
    Enrollee,
    Institution,
    InvestigationCase,
    MonthlyBatch,
    Replacement,
)
from core.policy import Policy
from core.rules import worklist as rules
from core.rules.certificates import renewal_window
from core.rules.investigations import OUTCOME_NO_VIOLATION
from core.workflows import CASE
from core.workflows.definitions import CERT_COUNTS_AS_RENEWAL, CERT_RENEWABLE

IC = InvestigationCase.__table__  # type: ignore[attr-defined]
E = Enrollee.__table__  # type: ignore[attr-defined]
C = Certificate.__table__  # type: ignore[attr-defined]
B = MonthlyBatch.__table__  # type: ignore[attr-defined]
I = Institution.__table__  # type: ignore[attr-defined]  # noqa: E741
R = Replacement.__table__  # type: ignore[attr-defined]

DEFAULT_LIMIT = 200

# a drafted renewal that still counts (a withdrawn, invalidated or void one does not): the machine's tag
RENEWAL_STATUSES = tuple(sorted(CERT_COUNTS_AS_RENEWAL))


def _can(event: str):
    """SQL: the case is in a state the case machine lets ``event`` fire from."""
    return IC.c.status.in_(sorted(CASE.sources(event)))


class year_month(FunctionElement):  # noqa: N801 - reads as an SQL function
    """``YYYY-MM`` of a date column."""

    type = String()
    inherit_cache = True
    name = "year_month"


@compiles(year_month)
def _ym_default(element, compiler, **kw) -> str:  # PostgreSQL and others
    return "to_char(%s, 'YYYY-MM')" % compiler.process(element.clauses, **kw)


@compiles(year_month, "sqlite")
def _ym_sqlite(element, compiler, **kw) -> str:
    return "substr(%s, 1, 7)" % compiler.process(element.clauses, **kw)


# --------------------------------------------------------------------------- shapes


@dataclass(frozen=True)
class WorkItem:
    kind: str
    due: date
    provisional: bool
    overdue: bool
    enrollee_id: uuid.UUID | None
    enrollee_name: str
    record: str  # case number, certificate number, or "<institution code> <month>"
    record_id: str
    branch: str
    article: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return translate(self.msgid, lang, **self.params)

    def sort_key(self) -> tuple:
        return (self.due, rules.KINDS.index(self.kind), self.record)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "provisional": self.provisional,
            "overdue": self.overdue,
            "enrollee_id": str(self.enrollee_id) if self.enrollee_id else None,
            "enrollee_name": self.enrollee_name,
            "record": self.record,
            "record_id": self.record_id,
            "branch": self.branch,
            "article": self.article,
            "msgid": self.msgid,
            "params": self.params,
            "message": self.message(lang),
        }


@dataclass(frozen=True)
class Worklist:
    on: date
    items: list[WorkItem]
    total: int | None  # None: more than ``limit`` of one kind alone, not counted
    limit: int

    @property
    def more(self) -> int | None:
        """Items due that did not fit under ``limit`` (None: some, not counted)."""
        return None if self.total is None else self.total - len(self.items)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"on": self.on.isoformat(), "total": self.total, "shown": len(self.items), "more": self.more,
                "limit": self.limit, "items": [i.as_dict(lang) for i in self.items]}


@dataclass(frozen=True)
class Scope:
    """Which items: a branch, a caseworker's cases, one enrollee, a horizon."""

    on: date
    due_before: date | None = None  # inclusive
    branch: str | None = None
    caseworker: str | None = None
    enrollee_id: uuid.UUID | None = None


def _item(kind: str, due: date, on: date, policy: Policy, *, provisional: bool = False, enrollee_id: uuid.UUID | None = None,
          enrollee_name: str = "", record: str, record_id: Any, branch: str = "", **params: Any) -> WorkItem:
    info = rules.KIND_INFO[kind]
    params.setdefault("due", due.isoformat())
    return WorkItem(kind=kind, due=due, provisional=bool(provisional), overdue=on > due, enrollee_id=enrollee_id,
                    enrollee_name=enrollee_name, record=record, record_id=str(record_id), branch=branch,
                    article=info.article(policy), msgid=info.msgid, params=params)


def _page(session: Session, stmt: Select, order: list[Any], limit: int) -> tuple[list[Any], int | None]:
    """The first ``limit`` rows in ``order`` and how many there are: exact
    when they all fit, None when there are more (only ``limit + 1`` are read)."""
    rows = list(session.execute(stmt.order_by(*order).limit(limit + 1)))
    return rows[:limit], (len(rows) if len(rows) <= limit else None)


def _add(total: int | None, n: int | None) -> int | None:
    return None if total is None or n is None else total + n


# --------------------------------------------------------------------------- cases


def _case_query(scope: Scope, due: ColumnElement[Any], *conds: ColumnElement[bool]) -> Select:
    stmt = select(IC, E.c.name.label("enrollee_name"), due.label("due_on")).join(E, E.c.id == IC.c.enrollee_id)
    stmt = stmt.where(*conds)
    if scope.branch is not None:
        stmt = stmt.where(IC.c.branch == scope.branch)
    if scope.caseworker is not None:
        stmt = stmt.where(IC.c.assigned_to == scope.caseworker)
    if scope.enrollee_id is not None:
        stmt = stmt.where(IC.c.enrollee_id == scope.enrollee_id)
    if scope.due_before is not None:
        stmt = stmt.where(due <= scope.due_before)
    return stmt


def _case_kinds(scope: Scope) -> list[tuple[str, Select, str | None]]:
    """(kind, query, provisional column) for each case kind."""
    return [
        (rules.NOTICE_OVERDUE, _case_query(
            scope, IC.c.notice_due, _can("no_show"), IC.c.explanation_on.is_(None),
            IC.c.notice_due < scope.on), "notice_due_provisional"),
        (rules.EXPLANATION_TO_JUDGE, _case_query(
            scope, IC.c.explanation_on, _can("judge"),
            IC.c.explanation_on.is_not(None)), None),
        (rules.VERIFICATION_DUE, _case_query(
            scope, IC.c.verification_due, _can("verify")), None),
        (rules.DECISION_DUE, _case_query(
            scope, IC.c.decision_due, _can("decide"),
            IC.c.verified_on.is_not(None), IC.c.decided_on.is_(None)), "decision_due_provisional"),
        (rules.RESUMPTION_DUE, _case_query(
            scope, IC.c.resumption_due, _can("resume"),
            IC.c.outcome == OUTCOME_NO_VIOLATION, IC.c.resumed_on.is_(None)), "resumption_due_provisional"),
    ]


def _case_items(session: Session, policy: Policy, scope: Scope, limit: int) -> tuple[list[WorkItem], int | None]:
    items: list[WorkItem] = []
    total: int | None = 0
    for kind, stmt, prov in _case_kinds(scope):
        rows, n = _page(session, stmt, [stmt.selected_columns.due_on, IC.c.number], limit)
        total = _add(total, n)
        for r in rows:
            items.append(_item(
                kind, r.due_on, scope.on, policy, provisional=bool(getattr(r, prov)) if prov else False,
                enrollee_id=r.enrollee_id, enrollee_name=r.enrollee_name, record=r.number, record_id=r.id,
                branch=r.branch, case=r.number, trigger=r.trigger,
                opened=r.opened_on.isoformat() if r.opened_on else "",
                explained=r.explanation_on.isoformat() if r.explanation_on else "",
                outcome=r.outcome or "",
            ))
    return items, total


# --------------------------------------------------------------------------- certificates


def _renewal_items(session: Session, policy: Policy, scope: Scope, limit: int) -> tuple[list[WorkItem], int | None]:
    if scope.caseworker is not None:
        return [], 0
    months = policy.validity.renewal_window_months
    latest = rules.renewal_latest_valid_until(scope.on, months)
    if scope.due_before is not None:
        latest = min(latest, scope.due_before)
    renewal = C.alias("renewal")
    drafted = exists(select(literal(1)).where(
        renewal.c.enrollee_id == C.c.enrollee_id,
        renewal.c.previous_id == C.c.id,
        renewal.c.status.in_(RENEWAL_STATUSES),
    ))
    stmt = (
        select(Certificate, E.c.name.label("enrollee_name"), E.c.branch.label("enrollee_branch"))
        .join(E, E.c.id == C.c.enrollee_id)
        .where(C.c.status.in_(sorted(CERT_RENEWABLE)), C.c.valid_until >= scope.on, C.c.valid_until <= latest,
               ~drafted)
    )
    if scope.branch is not None:
        stmt = stmt.where(E.c.branch == scope.branch)
    if scope.enrollee_id is not None:
        stmt = stmt.where(C.c.enrollee_id == scope.enrollee_id)
    rows, total = _page(session, stmt, [C.c.valid_until, C.c.number], limit)
    items = []
    for cert, name, branch in rows:
        disease = policy.disease(cert.disease_code)
        window = renewal_window(cert, policy)
        opens, closes = window if window else (cert.valid_until, cert.valid_until)
        items.append(_item(
            rules.CERTIFICATE_RENEWAL, closes, scope.on, policy, enrollee_id=cert.enrollee_id, enrollee_name=name,
            record=cert.number, record_id=cert.id, branch=branch, certificate=cert.number,
            disease=Bilingual(disease.name_en, disease.name_zh) if disease else cert.disease_code,
            disease_code=cert.disease_code,
            opens=opens.isoformat(),
        ))
    return items, total


# --------------------------------------------------------------------------- monthly batches


def _batch_items(session: Session, policy: Policy, scope: Scope, limit: int) -> tuple[list[WorkItem], int | None]:
    if scope.caseworker is not None or scope.branch is not None or scope.enrollee_id is not None:
        return [], 0
    month = year_month(C.c.confirmed_on)
    first = rules.first_of_month(scope.on)
    pending = select(B.c.id).where(B.c.received_on.is_(None))
    received = exists(select(literal(1)).where(
        B.c.institution_id == C.c.institution_id, B.c.month == month, B.c.received_on.is_not(None)))
    copy = exists(select(literal(1)).where(R.c.new_number == C.c.number, R.c.item_kind == "certificate"))
    conds = [
        C.c.confirmed_on.is_not(None),
        C.c.confirmed_on < first,
        ~copy,  # a replacement copy's original went with the certificate it replaces
        ~received,
    ]
    if scope.due_before is not None:
        # month M is due on its last day: keep the months that end by due_before
        conds.append(C.c.confirmed_on < rules.first_of_month(scope.due_before + timedelta(days=1)))
    # in no batch, or in one not yet received: two reads of the batch_id index
    # (an OR of the two would walk every certificate), so the cost follows
    # the certificates still waiting, not all there are
    waiting = union_all(
        select(C.c.institution_id.label("inst"), month.label("month")).where(C.c.batch_id.is_(None), *conds),
        select(C.c.institution_id.label("inst"), month.label("month")).where(C.c.batch_id.in_(pending), *conds),
    ).subquery("wl_waiting")
    grouped = (
        select(waiting.c.inst, waiting.c.month, func.count().label("n"))
        .group_by(waiting.c.inst, waiting.c.month)
        .subquery("wl_batches")
    )
    stmt = select(grouped.c.inst, grouped.c.month, grouped.c.n, I.c.code, I.c.name).join(
        I, I.c.id == grouped.c.inst)
    rows, total = _page(session, stmt, [grouped.c.month, I.c.code], limit)
    items = []
    for r in rows:
        items.append(_item(
            rules.BATCH_MISSING, rules.last_day_of(r.month), scope.on, policy, record=f"{r.code} {r.month}", record_id=f"{r.inst}:{r.month}",
            institution=f"{r.code} {r.name}", month=r.month, count=int(r.n),
        ))
    return items, total


# --------------------------------------------------------------------------- public


def _conflict_items(session: Session, policy: Policy, scope: Scope, limit: int) -> tuple[list[WorkItem], int | None]:
    """Operations made at this branch that the centre refused (issue 11): work, not loss."""
    from core.sync.outbox import conflicts

    if scope.enrollee_id is not None:
        return [], 0
    items = []
    for c in conflicts(session):
        if scope.caseworker is not None and c.actor != scope.caseworker:
            continue
        first = c.reasons[0] if c.reasons else None
        items.append(WorkItem(
            kind=rules.SYNC_CONFLICT, due=scope.on, provisional=False, overdue=False, enrollee_id=None,
            enrollee_name="", record=c.op_id[:8], record_id=c.op_id, branch=c.branch,
            article=first.article if first else "", msgid=rules.KIND_INFO[rules.SYNC_CONFLICT].msgid,
            params={"op": c.op_id[:8], "due": scope.on.isoformat(),
                    "reason": Bilingual(first.message("en"), first.message("zh_CN")) if first else "-"}))
    return items[:limit], (len(items) if len(items) <= limit else None)


def _collect(session: Session, policy: Policy, scope: Scope, limit: int) -> Worklist:
    parts = [
        _case_items(session, policy, scope, limit),
        _renewal_items(session, policy, scope, limit),
        _batch_items(session, policy, scope, limit),
        _conflict_items(session, policy, scope, limit),
    ]
    items = sorted((i for part, _ in parts for i in part), key=WorkItem.sort_key)
    total: int | None = 0
    for _, n in parts:
        total = _add(total, n)
    return Worklist(on=scope.on, items=items[:limit], total=total, limit=limit)


def worklist(session: Session, policy: Policy, *, on: date, due_before: date | None = None,
             branch: str | None = None, caseworker: str | None = None, limit: int = DEFAULT_LIMIT) -> Worklist:
    """Everything due for a branch (or a caseworker's cases), by due date.

    ``due_before`` (inclusive) limits the horizon; ``caseworker`` keeps only
    the cases assigned to that caseworker; batches of originals are agency
    work and are listed only when no branch or caseworker is given."""
    if limit < 1:
        limit = 1
    return _collect(session, policy, Scope(on=on, due_before=due_before, branch=branch or None,
                                           caseworker=caseworker or None), limit)


def alerts(session: Session, enrollee_id: uuid.UUID, on: date, policy: Policy) -> list[WorkItem]:
    """The worklist items of one enrollee (cases and certificate renewals)."""
    return _collect(session, policy, Scope(on=on, enrollee_id=enrollee_id), DEFAULT_LIMIT).items
