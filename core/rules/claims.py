"""Cash reimbursement claims (SZ-MD Art. 10; SZ-MT Art. 14; the ZZ audit of
supplementary medical insurance expenses).

Pure rules: the receipts a caseworker registers, the facts on each
receipt's treatment date (built by :mod:`core.services.claims`) and the pack
in; a :class:`~core.rules.decision.Decision` for the registration and a
:class:`ReceiptDecision` per receipt out, every reason with its article.

Readings taken (documented here and in the report):

- A receipt is paid in cash only when the eligibility rules
  (:func:`core.rules.eligibility.evaluate`, on the treatment date) entitle
  the enrollee *and* settle the treatment in cash: a suspended account
  (SZ-MT Art. 14), peritoneal dialysis, anti-rejection or tumour therapy at
  a city institution (SZ-MD Art. 10(a)), emergency rescue or a filed
  off-site institution (SZ-MD Art. 5(1), Art. 10(b)). Treatment the
  institution books (SZ-MD Art. 9) is not reimbursed in cash.
- Large-equipment examination items do not count (SZ-MD Art. 6) for the
  categories the pack lists (``claims.large_equipment_categories``).
- The funds' part of a receipt is the period's estimate after it minus the
  estimate before it (the year's threshold, or the ZZ month's cap, is shared
  with the recorded expenses and the earlier receipts), at this receipt's
  institution rate. The individual account's part (Category I, account
  first) is shown but not paid in cash: the account settles it.
- ZZ supplementary audit: an enrollee with supplementary insurance
  qualifies with a listed disease or when the year's costs exceed the
  pooling fund's maximum (``benefits.pooling_max_yuan``); the supplementary
  fund then pays ``pct`` % of the counted cost the pooling fund left.
- A receipt (institution + receipt number) is taken once: a second claim
  with it, or the same receipt twice in one claim, is refused while the
  first claim is live or approved (a withdrawn claim frees it).
- Four eyes: the approver is neither the caseworker who registered the
  claim nor the one who decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core.errors import Reason
from core.i18n import N_, Bilingual, Code
from core.policy import Disease, Policy, fen_to_yuan, yuan_to_fen
from core.rules.decision import Decision, allow, refuse
from core.rules.eligibility import EligibilityFacts, evaluate
from core.rules.formulas import Spend, estimate, money, percent_of

__all__ = [
    "ItemInput",
    "ReceiptDecision",
    "ReceiptInput",
    "check_approve",
    "check_register",
    "check_withdraw",
    "counted",
    "decide_receipt",
]

MAX_RECEIPTS = 50
MAX_ITEMS = 100


@dataclass(frozen=True)
class ItemInput:
    description: str
    amount_fen: int
    large_equipment: bool = False
    supplementary: bool = False  # a local supplementary insurance cost


@dataclass(frozen=True)
class ReceiptInput:
    receipt_number: str
    institution_code: str
    treated_on: date
    items: tuple[ItemInput, ...]
    emergency: bool = False
    peritoneal_dialysis: bool = False

    @property
    def amount_fen(self) -> int:
        return sum(i.amount_fen for i in self.items)

    @property
    def key(self) -> tuple[str, str]:
        return (self.institution_code.strip().upper(), self.receipt_number.strip().upper())


@dataclass(frozen=True)
class ReceiptDecision:
    pays: bool
    counted: Spend  # what the rules count: no large-equipment items
    basic_fen: int = 0
    supplementary_fen: int = 0
    account_fen: int = 0  # the individual account's part (not paid in cash)
    reasons: tuple[Reason, ...] = ()

    @property
    def paid_fen(self) -> int:
        return self.basic_fen + self.supplementary_fen


# --------------------------------------------------------------------------- registration


def check_register(receipts: tuple[ReceiptInput, ...], known_institutions: frozenset[str],
                   taken: dict[tuple[str, str], str], policy: Policy, on: date) -> Decision:
    """Receipts as typed at the counter: each with a number, a known
    institution, a treatment date not after ``on``, items with positive
    amounts; none registered before (``taken``: key -> claim number) or twice."""
    art = policy.claims.article
    out: list[Reason] = []
    if not receipts:
        out.append(refuse(art, "receipts", N_("A claim needs at least one receipt.")))
    if len(receipts) > MAX_RECEIPTS:
        out.append(refuse(art, "receipts", N_("A claim takes at most {max} receipts."), max=MAX_RECEIPTS))
    seen: set[tuple[str, str]] = set()
    for n, r in enumerate(receipts, start=1):
        p: dict[str, Any] = dict(n=n, number=r.receipt_number.strip(), code=r.institution_code.strip())
        if not r.receipt_number.strip():
            out.append(refuse(art, "receipt_number", N_("Receipt {n} has no receipt number."), **p))
        if r.institution_code.strip().upper() not in known_institutions:
            out.append(refuse(art, "institution", N_("Receipt {n}: no institution with code {code}."), **p))
        if r.treated_on > on:
            out.append(refuse(art, "treated_on", N_("Receipt {n} is dated {treated}, after {on}."),
                              treated=r.treated_on, on=on, **p))
        if not r.items:
            out.append(refuse(art, "items", N_("Receipt {n} has no items."), **p))
        if len(r.items) > MAX_ITEMS:
            out.append(refuse(art, "items", N_("Receipt {n} has more than {max} items."), max=MAX_ITEMS, **p))
        for item in r.items:
            if not item.description.strip():
                out.append(refuse(art, "items", N_("Receipt {n}: an item has no description."), **p))
            if item.amount_fen <= 0:
                out.append(refuse(art, "amount", N_("Receipt {n}: the amount of {item} must be more than zero."),
                                  item=item.description.strip() or "-", **p))
        if r.key in taken:
            out.append(refuse(art, "receipt_number",
                              N_("Receipt {number} of {code} is already claimed on {claim}: a receipt is reimbursed once."),
                              claim=taken[r.key], **p))
        elif r.key in seen:
            out.append(refuse(art, "receipt_number", N_("Receipt {number} of {code} is entered twice."), **p))
        seen.add(r.key)
    return Decision.of(out)


# --------------------------------------------------------------------------- the decision


def counted(receipt: ReceiptInput, disease: Disease, policy: Policy) -> tuple[Spend, list[Reason]]:
    """The receipt's cost the rules count: large-equipment items left out
    where the pack says so (SZ-MD Art. 6)."""
    c = policy.claims
    excluded = disease.category in c.large_equipment_categories
    basic = supp = 0
    reasons: list[Reason] = []
    for item in receipt.items:
        if item.large_equipment and excluded:
            reasons.append(allow(c.article_large_equipment, "large_equipment",
                                 N_("Large-equipment examination {item} ({amount}) does not count."),
                                 item=item.description, amount=money(item.amount_fen)))
            continue
        if item.supplementary:
            supp += item.amount_fen
        else:
            basic += item.amount_fen
    return Spend(basic, supp), reasons


def _funds(disease: Disease, policy: Policy, on: date, facts: EligibilityFacts, spend: Spend):
    if spend.total_fen == 0:
        return None
    return estimate(disease, policy, on, facts.enrollee, spend, facts.institution)


def decide_receipt(receipt: ReceiptInput, facts: EligibilityFacts, disease: Disease, policy: Policy, *,
                   prior: Spend, year_cost_fen: int = 0) -> ReceiptDecision:
    """Whether and how much the funds pay for one receipt, from the facts on
    its treatment date. ``prior`` is what the period (insurance year, or the
    ZZ month) counted before this receipt; ``year_cost_fen`` the year's costs
    with this receipt (the ZZ supplementary audit's condition 2)."""
    c = policy.claims
    on = receipt.treated_on
    spend, reasons = counted(receipt, disease, policy)
    result = evaluate(facts, disease, policy, on)
    reasons = list(result.reasons) + reasons
    inst = facts.institution
    name = Bilingual(inst.name, inst.name_zh) if inst else ""
    if not result.entitled:
        return ReceiptDecision(False, spend, reasons=tuple(reasons))
    if result.settlement != "cash":
        reasons.append(refuse(c.article_booked, "settlement",
                              N_("On {on} {name} books the fund's share: the treatment is not reimbursed in cash."),
                              on=on, name=name))
        return ReceiptDecision(False, spend, reasons=tuple(reasons))
    before = _funds(disease, policy, on, facts, prior)
    after = _funds(disease, policy, on, facts, Spend(prior.basic_fen + spend.basic_fen,
                                                     prior.supplementary_fen + spend.supplementary_fen))
    if after is None:
        reasons.append(allow(c.article, "amount", N_("Nothing on the receipt counts: nothing to pay.")))
        return ReceiptDecision(True, spend, reasons=tuple(reasons))
    if not after.complete:
        return ReceiptDecision(False, spend, reasons=tuple(reasons + list(after.reasons)))

    def part(name: str) -> int:
        return after.share(name) - (before.share(name) if before is not None else 0)

    basic, supp, account = part("basic_pooling"), part("supplementary_pooling"), part("individual_account")
    reasons += list(after.reasons)
    if prior.total_fen:
        reasons.append(allow(c.article, "amount",
                             N_("{prior} counted earlier in the period; this receipt counts {counted}."),
                             prior=money(prior.total_fen), counted=money(spend.total_fen)))
    if account:
        reasons.append(allow(c.article, "individual_account",
                             N_("{amount} is the individual account's part: settled from the account, not in cash."),
                             amount=money(account)))
    if c.supplementary_audit is not None:
        supp_extra, audit_reasons = _supplementary_audit(facts, disease, policy, spend.basic_fen - basic,
                                                         year_cost_fen)
        supp += supp_extra
        reasons += audit_reasons
    reasons.append(allow(c.article, "amount",
                         N_("Reimbursed in cash: {paid} ({basic} basic pooling fund, {supp} supplementary) of {counted} counted."),
                         paid=money(basic + supp), basic=money(basic), supp=money(supp), counted=money(spend.total_fen)))
    return ReceiptDecision(True, spend, basic, supp, account, tuple(reasons))


def _supplementary_audit(facts: EligibilityFacts, disease: Disease, policy: Policy, left_fen: int,
                         year_cost_fen: int) -> tuple[int, list[Reason]]:
    """ZZ §8: audit and reimbursement of supplementary medical insurance expenses."""
    audit = policy.claims.supplementary_audit
    if audit is None or left_fen <= 0:
        return 0, []
    art = audit.article
    if not facts.enrollee.supplementary:
        return 0, [allow(art, "supplementary", N_("No supplementary medical insurance: no supplementary audit."))]
    listed = disease.code in audit.diseases
    cap = policy.benefits.pooling_max_yuan
    above = cap is not None and year_cost_fen > yuan_to_fen(cap)
    if not (listed or above):
        return 0, [refuse(art, "supplementary",
                          N_("{code} is not on the supplementary audit's list and the year's costs of {cost} do not exceed the pooling maximum of {max}: the supplementary fund does not pay."),
                          code=disease.code, cost=money(year_cost_fen), max=fen_to_yuan(yuan_to_fen(cap or 0)))]
    why = (allow(art, "supplementary", N_("{code} is on the supplementary audit's list of chronic diseases."),
                 code=disease.code) if listed else
           allow(art, "supplementary", N_("The year's costs of {cost} exceed the pooling fund's maximum of {max}."),
                 cost=money(year_cost_fen), max=fen_to_yuan(yuan_to_fen(cap or 0))))
    paid = percent_of(left_fen, audit.pct)
    msg = (N_("The supplementary fund pays {pct}% of the {left} the pooling fund left: {paid} (demo rate).")
           if audit.pct_demo else N_("The supplementary fund pays {pct}% of the {left} the pooling fund left: {paid}."))
    return paid, [why, allow(art, "supplementary", msg, pct=audit.pct, left=money(left_fen), paid=money(paid))]


# --------------------------------------------------------------------------- approval, withdrawal


def approve_reasons(registered_by: str, decided_by: str | None, approver: str, policy: Policy) -> list[Reason]:
    """Four eyes: a second caseworker approves (SZ-MD Art. 10: examined by the agency)."""
    art = policy.claims.article_review
    out: list[Reason] = []
    if approver == registered_by:
        out.append(refuse(art, "approved_by",
                          N_("{user} registered this claim; a second caseworker approves it."), user=approver))
    elif decided_by is not None and approver == decided_by:
        out.append(refuse(art, "approved_by",
                          N_("{user} decided this claim; a second caseworker approves it."), user=approver))
    return out


def check_approve(registered_by: str, decided_by: str | None, approver: str, policy: Policy) -> Decision:
    return Decision.of(approve_reasons(registered_by, decided_by, approver, policy))


def check_withdraw(reason: str, policy: Policy) -> Decision:
    art = policy.claims.article
    if not reason.strip():
        return Decision.of([refuse(art, "reason", N_("Say why the claim is withdrawn."))])
    return Decision.of([])


def status_code(status: str) -> Code:
    return Code("claim_status", status)
