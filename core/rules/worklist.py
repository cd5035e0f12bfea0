"""What is due, and when (RULES.md §4, §11).

Pure helpers for :mod:`core.services.worklist`: the item kinds with their
articles and messages, the renewal-window bound that lets the certificate
query use the ``valid_until`` index, and date parsing for the command line.

Readings taken:

* A certificate is in its re-application window from ``valid_until`` minus
  ``renewal_window_months`` plus one day through ``valid_until``
  (:func:`core.rules.certificates.renewal_window`, SZ-MD Art. 12). It is due
  on ``valid_until`` and listed until then unless a renewal has been drafted
  (a certificate pointing back to it that is not withdrawn, invalidated or
  void).
* A hospital's monthly batch of originals (SZ-MD Art. 4) for month M is due
  on M's last day; it is listed from the first day of the next month while
  certificates confirmed in M exist and the (hospital, M) batch has not been
  received. Batches belong to the agency, not to a branch or caseworker.
* A notice is listed once its deadline has passed with no explanation
  recorded (the enrollee did not come: record the no-show); a recorded
  explanation waits for a reviewer's judgement from the day it was recorded.
"""

from __future__ import annotations

import calendar
import re

import calendar as _calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import BadInput, DomainError
from core.i18n import N_
from core.policy import Policy
from core.rules.certificates import add_months

# kinds, in the order they are listed on equal due dates
NOTICE_OVERDUE = "notice_overdue"
EXPLANATION_TO_JUDGE = "explanation_to_judge"
VERIFICATION_DUE = "verification_due"
DECISION_DUE = "decision_due"
RESUMPTION_DUE = "resumption_due"
CERTIFICATE_RENEWAL = "certificate_renewal"
BATCH_MISSING = "batch_missing"
SYNC_CONFLICT = "sync_conflict"  # an operation made at this branch that the centre refused (issue 11)
KINDS = (NOTICE_OVERDUE, EXPLANATION_TO_JUDGE, VERIFICATION_DUE, DECISION_DUE, RESUMPTION_DUE,
         CERTIFICATE_RENEWAL, BATCH_MISSING, SYNC_CONFLICT)
CASE_KINDS = frozenset(KINDS[:5])


@dataclass(frozen=True)
class KindInfo:
    article_of: Callable[[Policy], str]  # the pack's article for the kind
    msgid: str

    def article(self, policy: Policy) -> str:
        return self.article_of(policy)


def _notice(p: Policy) -> str:
    return p.deadlines.article_notice


def _resumption(p: Policy) -> str:
    return p.deadlines.article_resumption


def _validity(p: Policy) -> str:
    return p.validity.article


def _certificate(p: Policy) -> str:
    return p.certificates.article



KIND_INFO: dict[str, KindInfo] = {
    NOTICE_OVERDUE: KindInfo(_notice, N_(
        "Case {case}: the notice deadline {due} has passed with no explanation; record the no-show.")),
    EXPLANATION_TO_JUDGE: KindInfo(_notice, N_(
        "Case {case}: the explanation recorded on {explained} waits for a reviewer's judgement.")),
    VERIFICATION_DUE: KindInfo(_notice, N_(
        "Case {case}: finish the verification by {due} (suspended since {opened}).")),
    DECISION_DUE: KindInfo(_notice, N_(
        "Case {case}: deliver the verification result ({outcome}) by {due}.")),
    RESUMPTION_DUE: KindInfo(_resumption, N_(
        "Case {case}: no violation found; resume bookkeeping by {due}.")),
    CERTIFICATE_RENEWAL: KindInfo(_validity, N_(
        "Certificate {certificate} ({disease}) expires on {due}; the re-application window opened on {opens}.")),
    BATCH_MISSING: KindInfo(_certificate, N_(
        "{institution}: the {month} batch of originals ({count} certificates) has not been received.")),
    # the article is the centre's first reason's (core.services.worklist._conflict_items)
    SYNC_CONFLICT: KindInfo(lambda p: "", N_(
        "Operation {op} made here was refused by the centre ({reason}); take the centre's state or send it "
        "again (the conflicts screen, or `casedesk sync resolve`).")),
}


def renewal_latest_valid_until(on: date, months: int) -> date:
    """The last ``valid_until`` whose renewal window has opened by ``on``.

    The window of ``v`` opens on ``add_months(v, -months) + 1 day``, which is
    non-decreasing in ``v``; so the certificates in their window on ``on``
    are exactly those with ``on <= valid_until <= this``."""
    latest = add_months(on - timedelta(days=1), months)
    while add_months(latest + timedelta(days=1), -months) + timedelta(days=1) <= on:
        latest += timedelta(days=1)
    return latest


def last_day_of(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, _calendar.monthrange(year, mon)[1])


def first_of_month(on: date) -> date:
    return on.replace(day=1)


def parse_date(text: str | None, field: str, article: str = "") -> date | None:
    """``YYYY-MM-DD`` → date (None for empty); a DomainError naming ``field``."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    shape = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if shape is None:
        raise BadInput.one(article, field, N_("{value} is not written as a date: write YYYY-MM-DD, e.g. 2026-05-12."),
                           value=value)
    year, month, _day = (int(g) for g in shape.groups())
    if not 1 <= month <= 12:
        raise BadInput.one(article, field, N_("{value} is not a day of the calendar: there is no month {month}."),
                           value=value, month=month)
    raise BadInput.one(article, field, N_("{value} is not a day of the calendar: {year}-{month} has {days} days."),
                       value=value, year=year, month=f"{month:02d}", days=calendar.monthrange(year, month)[1])
