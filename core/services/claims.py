"""Cash reimbursement claims at the agency (SZ-MD Art. 10; SZ-MT Art. 14;
the ZZ supplementary-insurance audit).

A clerk registers the receipts (institution, receipt number, treatment
date, items and amounts, the large-equipment flag); casedesk decides each
receipt from the facts on its treatment date (:mod:`core.rules.claims`);
a second caseworker with the reviewer role approves (four eyes); an
approved claim is on the payment list of its approval month. One audit
event per claim changed; the creation event carries the receipts.

Each receipt is judged on the facts of its treatment date
(:func:`core.services.eligibility.facts_for` over
:func:`core.services.changes.facts_on`): scheme, supplementary insurance,
the account suspended that day (SZ-MT Art. 14, 15), the institution as it
was, certificates valid, filings in force and hospital stays covering it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.errors import BadInput, NotFound, Reason
from core.i18n import N_
from core.models import (
    ClaimItem,
    ClaimReceipt,
    ClaimStatus,
    Enrollee,
    Institution,
    ReimbursementClaim,
)
from core.policy import Disease, Policy, stamp
from core.queries.expenses import spent
from core.rules import claims as rules
from core.rules.claims import ItemInput, ReceiptDecision, ReceiptInput
from core.rules.monitoring import Month, parse_month
from core.rules.formulas import Spend, benefit_period, insurance_year, money
from core.services import numbering
from core.services.eligibility import disease_or_refuse, facts_for
from core.services.lookup import get_enrollee
from core.workflows import CLAIM, require_role, require_step
from core.workflows.definitions import CLAIM_HOLDS_RECEIPTS, CLAIM_PAYABLE
from core.sync.ops import operation, register_input

register_input(ReceiptInput)  # travel in a claim operation (core.sync.ops)
register_input(ItemInput)

__all__ = [
    "ItemInput",
    "PaymentRow",
    "ReceiptInput",
    "approve_claim",
    "claims_of",
    "decide_claim",
    "get_claim",
    "payment_list",
    "payment_list_csv",
    "parse_receipt",
    "receipts_of",
    "register_claim",
    "withdraw_claim",
]

PREFIX_CLAIM = "R"


# --------------------------------------------------------------------------- reads


def get_claim(session: Session, ref: str | uuid.UUID, policy: Policy | None = None) -> ReimbursementClaim:
    c: ReimbursementClaim | None = None
    if isinstance(ref, uuid.UUID):
        c = session.get(ReimbursementClaim, ref)
    else:
        text = str(ref).strip()
        try:
            c = session.get(ReimbursementClaim, uuid.UUID(text))
        except ValueError:
            c = session.exec(select(ReimbursementClaim)
                             .where(ReimbursementClaim.number == numbering.normalise_number(text))).first()
    if c is None:
        art = policy.claims.article if policy is not None else ""
        raise NotFound.one(art, "claim", N_("No cash reimbursement claim {ref}."), ref=str(ref))
    return c


def claims_of(session: Session, enrollee_id: uuid.UUID) -> list[ReimbursementClaim]:
    """An enrollee's claims, newest first."""
    return list(session.exec(select(ReimbursementClaim).where(ReimbursementClaim.enrollee_id == enrollee_id)
                             .order_by(col(ReimbursementClaim.registered_on).desc(),
                                       col(ReimbursementClaim.number).desc())))


def receipts_of(session: Session, claim_id: uuid.UUID) -> list[tuple[ClaimReceipt, list[ClaimItem]]]:
    receipts = list(session.exec(select(ClaimReceipt).where(ClaimReceipt.claim_id == claim_id)
                                 .order_by(col(ClaimReceipt.position))))
    out = []
    for r in receipts:
        items = list(session.exec(select(ClaimItem).where(ClaimItem.receipt_id == r.id)
                                  .order_by(col(ClaimItem.position))))
        out.append((r, items))
    return out


def decode_reasons(stored: str, lang: str = "en") -> list[dict]:
    """A stored decision's reasons: ok, article, field and the message in ``lang``."""
    if not stored:
        return []
    key = "zh" if lang.startswith("zh") else "en"
    return [{"ok": r["ok"], "article": r["article"], "field": r["field"], "message": r[key]}
            for r in json.loads(stored)]


