"""Benefit formulas, looked up by name (the pack's ``benefits.formula``).

Each :class:`Formula` has a name, a pydantic model for its parameters (the
pack's ``[benefits.params]``: numbers *and* the article tags they rest on,
checked when the pack loads) and a pure ``compute`` that turns a spend into an
:class:`Estimate`. A new city's formula is a new entry here; choosing an
existing one with other numbers and tags is data only.

Shipped formulas:

* ``account_then_pooling`` (SZ-MD Art. 6, 7 shape): Category I diseases pay
  from the individual account first, then the pooling funds pay a percentage
  of the costs above a threshold (a percentage of the previous year's average
  wage); Category II diseases pay flat percentages of the basic and of the
  local supplementary costs.
* ``capped_monthly_rate`` (ZZ §4 shape): the fund pays a rate that depends on
  the institution (community health centre not run by a level-2/3 hospital or
  other), up to the disease's ``monthly_cap_yuan``, valid in the month only.

Money is integer fen; every percentage share is rounded half up to the fen.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from core.errors import Reason
from core.i18n import N_, translate
from core.policy import Disease, Policy, Tag, fen_to_yuan, yuan_to_fen
from core.rules.decision import allow, refuse

if TYPE_CHECKING:  # facts are built by core.rules.eligibility
    from core.rules.eligibility import EnrolleeFacts, InstitutionFacts

ACCOUNT_THEN_POOLING = "account_then_pooling"
CAPPED_MONTHLY_RATE = "capped_monthly_rate"

SHARE_PARTS = ("individual_account", "basic_pooling", "supplementary_pooling", "enrollee")
SHARE_LABELS = {
    "individual_account": N_("individual account"),
    "basic_pooling": N_("basic pooling fund"),
    "supplementary_pooling": N_("supplementary pooling fund"),
    "enrollee": N_("enrollee (account or cash)"),
}

def _pct() -> Any:
    return Field(ge=Decimal(0), le=Decimal(100))


@dataclass(frozen=True)
class Spend:
    """Spend for the estimate, in fen: basic and local supplementary costs."""

    basic_fen: int
    supplementary_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.basic_fen + self.supplementary_fen


def money(fen: int | None) -> str | None:
    """Yuan with two decimals, as text (JSON and screens)."""
    return None if fen is None else str(fen_to_yuan(fen))


def percent_of(fen: int, pct: Decimal | int) -> int:
    """``pct`` % of ``fen``, rounded half up to the fen."""
    return int((Decimal(fen) * Decimal(pct) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Period:
    kind: str  # certificate | insurance_year | month
    start: date | None
    end: date | None  # last day; None = open

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


@dataclass(frozen=True)
class Share:
    part: str  # one of SHARE_PARTS
    fen: int
    pct: Decimal | None
    article: str

    def label(self, lang: str = "en") -> str:
        return translate(SHARE_LABELS[self.part], lang)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "part": self.part,
            "label": self.label(lang),
            "amount": money(self.fen),
            "pct": str(self.pct) if self.pct is not None else None,
            "article": self.article,
        }


@dataclass(frozen=True)
class Estimate:
    """Benefit estimate for a spend. ``allowed`` is the period's cap on the
    fund's payment (None = no cap), ``used`` what the funds pay, ``remaining``
    the cap left. ``shares`` add up to the spend when ``complete``."""

    formula: str  # the registry name of the formula that computed it
    period: Period
    spent_fen: int
    spent_supplementary_fen: int
    complete: bool
    allowed_fen: int | None = None
    used_fen: int = 0
    remaining_fen: int | None = None
    threshold_fen: int | None = None
    shares: tuple[Share, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def share(self, part: str) -> int:
        return sum(s.fen for s in self.shares if s.part == part)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "formula": self.formula,
            "period": self.period.as_dict(),
            "complete": self.complete,
            "spent": money(self.spent_fen),
            "spent_supplementary": money(self.spent_supplementary_fen),
            "allowed": money(self.allowed_fen),
            "used": money(self.used_fen),
            "remaining": money(self.remaining_fen),
            "threshold": money(self.threshold_fen),
            "shares": [s.as_dict(lang) for s in self.shares],
            "reasons": [r.as_dict(lang) for r in self.reasons],
        }


def insurance_year_start(on: date, start_month: int) -> date:
    return date(on.year if on.month >= start_month else on.year - 1, start_month, 1)


def insurance_year(on: date, start_month: int) -> Period:
    """The medical insurance year holding ``on`` (SZ-MD Art. 8)."""
    start = insurance_year_start(on, start_month)
    end = date(start.year + 1, start_month, 1)
    return Period("insurance_year", start, date.fromordinal(end.toordinal() - 1))


def month_of(on: date) -> Period:
    last = _calendar.monthrange(on.year, on.month)[1]
    return Period("month", date(on.year, on.month, 1), date(on.year, on.month, last))


# --------------------------------------------------------------------------- parameters


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccountThenPooling(_Params):
    cat1_threshold_pct_of_avg_wage: Decimal = _pct()
    cat1_basic_pooling_pct: Decimal = _pct()
    cat1_supplementary_pooling_pct: Decimal = _pct()
    article_cat1: Tag
    cat2_basic_pct: Decimal = _pct()
    cat2_supplementary_pct: Decimal = _pct()
    article_cat2: Tag


class CappedMonthlyRate(_Params):
    community_pct: Decimal = _pct()
    other_pct: Decimal = _pct()
    article: Tag


def _enrollee_share(spend: Spend, *shares: Share) -> Share:
    return Share("enrollee", spend.total_fen - sum(s.fen for s in shares), None, "")


def _no_supplementary(enrollee: EnrolleeFacts, spend: Spend, article: str) -> list[Reason]:
    if spend.supplementary_fen and not enrollee.supplementary:
        return [allow(article, "supplementary",
                      N_("No local supplementary insurance: the supplementary costs of {amount} are the enrollee's."),
                      amount=money(spend.supplementary_fen))]
    return []


def _category_1(p: AccountThenPooling, policy: Policy, on: date, enrollee: EnrolleeFacts, spend: Spend) -> Estimate:
    b = policy.benefits
    art = p.article_cat1
    period = insurance_year(on, b.benefit_year_start_month)
    wage_year = insurance_year_start(on, b.benefit_year_start_month).year - 1
    base = dict(formula=ACCOUNT_THEN_POOLING, period=period, spent_fen=spend.basic_fen,
                spent_supplementary_fen=spend.supplementary_fen)
    wage = policy.average_wage_for(wage_year)
    if wage is None:
        return Estimate(**base, complete=False, reasons=(refuse(
            art, "average_wage",
            N_("The policy pack has no average wage for {year}; the Category I threshold cannot be computed."),
            year=wage_year),))
    pct_t = p.cat1_threshold_pct_of_avg_wage
    threshold = percent_of(yuan_to_fen(wage.yuan), pct_t)
    total = spend.total_fen
    balance = max(enrollee.individual_account_fen, 0)
    account = min(total, balance)
    pooled = max(0, total - max(balance, threshold))
    pooled_basic = int((Decimal(pooled) * spend.basic_fen / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)) if total else 0
    pooled_supp = pooled - pooled_basic
    pct_b = p.cat1_basic_pooling_pct
    pct_s = p.cat1_supplementary_pooling_pct
    basic = Share("basic_pooling", percent_of(pooled_basic, pct_b), pct_b, art)
    supp = Share("supplementary_pooling", percent_of(pooled_supp, pct_s) if enrollee.supplementary else 0,
                 pct_s, art)
    acct = Share("individual_account", account, None, art)
    reasons = [
        allow(art, "threshold",
              N_("Threshold {threshold}: {pct}% of the {year} average wage of {wage} (demo figure).") if wage.demo
              else N_("Threshold {threshold}: {pct}% of the {year} average wage of {wage}."),
              threshold=money(threshold), pct=pct_t, year=wage_year, wage=money(yuan_to_fen(wage.yuan))),
        allow(art, "individual_account",
              N_("Individual account first: {paid} of the balance {balance}."), paid=money(account), balance=money(balance)),
    ]
    if total <= threshold:
        reasons.append(allow(art, "threshold",
                             N_("Year-to-date spend is within the threshold: the pooling funds start above {threshold} ({left} to go)."),
                             threshold=money(threshold), left=money(threshold - total)))
    else:
        reasons.append(allow(art, "threshold",
                             N_("Pooling: {pct}% of the {pooled} above the threshold that the account did not cover."),
                             pct=pct_b, pooled=money(pooled)))
    reasons += _no_supplementary(enrollee, spend, art)
    return Estimate(**base, complete=True, used_fen=basic.fen + supp.fen, threshold_fen=threshold,
                    shares=(acct, basic, supp, _enrollee_share(spend, acct, basic, supp)), reasons=tuple(reasons))


def _category_2(p: AccountThenPooling, policy: Policy, on: date, enrollee: EnrolleeFacts, spend: Spend) -> Estimate:
    b = policy.benefits
    art = p.article_cat2
    pct_b = p.cat2_basic_pct
    pct_s = p.cat2_supplementary_pct
    basic = Share("basic_pooling", percent_of(spend.basic_fen, pct_b), pct_b, art)
    supp = Share("supplementary_pooling", percent_of(spend.supplementary_fen, pct_s) if enrollee.supplementary else 0,
                 pct_s, art)
    reasons = [allow(art, "estimate",
                     N_("Category II: {basic_pct}% of basic medical costs from the basic fund, {supp_pct}% of local supplementary costs from the supplementary fund."),
                     basic_pct=pct_b, supp_pct=pct_s)]
    reasons += _no_supplementary(enrollee, spend, art)
    return Estimate(formula=ACCOUNT_THEN_POOLING, period=insurance_year(on, b.benefit_year_start_month),
                    spent_fen=spend.basic_fen, spent_supplementary_fen=spend.supplementary_fen, complete=True,
                    used_fen=basic.fen + supp.fen, shares=(basic, supp, _enrollee_share(spend, basic, supp)),
                    reasons=tuple(reasons))


def _capped_monthly_rate(p: CappedMonthlyRate, disease: Disease, policy: Policy, on: date, enrollee: EnrolleeFacts,
                         spend: Spend, institution: InstitutionFacts | None) -> Estimate:
    art = p.article
    period = month_of(on)
    community = institution is not None and institution.community_rate()
    pct = p.community_pct if community else p.other_pct
    cap = yuan_to_fen(disease.monthly_cap_yuan or 0)
    raw = percent_of(spend.basic_fen, pct)
    fund = Share("basic_pooling", min(raw, cap), pct, art)
    if institution is None:
        rate_r = allow(art, "institution",
                       N_("No institution given: the other-institution rate of {pct}% is assumed ({community}% at community health centres)."),
                       pct=pct, community=p.community_pct)
    elif community:
        rate_r = allow(art, "institution", N_("{code} is a community health centre: the fund pays {pct}%."),
                       code=institution.code, pct=pct)
    else:
        rate_r = allow(art, "institution",
                       N_("{code} is not a community health centre (or is run by a level-2/3 hospital): the fund pays {pct}%."),
                       code=institution.code, pct=pct)
    reasons = [rate_r, allow(art, "monthly_cap",
                             N_("Monthly cap {cap} for {code} in {month}: valid in that month only, not carried over."),
                             cap=money(cap), code=disease.code, month=f"{on:%Y-%m}")]
    if raw > cap:
        reasons.append(allow(art, "monthly_cap", N_("Cap reached: the fund pays {cap} instead of {raw}."),
                             cap=money(cap), raw=money(raw)))
    if spend.supplementary_fen:
        reasons.append(allow(art, "supplementary",
                             N_("This pack has no supplementary fund share: the supplementary costs of {amount} are the enrollee's."),
                             amount=money(spend.supplementary_fen)))
    return Estimate(formula=CAPPED_MONTHLY_RATE, period=period, spent_fen=spend.basic_fen,
                    spent_supplementary_fen=spend.supplementary_fen, complete=True, allowed_fen=cap,
                    used_fen=fund.fen, remaining_fen=cap - fund.fen,
                    shares=(fund, _enrollee_share(spend, fund)), reasons=tuple(reasons))



# --------------------------------------------------------------------------- registry


def _account_then_pooling(p: AccountThenPooling, disease: Disease, policy: Policy, on: date,
                          enrollee: EnrolleeFacts, spend: Spend, institution: InstitutionFacts | None) -> Estimate:
    if disease.category == 1:
        return _category_1(p, policy, on, enrollee, spend)
    return _category_2(p, policy, on, enrollee, spend)


def _no_disease_check(diseases: Sequence[Disease]) -> list[str]:
    return []


def _needs_monthly_cap(diseases: Sequence[Disease]) -> list[str]:
    return [f"disease {d.code!r} needs monthly_cap_yuan (formula {CAPPED_MONTHLY_RATE})"
            for d in diseases if d.monthly_cap_yuan is None]


@dataclass(frozen=True)
class Formula:
    name: str
    params: type[_Params]
    compute: Callable[..., Estimate]  # (params, disease, policy, on, enrollee, spend, institution)
    check_diseases: Callable[[Sequence[Disease]], list[str]] = _no_disease_check
    #: the period whose spend the formula counts: the medical insurance year
    #: (SZ-MD Art. 8) or the month of a monthly cap (ZZ §4)
    monthly: bool = False


FORMULAS: dict[str, Formula] = {f.name: f for f in (
    Formula(ACCOUNT_THEN_POOLING, AccountThenPooling, _account_then_pooling),
    Formula(CAPPED_MONTHLY_RATE, CappedMonthlyRate, _capped_monthly_rate, _needs_monthly_cap, monthly=True),
)}


def estimate(disease: Disease, policy: Policy, on: date, enrollee: EnrolleeFacts, spend: Spend,
             institution: InstitutionFacts | None = None) -> Estimate:
    """The pack's formula applied to ``spend``."""
    b = policy.benefits
    return FORMULAS[b.formula].compute(b.params, disease, policy, on, enrollee, spend, institution)


def benefit_period(policy: Policy, on: date) -> Period:
    """The period holding ``on`` whose spend the pack's formula counts: the
    month for a monthly cap (ZZ §4), else the medical insurance year (SZ-MD Art. 8)."""
    if FORMULAS[policy.benefits.formula].monthly:
        return month_of(on)
    return insurance_year(on, policy.benefits.benefit_year_start_month)
