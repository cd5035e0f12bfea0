"""The one door from the screens and the commands into ``core``.

``tui/`` and ``cli/`` never open a session or build a query (import-linter
contracts in ``pyproject.toml``). They hand a piece of work — a call of a
``core`` query function or service, ``lambda s: service(s, actor, ...)`` — to
:func:`read` or :func:`write`, which run it in one session and return its
result only when it is plain (:func:`core.records.ensure_plain`): no ORM row
leaves a session, so nothing expires under the caller. :func:`write`
returns after the commit, so a caller reports success only once it is true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from core.db import read_session, write_session
from core.records import ensure_plain

T = TypeVar("T")

#: what the work receives: an open session, to pass on to ``core`` functions
#: only (screens and commands import this name for their type hints)
Work = Callable[[Session], T]

__all__ = ["Session", "Work", "read", "run", "write"]


def run(engine: Engine, work: Work[T], *, write: bool = False, action: str | None = None) -> T:
    """``work(session)`` in a write transaction (committed before this
    returns; rolled back whole, the error raised, on any error) or in a read
    session (rolled back at the end); its result only if it is plain. A
    database fault names ``action`` (what was being done)."""
    opener = write_session if write else read_session
    with opener(engine, action=action or ("saving" if write else "reading")) as session:
        result = ensure_plain(work(session))
    return result


def read(engine: Engine, work: Work[T], *, action: str | None = None) -> T:
    return run(engine, work, write=False, action=action)


def write(engine: Engine, work: Work[T], *, action: str | None = None) -> T:
    return run(engine, work, write=True, action=action)