def receipt_reasons(receipt: ClaimReceipt, lang: str = "en") -> list[dict]:
    return decode_reasons(receipt.reasons, lang)


_RECEIPT_RE = re.compile(r"^\s*(?P<inst>[^/:]+)/(?P<number>[^/:]+)/(?P<date>\d{4}-\d{2}-\d{2})(?P<flags>(?:/[a-z]+)*)\s*:(?P<items>.*)$")
_ITEM_RE = re.compile(r"^\s*(?P<desc>[^=]+?)\s*=\s*(?P<amount>[^@]+?)\s*(?P<flags>(?:@[a-z]+\s*)*)$")


def parse_receipt(text: str, field: str = "receipt") -> ReceiptInput:
    """A receipt as typed on the command line:
    ``INSTITUTION/NUMBER/YYYY-MM-DD[/emergency][/peritoneal]: ITEM=AMOUNT[@le][@supp]; ITEM=AMOUNT …``
    (``@le`` a large-equipment examination, ``@supp`` a local supplementary cost)."""
    from core.services.eligibility import parse_amount_fen

    m = _RECEIPT_RE.match(text or "")
    if m is None:
        raise BadInput.one("", field, N_("{value} is not a receipt; write INSTITUTION/NUMBER/YYYY-MM-DD: ITEM=AMOUNT; ITEM=AMOUNT"),
                           value=str(text)[:80])
    flags = {f for f in m.group("flags").split("/") if f}
    unknown = flags - {"emergency", "peritoneal"}
    if unknown:
        raise BadInput.one("", field, N_("{value} is not a receipt flag; use /emergency or /peritoneal."),
                           value=sorted(unknown)[0])
    try:
        treated = date.fromisoformat(m.group("date"))
    except ValueError:
        raise BadInput.one("", "treated_on", N_("{value} is not a date (YYYY-MM-DD)."),
                           value=m.group("date")) from None
    items = []
    for part in (p for p in m.group("items").split(";") if p.strip()):
        im = _ITEM_RE.match(part)
        if im is None:
            raise BadInput.one("", "items", N_("{value} is not an item; write ITEM=AMOUNT, with @le or @supp after it."),
                               value=part.strip()[:80])
        iflags = {f.strip() for f in im.group("flags").split("@") if f.strip()}
        if iflags - {"le", "supp"}:
            raise BadInput.one("", "items", N_("{value} is not an item flag; use @le or @supp."),
                               value=sorted(iflags - {"le", "supp"})[0])
        items.append(ItemInput(im.group("desc").strip(), parse_amount_fen(im.group("amount"), "amount"),
                               large_equipment="le" in iflags, supplementary="supp" in iflags))
    return ReceiptInput(m.group("number").strip(), m.group("inst").strip(), treated, tuple(items),
                        emergency="emergency" in flags, peritoneal_dialysis="peritoneal" in flags)


