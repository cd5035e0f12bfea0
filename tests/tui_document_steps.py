"""Pilot helpers for the certificate, record book and replacement screen tests
(test_tui_certificates.py, test_tui_books.py, test_tui_replacements.py):
reach a workflow by keys from the lookup screen, wait for a picker to
settle, read what a screen shows and what the database holds."""

from __future__ import annotations

from sqlmodel import select

from core.db import write_session
from tui_support import screen_text, wait_until


async def open_by_keys(pilot, card_number: str, key: str, screen_name: str) -> None:
    """Lookup: type the card number, Enter opens the enrollee, ``key`` opens the workflow."""
    app = pilot.app
    await pilot.press(*card_number, "enter")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
    await pilot.press(key)
    await wait_until(pilot, lambda: type(app.screen).__name__ == screen_name
                     and getattr(app.screen, "file", None) is not None)


async def settled(pilot, picker_id: str, key: str | None = None) -> None:
    """Wait until the picker has loaded (and highlights ``key`` when given)."""
    screen = pilot.app.screen
    picker = screen.query_one(f"#{picker_id}")
    await wait_until(pilot, lambda: not picker.busy and (key is None or picker.value == str(key)))


def shown(app) -> str:
    """The text of every Static on the current screen (the reasons lists
    included), every table cell, every picker choice and every checkbox label."""
    from textual.widgets import Checkbox, DataTable, OptionList

    from tui_support import table_text

    parts = [screen_text(app.screen)]
    parts += [table_text(t) for t in app.screen.query(DataTable)]
    for options in app.screen.query(OptionList):
        parts += [str(o.prompt) for o in options.options]
    parts += [str(box.label) for box in app.screen.query(Checkbox)]
    return "\n".join(parts)


def rows(engine, model, **where):
    with write_session(engine) as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return list(s.exec(q))


__all__ = ["open_by_keys", "rows", "settled", "shown", "wait_until"]
