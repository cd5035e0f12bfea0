"""The guards of the machines: each asks the rules (:mod:`core.rules`) about
one event on one record, with the facts and inputs the caller has.

A guard never refuses for an input that has not been given yet
(``GuardContext.inputs`` is None, or lacks the field): the screen asks
before it shows a form, and asks again with the inputs before it shows a
confirmation dialog; the service runs the same rules at write time.
"""

from __future__ import annotations

from core.errors import Reason
from core.rules import books as book_rules
from core.rules import certificates as cert_rules
from core.rules import claims as claim_rules
from core.rules import investigations as case_rules
from core.rules import offsite as offsite_rules
from core.rules import replacements as repl_rules
from core.workflows.machine import GuardContext


def _given(reasons: list[Reason], ctx: GuardContext, *input_fields: str) -> list[Reason]:
    """Drop refusals about inputs not given yet."""
    missing = {f for f in input_fields if not ctx.has_input(f)}
    return [r for r in reasons if r.field not in missing]


# --------------------------------------------------------------------------- certificates


def certificate_sign(cert, ctx: GuardContext) -> list[Reason]:
    sigs = ctx.input("signatures")
    memberships = ctx.fact("memberships")
    if sigs is None or memberships is None or ctx.policy is None:
        return []
    return cert_rules.check_signatures(cert, sigs, memberships, ctx.policy, ctx.on).refusals


def certificate_seal(cert, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    d = cert_rules.check_seal(cert, ctx.input("seal_ref", "-"), ctx.on, ctx.policy)
    return _given(d.refusals, ctx, "seal_ref")


def certificate_confirm(cert, ctx: GuardContext) -> list[Reason]:
    enrollee = ctx.fact("enrollee")
    if ctx.policy is None:
        return []
    if enrollee is None:
        return cert_rules.confirm_record_reasons(cert, ctx.actor.username, ctx.on, ctx.policy)
    return cert_rules.check_confirm(cert, enrollee, ctx.policy.disease(cert.disease_code), ctx.actor.username,
                                    ctx.fact("previous"), ctx.on, ctx.policy).refusals


def certificate_replace(cert, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    d = repl_rules.check_certificate(cert, ctx.input("place", "agency"), ctx.input("institution"),
                                     ctx.input("card_presented", True), ctx.input("id_card_presented", True), ctx.on,
                                     ctx.policy)
    return _given(d.refusals, ctx, "place", "institution_id", "card_presented", "id_card_presented")


def certificate_invalidate(cert, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    return _given(cert_rules.check_invalidate(cert, ctx.input("reason", "-"), ctx.policy).refusals, ctx, "reason")


def certificate_withdraw(cert, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    return _given(cert_rules.check_withdraw(cert, ctx.input("reason", "-"), ctx.policy).refusals, ctx, "reason")


# --------------------------------------------------------------------------- off-site filing


def filing_cancel(filing, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    d = offsite_rules.check_cancel(status=filing.status, filed_on=filing.filed_on,
                                   reason=ctx.input("reason", "-"), on=ctx.on, policy=ctx.policy)
    return _given(d.refusals, ctx, "reason")


# --------------------------------------------------------------------------- investigation cases


def case_notice(_case, ctx: GuardContext) -> list[Reason]:
    if not ctx.has_input("trigger") or ctx.policy is None:
        return []
    return case_rules.check_duplicate(list(ctx.fact("open_cases", ())), ctx.input("trigger"), ctx.policy).refusals


def case_explain(case, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    return _given(case_rules.check_explanation(case, ctx.on, ctx.input("note", "-"), ctx.policy).refusals,
                  ctx, "note")


def case_judge(case, ctx: GuardContext) -> list[Reason]:
    return case_rules.check_judgement(case, ctx.on, ctx.policy).refusals if ctx.policy is not None else []


def case_no_show(case, ctx: GuardContext) -> list[Reason]:
    return case_rules.check_no_show(case, ctx.on, ctx.policy).refusals if ctx.policy is not None else []


def case_verify(case, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    d = case_rules.check_verification(case, ctx.input("outcome", case_rules.OUTCOME_NO_VIOLATION), ctx.on,
                                      ctx.policy)
    return _given(d.refusals, ctx, "outcome")


def case_decide(case, ctx: GuardContext) -> list[Reason]:
    return case_rules.check_decision(case, ctx.on, ctx.policy).refusals if ctx.policy is not None else []


def case_resume(case, ctx: GuardContext) -> list[Reason]:
    return case_rules.check_resume(case, ctx.on, ctx.policy).refusals if ctx.policy is not None else []


# --------------------------------------------------------------------------- books and replacements


def book_renew(book, ctx: GuardContext) -> list[Reason]:
    d = book_rules.check_renew(book, ctx.input("issuer"), ctx.input("card_presented", True),
                               ctx.input("id_card_presented", True), ctx.policy) if ctx.policy is not None else None
    if d is None:
        return []
    return _given(d.refusals, ctx, "issued_at_id", "card_presented", "id_card_presented")


def book_replace(book, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    d = repl_rules.check_book(book, ctx.input("place", "agency"), ctx.input("institution"),
                              ctx.input("card_presented", True), ctx.input("id_card_presented", True), ctx.policy)
    return _given(d.refusals, ctx, "place", "institution_id", "card_presented", "id_card_presented")


def replacement_archive(repl, ctx: GuardContext) -> list[Reason]:
    return repl_rules.check_archive(repl.archived, ctx.policy).refusals if ctx.policy is not None else []


# --------------------------------------------------------------------------- cash reimbursement claims


def claim_approve(claim, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    return claim_rules.approve_reasons(claim.registered_by, claim.decided_by, ctx.actor.username, ctx.policy)


def claim_withdraw(claim, ctx: GuardContext) -> list[Reason]:
    if ctx.policy is None:
        return []
    return _given(claim_rules.check_withdraw(ctx.input("reason", "-"), ctx.policy).refusals, ctx, "reason")
