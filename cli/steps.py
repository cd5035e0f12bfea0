"""The steps a record can take now, for ``casedesk … show``: every event of
its machine, allowed or refused with the reasons (article, field, message),
from :func:`core.services.steps.steps_for` — the answer the TUI gets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from cli.main import state


def allowed_steps_json(session: Any, row: Any, who: Any, on: date, policy: Any = None) -> list[dict] | None:
    """``row``'s steps for ``who`` on ``on`` as dicts; None when the OS user
    is not a caseworker (nobody to ask for)."""
    from core.services.steps import steps_for

    if who is None:
        return None
    return [st.as_dict(state.lang) for st in steps_for(session, row, who, on, policy=policy)]


def allowed_lines(allowed: list[dict] | None) -> list[str]:
    """``allowed  event  (article)`` or ``refused  event: [article] field: message`` lines."""
    if allowed is None:
        return ["steps: (you are not a caseworker of this database)"]
    out = []
    for st in allowed:
        if st["allowed"]:
            out.append(f"  allowed  {st['event']:<18} {st['action']}  ({st['article']})")
        else:
            why = "; ".join(f"[{r['article']}] {r['field']}: {r['message']}" if r["article"]
                            else f"{r['field']}: {r['message']}" for r in st["reasons"])
            out.append(f"  refused  {st['event']:<18} {why}")
    return ["steps:"] + out


def run_step(on: str | None, as_json: bool, call: Callable[[Any, Any, date, Any], Any]) -> Any:
    """One workflow step: ``call(session, actor, day, policy)`` — a core
    service — in one transaction; returns its record, frozen, after the
    commit (refusals exit 1 or 2 through :func:`cli.main.cli_errors`)."""
    from cli.commands.eligibility import parse_on
    from cli.main import cli_errors, policy, write
    from core.records import frozen

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()
        return write(lambda s, who: frozen(call(s, who, day, pol)))


def run_show(on: str | None, as_json: bool, load: Callable[[Any, Any], tuple[Any, Any]]) -> tuple[Any, Any, Any]:
    """A ``show``: ``load(session, policy)`` gives the record and what else
    is shown; returns (the record frozen, the rest, its allowed steps on ``on``)."""
    from cli.commands.eligibility import parse_on
    from cli.main import cli_errors, policy, read_as
    from core.records import frozen

    with cli_errors(as_json):
        day, pol = parse_on(on), policy()

        def work(s, who):
            row, extra = load(s, pol)
            return frozen(row), extra, allowed_steps_json(s, row, who, day, pol)

        return read_as(work)
