"""The result shape every rule returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import DomainError, Reason


@dataclass(frozen=True)
class Decision:
    ok: bool
    reasons: list[Reason] = field(default_factory=list)

    @classmethod
    def of(cls, reasons: list[Reason]) -> "Decision":
        """Refused if any reason is a refusal (``ok=False``)."""
        return cls(ok=all(r.ok for r in reasons), reasons=list(reasons))

    @property
    def refusals(self) -> list[Reason]:
        return [r for r in self.reasons if not r.ok]

    def raise_if_refused(self) -> None:
        if not self.ok:
            raise DomainError(self.refusals)


def refuse(article: str, field: str, msgid: str, **params) -> Reason:
    return Reason(article=article, field=field, msgid=msgid, params=params, ok=False)


def allow(article: str, field: str, msgid: str, **params) -> Reason:
    return Reason(article=article, field=field, msgid=msgid, params=params, ok=True)
