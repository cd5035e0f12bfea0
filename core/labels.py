"""Display labels for stored codes (schemes, statuses, roles ...).

Each label is an msgid marked with ``N_``; :func:`core.i18n.translate` shows a
:class:`core.i18n.Code` message parameter through this table, and the TUI
uses it for its own columns. An unknown code is shown as it is stored.
"""

from __future__ import annotations

from core.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "scheme": {
        "comprehensive": N_("comprehensive"),
        "inpatient": N_("inpatient"),
        "migrant": N_("migrant workers"),
    },
    "employment": {
        "employed": N_("employed"),
        "retired_city_pension": N_("retired, city pension"),
        "retired_other": N_("retired, other pension"),
        "unemployed": N_("unemployed"),
        "other": N_("other"),
    },
    "account_state": {
        "normal": N_("normal"),
        "suspended": N_("SUSPENDED"),
    },
    "certificate_status": {
        "draft": N_("draft"),
        "signed": N_("signed"),
        "sealed": N_("sealed"),
        "confirmed": N_("confirmed"),
        "invalidated": N_("invalidated"),
        "void": N_("void"),
        "superseded": N_("superseded"),
        "withdrawn": N_("withdrawn"),
    },
    "standing": {
        "valid": N_("valid"),
        "expired": N_("expired"),
        "not_yet": N_("not yet valid"),
        "pending": N_("not confirmed"),
        "ended": N_("ended"),
    },
    "book_status": {
        "active": N_("active"),
        "used_up": N_("used up"),
        "void": N_("void"),
    },
    "filing_status": {
        "active": N_("active"),
        "cancelled": N_("cancelled"),
    },
    "filing_basis": {
        "stationed": N_("stationed elsewhere"),
        "retired": N_("retired elsewhere"),
    },
    "case_status": {
        "notice_sent": N_("notice sent"),
        "closed_explained": N_("closed, explained"),
        "suspended": N_("suspended"),
        "verified": N_("verified"),
        "decided": N_("decided"),
        "resumed": N_("resumed"),
        "violation": N_("violation"),
        "referred": N_("referred"),
    },
    "role": {
        "clerk": N_("clerk"),
        "reviewer": N_("reviewer"),
        "admin": N_("admin"),
    },
    "applicant": {
        "employer": N_("employer"),
        "village": N_("village or company"),
        "self": N_("self"),
    },
    "case_outcome": {
        "no_violation": N_("no violation"),
        "violation": N_("violation found"),
        "crime": N_("suspected crime, referred"),
    },
    "filed_by": {
        "employer": N_("the employer"),
        "self": N_("the enrollee"),
        "agent": N_("an agent"),
    },
    "title": {
        "resident": N_("resident physician"),
        "attending": N_("attending physician"),
        "deputy_chief": N_("deputy chief physician"),
        "chief": N_("chief physician"),
    },
    "document": {
        "notice": N_("notice to explain"),
        "suspension": N_("suspension notice"),
        "decision": N_("verification decision"),
        "filing-form": N_("filing form"),
        "voucher": N_("record voucher"),
        "certificate": N_("certificate summary"),
        "book-receipt": N_("record book receipt"),
        "batch": N_("batch transmittal list"),
    },
    "yes_no": {
        "yes": N_("yes"),
        "no": N_("no"),
    },
    "number_kind": {  # what a number found by the lookup is (core.services.lookup)
        "certificate": N_("Certificate"),
        "book": N_("Record book"),
        "case": N_("Investigation case"),
        "voucher": N_("Off-site filing voucher"),
    },
}
