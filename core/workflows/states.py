"""The stored states of the workflow machines (the values of the status
columns), declared beside the machines that give them meaning
(:mod:`core.workflows.definitions`) and re-exported by :mod:`core.models`.
Imports nothing, so the models can build their CHECK constraints from the
machines."""

from __future__ import annotations

from enum import StrEnum


class CertificateStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"  # both diagnostic-team signatures present
    SEALED = "sealed"  # hospital insurance-office seal
    CONFIRMED = "confirmed"  # agency confirmation: gives benefits
    INVALIDATED = "invalidated"  # false claim (SZ-MD Art. 13)
    VOID = "void"  # reported lost and replaced (SZ-MD Art. 5)
    SUPERSEDED = "superseded"  # continued by a re-application (SZ-MD Art. 12)
    WITHDRAWN = "withdrawn"  # draft abandoned


class BookStatus(StrEnum):
    ACTIVE = "active"
    USED_UP = "used_up"
    VOID = "void"


class FilingStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CaseStatus(StrEnum):
    NOTICE_SENT = "notice_sent"
    CLOSED_EXPLAINED = "closed_explained"
    SUSPENDED = "suspended"  # case opened, bookkeeping suspended
    VERIFIED = "verified"
    DECIDED = "decided"
    RESUMED = "resumed"
    VIOLATION = "violation"
    REFERRED = "referred"


class ClaimStatus(StrEnum):
    REGISTERED = "registered"  # receipts taken at the counter
    DECIDED = "decided"  # casedesk decided each receipt
    APPROVED = "approved"  # a second caseworker approved: on the month's payment list
    WITHDRAWN = "withdrawn"  # abandoned before approval
