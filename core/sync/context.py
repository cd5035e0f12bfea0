"""The operation being made (at a branch) or applied (at the centre).

Kept apart from :mod:`core.sync.ops` so that the pieces a service calls while
it runs (:mod:`core.services.numbering`, the id source in
:mod:`core.models.base`) can ask "inside which operation?" without importing
the registry.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

RECORD = "record"  # made at a branch: written to the outbox
REPLAY = "replay"  # applied at the centre: numbers come from the operation


@dataclass
class OpContext:
    op_id: uuid.UUID
    seed: uuid.UUID
    branch: str
    mode: str
    session: Any = None
    numbers: list[str] = field(default_factory=list)  # allocated (record) or to hand out (replay)
    reads: dict[str, list] = field(default_factory=dict)  # "table:id" -> [version, sha256]
    touched: set[str] = field(default_factory=set)  # "table:id" created, changed or deleted
    _n: int = 0
    _next_number: int = 0

    def next_id(self) -> uuid.UUID:
        """``uuid5(seed, n)``: the n-th row the operation creates, the same at
        the branch and at the centre."""
        self._n += 1
        return uuid.uuid5(self.seed, str(self._n))

    def take_number(self) -> str | None:
        """Replay: the next number the branch gave out in this operation."""
        if self._next_number >= len(self.numbers):
            return None
        self._next_number += 1
        return self.numbers[self._next_number - 1]


CURRENT: ContextVar[OpContext | None] = ContextVar("casedesk_operation", default=None)


def current() -> OpContext | None:
    return CURRENT.get()
