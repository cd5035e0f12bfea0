"""One kind of domain error, shown the same way by the CLI and the TUI.

A refusal carries one or more :class:`Reason`: the field it is about, the
article tag of the rule (``SZ-MD Art. 4`` …), and a message id from the
catalogue with its parameters, so it can be shown in English or Chinese.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    """Why something is (not) allowed. ``ok`` reasons explain an entitlement."""

    article: str
    field: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    ok: bool = False

    def message(self, lang: str = "en") -> str:
        from core.i18n import translate

        return translate(self.msgid, lang, **self.params)

    @property
    def message_en(self) -> str:
        return self.message("en")

    @property
    def message_zh(self) -> str:
        return self.message("zh_CN")

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {
            "ok": self.ok,
            "article": self.article,
            "field": self.field,
            "message": self.message(lang),
            "message_en": self.message_en,
            "message_zh": self.message_zh,
        }

    def line(self, lang: str = "en") -> str:
        """``[article] field: message`` (no brackets when no article applies)."""
        head = f"[{self.article}] " if self.article else ""
        return f"{head}{self.field_label(lang)}: {self.message(lang)}"

    def field_label(self, lang: str = "en") -> str:
        """The field as a person reads it (``core.labels``: "seal_ref" is "seal reference")."""
        from core.i18n import Code

        return Code("field", self.field).text(lang)

    def __str__(self) -> str:
        return self.line("en")


class DomainError(Exception):
    """A refused request. Nothing was written when this is raised."""

    def __init__(self, reasons: list[Reason] | Reason):
        if isinstance(reasons, Reason):
            reasons = [reasons]
        self.reasons: list[Reason] = list(reasons)
        super().__init__("; ".join(str(r) for r in self.reasons))

    @classmethod
    def one(cls, article: str, field: str, msgid: str, **params: Any) -> "DomainError":
        return cls(Reason(article=article, field=field, msgid=msgid, params=params))

    @property
    def field(self) -> str:
        return self.reasons[0].field

    @property
    def article(self) -> str:
        return self.reasons[0].article

    def messages(self, lang: str = "en") -> list[str]:
        return [r.line(lang) for r in self.reasons]


class PermissionDenied(DomainError):
    """The acting caseworker's role does not allow the action."""


class BadInput(DomainError):
    """The request cannot be read (a malformed value, an unknown record):
    exit 2 in the CLI, where a step refused by a rule exits 1."""


class NotFound(BadInput):
    """A record named by the caller does not exist."""


class StaleRecord(DomainError):
    """The record changed since the caller read it (optimistic locking)."""


class SchemaError(RuntimeError):
    """The database schema is not the one this casedesk expects."""


class DatabaseFault(DomainError):
    """The database could not do what was asked (busy, disk full, I/O error,
    read-only, damaged, unreachable). The transaction was rolled back whole:
    nothing was written. ``kind`` is one of :data:`core.db.FAULT_KINDS`."""

    def __init__(self, reasons, kind: str = "other"):
        super().__init__(reasons)
        self.kind = kind
