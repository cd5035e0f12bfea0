"""The institutions' settlement with the agency (SZ-MD Art. 9, 11; ZZ §5, §7).

Pure rules: the fund shares of one booked expense, given what the period
counted before it; an institution's compliance rate from its expert reviews
and the annual payment (computed cost x rate).

Readings taken (documented here and in the report):

- A booked expense's fund shares are the period's estimate after it minus
  the estimate before it (the year's threshold, or the ZZ month's cap, is
  reached in time order), at the expense's institution rate; the enrollee's
  current supplementary insurance and account balance are used.
- Large-equipment examinations are booked but not counted where the pack
  leaves them out (SZ-MD Art. 6): no fund share.
- The compliance rate is the compliant files over the files reviewed, over
  every review of the institution in the year; an institution without a
  review has no rate and its payment is not computed (shown as missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from core.errors import Reason
from core.i18n import N_
from core.policy import Disease, Policy
from core.rules.decision import Decision, refuse
from core.rules.eligibility import EnrolleeFacts, InstitutionFacts
from core.rules.formulas import SHARE_PARTS, Spend, estimate

__all__ = ["booked_shares", "check_review", "compliance_rate", "payable"]


def booked_shares(disease: Disease, policy: Policy, on: date, enrollee: EnrolleeFacts, prior_fen: int,
                  amount_fen: int, institution: InstitutionFacts | None) -> dict[str, int] | None:
    """Each part's fen of one booked expense (``SHARE_PARTS``); None when the
    pack cannot compute it (a missing average wage)."""
    after = estimate(disease, policy, on, enrollee, Spend(prior_fen + amount_fen), institution)
    if not after.complete:
        return None
    before = estimate(disease, policy, on, enrollee, Spend(prior_fen), institution) if prior_fen else None
    return {p: after.share(p) - (before.share(p) if before is not None else 0) for p in SHARE_PARTS}


def compliance_rate(reviews: list[tuple[int, int]]) -> Decimal | None:
    """Compliant files over files reviewed (``(reviewed, compliant)`` pairs); None without a review."""
    reviewed = sum(r for r, _ in reviews)
    if reviewed == 0:
        return None
    return Decimal(sum(c for _, c in reviews)) / Decimal(reviewed)


def payable(computed_fen: int, rate: Decimal | None) -> int | None:
    """The annual payment: the computed cost times the compliance rate, half up to the fen (ZZ §7)."""
    if rate is None:
        return None
    return int((Decimal(computed_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def check_review(year: int, reviewed_files: int, compliant_files: int, on: date, policy: Policy) -> Decision:
    """An expert review result: files reviewed (more than none), compliant
    ones (none up to all of them), for a year that has begun."""
    if policy.compliance is None:
        return Decision.of([refuse("", "policy", N_("The {pack} pack has no institution compliance rule."),
                                   pack=policy.id)])
    art = policy.compliance.article
    out: list[Reason] = []
    if reviewed_files <= 0:
        out.append(refuse(art, "reviewed_files", N_("At least one file must have been reviewed.")))
    if not 0 <= compliant_files <= max(reviewed_files, 0):
        out.append(refuse(art, "compliant_files",
                          N_("Compliant files ({compliant}) must be between none and the {reviewed} reviewed."),
                          compliant=compliant_files, reviewed=reviewed_files))
    if year > on.year or year < 1900:
        out.append(refuse(art, "year", N_("The review year {year} has not begun on {on}."), year=year, on=on))
    return Decision.of(out)