def _taken(session: Session, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Receipts (institution code, number) already on a live or approved claim."""
    if not keys:
        return {}
    numbers = sorted({n for _, n in keys})
    rows = session.exec(
        select(Institution.code, ClaimReceipt.receipt_number, ReimbursementClaim.number)
        .join(ClaimReceipt, col(ClaimReceipt.institution_id) == col(Institution.id))
        .join(ReimbursementClaim, col(ReimbursementClaim.id) == col(ClaimReceipt.claim_id))
        .where(col(ReimbursementClaim.status).in_(sorted(CLAIM_HOLDS_RECEIPTS)),
               col(ClaimReceipt.receipt_number).in_(numbers)))
    wanted = set(keys)
    return {(code.upper(), num.upper()): claim for code, num, claim in rows if (code.upper(), num.upper()) in wanted}


# --------------------------------------------------------------------------- writes


def _normalised(receipts: list[ReceiptInput] | tuple[ReceiptInput, ...]) -> tuple[ReceiptInput, ...]:
    return tuple(
        ReceiptInput(receipt_number=r.receipt_number.strip().upper(), institution_code=r.institution_code.strip().upper(),
                     treated_on=r.treated_on, emergency=r.emergency, peritoneal_dialysis=r.peritoneal_dialysis,
                     items=tuple(ItemInput(i.description.strip(), i.amount_fen, i.large_equipment, i.supplementary)
                                 for i in r.items))
        for r in receipts)


@operation("claims.register_claim")
def register_claim(session: Session, actor: Actor, enrollee: str | uuid.UUID, disease_code: str,
                   receipts: list[ReceiptInput] | tuple[ReceiptInput, ...], *, on: date, policy: Policy,
                   reason: str = "", today: date | None = None) -> ReimbursementClaim:
    """Register a claim with its receipts (SZ-MD Art. 10). Every unmet
    condition is reported at once (a receipt claimed before among them);
    nothing is written then."""
    c = policy.claims
    require_step(CLAIM, "register", None, actor, on, today=today, policy=policy)
    person = get_enrollee(session, enrollee)
    disease = disease_or_refuse(policy, disease_code)
    receipts = _normalised(receipts)
    numbering.lock_counter(session, "claim receipts")  # PostgreSQL: two counters never take one receipt
    codes = sorted({r.institution_code for r in receipts})
    insts = {i.code.upper(): i for i in session.exec(select(Institution).where(col(Institution.code).in_(codes)))}
    taken = _taken(session, [r.key for r in receipts])
    rules.check_register(receipts, frozenset(insts), taken, policy, on).raise_if_refused()
    claim = ReimbursementClaim(enrollee_id=person.id, disease_code=disease.code, status=ClaimStatus.REGISTERED,
                               registered_on=on, registered_by=actor.username, number="",
                               claimed_fen=sum(r.amount_fen for r in receipts))
    claim.number = numbering.new_number(session, ReimbursementClaim, PREFIX_CLAIM, on, claim.id)
    stamp(claim, policy)
    session.add(claim)
    session.flush()
    for pos, r in enumerate(receipts, start=1):
        row = ClaimReceipt(claim_id=claim.id, position=pos, receipt_number=r.receipt_number,
                           institution_id=insts[r.institution_code].id, treated_on=r.treated_on,
                           emergency=r.emergency, peritoneal_dialysis=r.peritoneal_dialysis, amount_fen=r.amount_fen)
        session.add(row)
        session.flush()
        for ipos, item in enumerate(r.items, start=1):
            session.add(ClaimItem(receipt_id=row.id, position=ipos, description=item.description,
                                  amount_fen=item.amount_fen, large_equipment=item.large_equipment,
                                  supplementary=item.supplementary))
    audit.record(session, actor, "claim.register", entity=ReimbursementClaim.__tablename__, entity_id=claim.id,
                 before={}, after={**audit.snapshot(claim), "receipts": [
                     {"institution": r.institution_code, "number": r.receipt_number, "treated_on": r.treated_on.isoformat(),
                      "amount": money(r.amount_fen), "items": [
                          {"description": i.description, "amount": money(i.amount_fen),
                           "large_equipment": i.large_equipment, "supplementary": i.supplementary} for i in r.items]}
                     for r in receipts]},
                 reason=reason, article=c.article, enrollee_id=person.id)
    return claim


def _input(receipt: ClaimReceipt, items: list[ClaimItem], code: str) -> ReceiptInput:
    return ReceiptInput(receipt_number=receipt.receipt_number, institution_code=code, treated_on=receipt.treated_on,
                        emergency=receipt.emergency, peritoneal_dialysis=receipt.peritoneal_dialysis,
                        items=tuple(ItemInput(i.description, i.amount_fen, i.large_equipment, i.supplementary)
                                    for i in items))


def _reasons_json(reasons: tuple[Reason, ...]) -> str:
    return json.dumps([{"ok": r.ok, "article": r.article, "field": r.field, "en": r.message("en"),
                        "zh": r.message("zh_CN")} for r in reasons], ensure_ascii=False)


def decide_receipts(session: Session, claim: ReimbursementClaim, disease: Disease, policy: Policy
                    ) -> list[tuple[ClaimReceipt, ReceiptDecision]]:
    """Each receipt's decision in treatment-date order, the period's earlier
    receipts of the claim counted before it (pure reads; nothing written)."""
    person = session.get(Enrollee, claim.enrollee_id)
    assert person is not None
    excl = disease.category in policy.claims.large_equipment_categories
    rows = receipts_of(session, claim.id)
    insts = {i.id: i for i in session.exec(select(Institution).where(
        col(Institution.id).in_([r.institution_id for r, _ in rows])))}
    order = sorted(rows, key=lambda ri: (ri[0].treated_on, ri[0].position))
    earlier: list[tuple[date, Spend]] = []
    out = []
    for receipt, items in order:
        inst = insts[receipt.institution_id]
        rin = _input(receipt, items, inst.code)
        period = benefit_period(policy, receipt.treated_on)
        assert period.start is not None
        before = spent(session, claim.enrollee_id, claim.disease_code, period.start,
                       receipt.treated_on - timedelta(days=1), exclude_large_equipment=excl,
                       exclude_claim=claim.id, claims_before=receipt.treated_on)
        mine = [s for d, s in earlier if period.start <= d]
        prior = Spend(before.total_fen + sum(s.basic_fen for s in mine), sum(s.supplementary_fen for s in mine))
        year = insurance_year(receipt.treated_on, policy.benefits.benefit_year_start_month)
        assert year.start is not None
        ytd = spent(session, claim.enrollee_id, claim.disease_code, year.start, receipt.treated_on,
                    exclude_large_equipment=excl, exclude_claim=claim.id)
        this, _ = rules.counted(rin, disease, policy)
        year_cost = ytd.total_fen + sum(s.total_fen for d, s in earlier if year.start <= d) + this.total_fen
        facts = facts_for(session, person, rin.treated_on, institution=inst, emergency=rin.emergency,
                          peritoneal_dialysis=rin.peritoneal_dialysis)  # the facts of the treatment date
        decision = rules.decide_receipt(rin, facts, disease, policy, prior=prior, year_cost_fen=year_cost)
        if decision.pays:
            earlier.append((receipt.treated_on, decision.counted))
        out.append((receipt, decision))
    return out


@operation("claims.decide_claim")
def decide_claim(session: Session, actor: Actor, claim: str | uuid.UUID, *, on: date, policy: Policy,
                 reason: str = "", expected_version: int | None = None, today: date | None = None
                 ) -> ReimbursementClaim:
    """casedesk decides every receipt (SZ-MD Art. 10; SZ-MT Art. 14): whether
    and how much the funds pay, each reason with its article. A decided
    claim may be decided again (the facts may have changed) until approved."""
    c = policy.claims
    require_role(CLAIM, "decide", actor, policy)
    claim_row = get_claim(session, claim, policy)
    check_version(claim_row, expected_version)
    require_step(CLAIM, "decide", claim_row, actor, on, today=today, policy=policy)
    disease = disease_or_refuse(policy, claim_row.disease_code)
    before = audit.snapshot(claim_row)
    decided = decide_receipts(session, claim_row, disease, policy)
    for receipt, d in decided:
        receipt.pays = d.pays
        receipt.counted_fen = d.counted.total_fen
        receipt.basic_fen = d.basic_fen
        receipt.supplementary_fen = d.supplementary_fen
        receipt.paid_fen = d.paid_fen
        receipt.reasons = _reasons_json(d.reasons)
        session.add(receipt)
    claim_row.basic_fen = sum(d.basic_fen for _, d in decided)
    claim_row.supplementary_fen = sum(d.supplementary_fen for _, d in decided)
    claim_row.paid_fen = claim_row.basic_fen + claim_row.supplementary_fen
    claim_row.status = ClaimStatus.DECIDED
    claim_row.decided_on = on
    claim_row.decided_by = actor.username
    stamp(claim_row, policy)
    audit.changed(session, actor, claim_row, before, "claim.decide", reason=reason, article=c.article)
    return claim_row


@operation("claims.approve_claim")
def approve_claim(session: Session, actor: Actor, claim: str | uuid.UUID, *, on: date, policy: Policy,
                  reason: str = "", expected_version: int | None = None, today: date | None = None
                  ) -> ReimbursementClaim:
    """A reviewer other than the caseworkers who registered and decided it
    approves the claim (four eyes); it goes on the month's payment list."""
    c = policy.claims
    require_role(CLAIM, "approve", actor, policy)
    claim_row = get_claim(session, claim, policy)
    check_version(claim_row, expected_version)
    require_step(CLAIM, "approve", claim_row, actor, on, today=today, policy=policy, guard=True)
    before = audit.snapshot(claim_row)
    claim_row.status = ClaimStatus.APPROVED
    claim_row.approved_on = on
    claim_row.approved_by = actor.username
    audit.changed(session, actor, claim_row, before, "claim.approve", reason=reason, article=c.article_review)
    return claim_row


@operation("claims.withdraw_claim")
def withdraw_claim(session: Session, actor: Actor, claim: str | uuid.UUID, *, on: date, policy: Policy,
                   reason: str, expected_version: int | None = None, today: date | None = None) -> ReimbursementClaim:
    """Withdraw a claim before approval (its receipts may be claimed again)."""
    c = policy.claims
    require_role(CLAIM, "withdraw", actor, policy)
    claim_row = get_claim(session, claim, policy)
    check_version(claim_row, expected_version)
    require_step(CLAIM, "withdraw", claim_row, actor, on, today=today, policy=policy, guard=True,
                 inputs={"reason": reason})
    before = audit.snapshot(claim_row)
    claim_row.status = ClaimStatus.WITHDRAWN
    claim_row.withdrawn_on = on
    claim_row.withdrawn_by = actor.username
    claim_row.end_reason = reason.strip()
    audit.changed(session, actor, claim_row, before, "claim.withdraw", reason=reason.strip(), article=c.article)
    return claim_row


# --------------------------------------------------------------------------- the payment list


@dataclass(frozen=True)
class PaymentRow:
    claim_number: str
    approved_on: date
    enrollee_name: str
    id_number: str
    card_number: str
    disease_code: str
    receipts: int
    claimed_fen: int
    basic_fen: int
    supplementary_fen: int
    paid_fen: int
    article: str


def payment_list(session: Session, month: str | Month, *, policy: Policy) -> tuple[PaymentRow, ...]:
    """Approved claims with something to pay, approved in ``month`` (YYYY-MM)."""
    c = policy.claims
    m = parse_month(month, article=c.article) if isinstance(month, str) else month
    start = m.first
    end = m.shift(1).first - timedelta(days=1)
    rows = session.exec(
        select(ReimbursementClaim, Enrollee)
        .join(Enrollee, col(Enrollee.id) == col(ReimbursementClaim.enrollee_id))
        .where(col(ReimbursementClaim.status).in_(sorted(CLAIM_PAYABLE)),
               col(ReimbursementClaim.approved_on) >= start, col(ReimbursementClaim.approved_on) <= end,
               col(ReimbursementClaim.paid_fen) > 0)
        .order_by(col(ReimbursementClaim.approved_on), col(ReimbursementClaim.number)))
    out = []
    for claim, e in rows:
        n = len(session.exec(select(ClaimReceipt.id).where(ClaimReceipt.claim_id == claim.id)).all())
        out.append(PaymentRow(claim.number, claim.approved_on or start, e.name, e.id_number, e.card_number,
                              claim.disease_code, n, claim.claimed_fen, claim.basic_fen, claim.supplementary_fen,
                              claim.paid_fen, c.article))
    return tuple(out)


PAYMENT_COLUMNS = ("claim", "approved_on", "name", "id_number", "card_number", "disease", "receipts", "claimed",
                   "basic_pooling", "supplementary_pooling", "paid", "article")


def payment_list_csv(rows: tuple[PaymentRow, ...]) -> str:
    """The month's payment list as CSV (UTF-8, one header line, yuan amounts)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PAYMENT_COLUMNS)
    for r in rows:
        w.writerow([r.claim_number, r.approved_on.isoformat(), r.enrollee_name, r.id_number, r.card_number,
                    r.disease_code, r.receipts, money(r.claimed_fen), money(r.basic_fen), money(r.supplementary_fen),
                    money(r.paid_fen), r.article])
    return buf.getvalue()
