"""Settlement with the designated institutions: the monthly summary of the
fund shares booked (SZ-MD Art. 11; ZZ §5), expert reviews and the compliance
rate, and the annual settlement report (ZZ §7: computed cost x rate).

The summary reads the booked expenses through :mod:`core.queries.expenses`
and asks :func:`core.rules.settlement.booked_shares` for each one, in time
order per enrollee, the period's earlier booked expenses counted first.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.errors import NotFound
from core.i18n import N_
from core.models import ComplianceReview, Enrollee, Institution
from core.policy import Policy, stamp
from core.queries.expenses import booked_before, booked_expenses
from core.rules import settlement as rules
from core.rules.eligibility import EnrolleeFacts
from core.rules.formulas import benefit_period, money
from core.rules.monitoring import Month, parse_month
from core.services.eligibility import institution_facts
from core.services.lookup import institution_by_code
from core.sync.ops import operation

__all__ = ["AnnualRow", "SettlementReport", "SettlementRow", "annual_settlement", "monthly_settlement",
           "record_review", "settlement_csv"]


@dataclass(frozen=True)
class SettlementRow:
    institution_code: str
    name: str
    name_zh: str
    visits: int = 0
    booked_fen: int = 0  # every booked major-disease expense
    large_equipment_fen: int = 0  # booked, not counted (SZ-MD Art. 6)
    account_fen: int = 0
    basic_fen: int = 0
    supplementary_fen: int = 0
    enrollee_fen: int = 0
    incomplete: int = 0  # expenses the pack could not compute (no average wage)

    @property
    def funds_fen(self) -> int:
        return self.basic_fen + self.supplementary_fen

    def name_in(self, lang: str) -> str:
        return (self.name_zh or self.name) if lang.startswith("zh") else self.name


@dataclass(frozen=True)
class SettlementReport:
    start: date
    end: date
    article: str
    rows: tuple[SettlementRow, ...]

    def total(self, field: str) -> int:
        return sum(getattr(r, field) for r in self.rows)


def _enrollees(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, EnrolleeFacts]:
    out: dict[uuid.UUID, EnrolleeFacts] = {}
    for i in range(0, len(ids), 500):
        for e in session.exec(select(Enrollee).where(col(Enrollee.id).in_(ids[i:i + 500]))):
            out[e.id] = EnrolleeFacts(scheme=e.scheme, supplementary=e.supplementary,
                                      individual_account_fen=e.individual_account_fen)
    return out


def settlement(session: Session, start: date, end: date, *, policy: Policy) -> SettlementReport:
    """Per institution, the fund shares booked from ``start`` to ``end``."""
    period_start = benefit_period(policy, start).start
    assert period_start is not None
    expenses = booked_expenses(session, start, end)
    ids = sorted({x.enrollee_id for x in expenses})
    prior = booked_before(session, ids, period_start, start, large_equipment=False)
    people = _enrollees(session, ids)
    insts = {i.id: i for i in session.exec(select(Institution).where(
        col(Institution.id).in_(sorted({x.institution_id for x in expenses if x.institution_id}))))}
    facts = {k: institution_facts(v) for k, v in insts.items()}
    sums: dict[uuid.UUID | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    counted: dict[tuple[uuid.UUID, str, date], int] = {}
    for x in expenses:
        row = sums[x.institution_id]
        row["visits"] += 1
        row["booked_fen"] += x.amount_fen
        disease = policy.disease(x.disease_code)
        if disease is None:
            row["enrollee_fen"] += x.amount_fen
            continue
        if x.large_equipment and disease.category in policy.claims.large_equipment_categories:
            row["large_equipment_fen"] += x.amount_fen
            continue
        day = x.occurred_at.date()
        p = benefit_period(policy, day).start
        assert p is not None
        key = (x.enrollee_id, x.disease_code, p)
        before = counted.get(key, prior.get((x.enrollee_id, x.disease_code), 0) if p == period_start else 0)
        shares = rules.booked_shares(disease, policy, day, people[x.enrollee_id], before, x.amount_fen,
                                     facts.get(x.institution_id) if x.institution_id else None)
        counted[key] = before + x.amount_fen
        if shares is None:
            row["incomplete"] += 1
            row["enrollee_fen"] += x.amount_fen
            continue
        row["account_fen"] += shares["individual_account"]
        row["basic_fen"] += shares["basic_pooling"]
        row["supplementary_fen"] += shares["supplementary_pooling"]
        row["enrollee_fen"] += shares["enrollee"]
    rows = []
    for iid, vals in sums.items():
        inst = insts.get(iid) if iid else None
        rows.append(SettlementRow(inst.code if inst else "-", inst.name if inst else "", inst.name_zh if inst else "",
                                  **dict(vals)))
    rows.sort(key=lambda r: r.institution_code)
    art = policy.settlement.article if policy.settlement else policy.treatment.article_bookkeeping
    return SettlementReport(start, end, art, tuple(rows))


def monthly_settlement(session: Session, month: str | Month, *, policy: Policy) -> SettlementReport:
    """The month's summary per institution (SZ-MD Art. 11)."""
    m = parse_month(month) if isinstance(month, str) else month
    return settlement(session, m.first, m.shift(1).first - timedelta(days=1), policy=policy)


