"""Keys-only helpers for the workflow screen tests (offsite, health centre,
investigations): from the lookup screen to an enrollee to a workflow, and
typing into the focused field."""

from __future__ import annotations

from tui_support import wait_until


async def open_workflow(pilot, card_number: str, key: str, screen_class: str) -> None:
    """Type the card number in the lookup, Enter opens the enrollee, ``key`` the workflow."""
    app = pilot.app
    await wait_until(pilot, lambda: app.focused is not None and app.focused.id == "search")
    await pilot.press(*card_number)
    await pilot.press("enter")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
    await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
    await pilot.press(key)
    await wait_until(pilot, lambda: type(app.screen).__name__ == screen_class)
    await settle(pilot)


async def settle(pilot) -> None:
    """Let pending workers finish and their results reach the screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_into(pilot, widget_id: str, text: str) -> None:
    """Type ``text`` into the focused field, which must be ``widget_id``."""
    focused = pilot.app.focused
    assert focused is not None and focused.id == widget_id, f"focus is on {focused!r}, not #{widget_id}"
    await pilot.press(*text)


async def tab_to(pilot, widget_id: str, limit: int = 40) -> None:
    """Press Tab until ``widget_id`` has the focus."""
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"#{widget_id} never got the focus")


async def choose(pilot, select_id: str, value: str) -> None:
    """Tab to the Select, open it with Enter, move with Up/Down to ``value``, Enter."""
    from textual.widgets._select import SelectOverlay

    select = pilot.app.screen.query_one(f"#{select_id}")
    await tab_to(pilot, select_id)
    target = [v for _prompt, v in select._options].index(value)
    await pilot.press("enter")
    overlay = select.query_one(SelectOverlay)
    await wait_until(pilot, lambda: overlay.has_focus)
    for _ in range(len(select._options) * 2):
        at = overlay.highlighted
        if at == target:
            break
        await pilot.press("down" if at is None or at < target else "up")
    await pilot.press("enter")
    await wait_until(pilot, lambda: select.value == value)