SETTLEMENT_COLUMNS = ("institution", "name", "visits", "booked", "large_equipment", "individual_account",
                      "basic_pooling", "supplementary_pooling", "enrollee", "article")


def settlement_csv(report: SettlementReport, lang: str = "en") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SETTLEMENT_COLUMNS)
    for r in report.rows:
        w.writerow([r.institution_code, r.name_in(lang), r.visits, money(r.booked_fen), money(r.large_equipment_fen),
                    money(r.account_fen), money(r.basic_fen), money(r.supplementary_fen), money(r.enrollee_fen),
                    report.article])
    return buf.getvalue()


# --------------------------------------------------------------------------- compliance (ZZ §7)


@operation("settlement.record_review")
def record_review(session: Session, actor: Actor, institution_code: str, *, year: int, reviewed_files: int,
                  compliant_files: int, on: date, policy: Policy, note: str = "") -> ComplianceReview:
    """Record an expert review of an institution's chronic-disease files (ZZ §7)."""
    actor.require("record", action=N_("record expert reviews"))
    rules.check_review(year, reviewed_files, compliant_files, on, policy).raise_if_refused()
    assert policy.compliance is not None
    inst = institution_by_code(session, institution_code, article=policy.compliance.article)
    review = ComplianceReview(institution_id=inst.id, year=year, reviewed_on=on, reviewed_files=reviewed_files,
                              compliant_files=compliant_files, recorded_by=actor.username, note=note.strip())
    stamp(review, policy)
    audit.created(session, actor, review, "compliance.review", reason=note, article=policy.compliance.article)
    return review


@dataclass(frozen=True)
class AnnualRow:
    institution_code: str
    name: str
    name_zh: str
    computed_fen: int  # the fund shares booked in the year
    reviewed_files: int
    compliant_files: int
    rate: Decimal | None
    payable_fen: int | None

    def name_in(self, lang: str) -> str:
        return (self.name_zh or self.name) if lang.startswith("zh") else self.name


def annual_settlement(session: Session, year: int, *, policy: Policy) -> tuple[AnnualRow, ...]:
    """Each institution's computed cost of ``year`` times its compliance rate (ZZ §7)."""
    if policy.compliance is None:
        raise NotFound.one("", "policy", N_("The {pack} pack has no institution compliance rule."), pack=policy.id)
    report = settlement(session, date(year, 1, 1), date(year, 12, 31), policy=policy)
    reviews: dict[str, list[tuple[int, int]]] = defaultdict(list)
    names: dict[str, tuple[str, str]] = {}
    for r, code, name, name_zh in session.exec(
            select(ComplianceReview, Institution.code, Institution.name, Institution.name_zh)
            .join(Institution, col(Institution.id) == col(ComplianceReview.institution_id))
            .where(ComplianceReview.year == year)):
        reviews[code].append((r.reviewed_files, r.compliant_files))
        names[code] = (name, name_zh)
    computed = {r.institution_code: r for r in report.rows}
    out = []
    for code in sorted(set(computed) | set(reviews)):
        row = computed.get(code)
        rate = rules.compliance_rate(reviews.get(code, []))
        cost = row.funds_fen if row else 0
        name, name_zh = (row.name, row.name_zh) if row else names[code]
        out.append(AnnualRow(code, name, name_zh, cost, sum(a for a, _ in reviews.get(code, [])),
                             sum(b for _, b in reviews.get(code, [])), rate, rules.payable(cost, rate)))
    return tuple(out)
