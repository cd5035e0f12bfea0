"""Forms a person can trust (issue 8, build item 7) and the one navigation
model (item 1): a discard prompt when a form holds typed input, date fields
that edit like dates, Enter opens a select, focus after Clear, and the
navigation stack that stays shallow (DuplicateIds crashes)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select

from core.auth import Actor
from core.errors import DomainError
from core.rules.worklist import parse_date
from tui.app import create_app
from tui.widgets.date_field import DateInput, day_note
from tui_support import TODAY, WANG_ID, ZHAO_ID, build_scene, wait_until

SIZE = (80, 24)


@pytest.fixture
def scene(engine, build, clerk):
    return build_scene(build, engine)


def make_app(engine, policy, lang="en"):
    return create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)


def names(app) -> list[str]:
    return [type(s).__name__ for s in app.screen_stack]


async def open_enrollee(pilot, enrollee_id) -> None:
    pilot.app.open_enrollee(enrollee_id)
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)


# --------------------------------------------------------------------------- navigation


async def test_enrollee_worklist_row_and_back_never_duplicates_a_screen(engine, policy, scene):
    """enrollee -> F4 -> Enter on a row crashed with DuplicateIds; F4 -> Enter -> F4 too."""
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_enrollee(pilot, WANG_ID)
        await pilot.press("f4")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        assert names(app) == ["LookupScreen", "WorklistScreen"]
        worklist = app.screen
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert names(app) == ["LookupScreen", "WorklistScreen", "EnrolleeScreen"]
        await pilot.press("f4")  # back to the worklist that is open, not a second one
        await wait_until(pilot, lambda: app.screen is worklist)
        assert names(app) == ["LookupScreen", "WorklistScreen"]
        await pilot.press("enter", "escape")
        await wait_until(pilot, lambda: app.screen is worklist)
        await pilot.press("escape")
        await wait_until(pilot, lambda: names(app) == ["LookupScreen"])
    assert app.failures == []


async def test_monitoring_enter_opens_the_enrollee_over_the_scan(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_enrollee(pilot, WANG_ID)
        await pilot.press("f5")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MonitoringScreen")
        app.screen.query_one("#month", Input).value = "2026-01"
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.screen.items:
            await pilot.press("enter")
            await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
            assert names(app) == ["LookupScreen", "MonitoringScreen", "EnrolleeScreen"]
            await pilot.press("f5")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "MonitoringScreen")
            assert app.screen.items  # the same scan, switched back to
        # another enrollee replaces the one open: one enrollee view at a time
        app.open_enrollee(ZHAO_ID)
        await wait_until(pilot, lambda: getattr(app.screen, "enrollee_id", None) == str(ZHAO_ID))
        app.open_enrollee(WANG_ID)
        await wait_until(pilot, lambda: getattr(app.screen, "enrollee_id", None) == str(WANG_ID))
        assert names(app).count("EnrolleeScreen") == 1
        assert len(app.screen_stack) <= 5
    assert app.failures == []


# --------------------------------------------------------------------------- discard prompt


async def test_escape_on_a_filled_form_asks_before_discarding(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_enrollee(pilot, WANG_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        await app.workers.wait_for_complete()
        app.screen.query_one("#institution", Input).focus()
        await pilot.press(*"H-SZ")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("escape")  # no: stay, and the typed text is still there
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        assert app.screen.query_one("#institution", Input).value == "H-SZ"
        await pilot.press("f4")  # leaving by a global key asks too
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("f4")  # no key but the answer acts while asking
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        await pilot.press("escape", "enter")  # yes: discard and go back one step
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
    assert app.failures == []


async def test_ctrl_q_asks_when_a_form_holds_input_and_quits_when_clean(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        await pilot.press(*"SZ2026")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        assert "discard" in app.screen.question
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        assert app.is_running
        await pilot.press("ctrl+l")  # Clear: nothing typed is left, focus on the first field
        await pilot.pause()
        assert app.focused is app.screen.query_one("#enrollee", Input)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_prefilled_values_and_a_run_check_are_not_unsaved_input(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_enrollee(pilot, WANG_ID)
        await pilot.press("f2")  # enrollee and disease filled in, the check runs
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        assert not app.screen.has_unsaved_input()
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
    assert app.failures == []


# --------------------------------------------------------------------------- dates and selects


def test_date_messages_say_what_is_wrong():
    with pytest.raises(DomainError) as bad_day:
        parse_date("2026-02-30", "on", "SZ-MD Art. 3")
    assert "2026-02 has 28 days" in bad_day.value.messages("en")[0]
    with pytest.raises(DomainError) as bad_shape:
        parse_date("30.02.2026", "on", "SZ-MD Art. 3")
    assert "write YYYY-MM-DD" in bad_shape.value.messages("en")[0]
    assert any("\u4e00" <= c <= "\u9fff" for c in bad_day.value.messages("zh_CN")[0])


def test_day_note_shows_weekday_holiday_and_make_up_day():
    assert day_note("2026-05-12") == "Tue"
    assert day_note("2026-10-01") == "Thu, holiday"  # National Day
    assert day_note("2026-02-30") == "?"


async def test_date_field_takes_digits_only_and_keeps_the_date_on_focus(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        field = app.screen.query_one("#on", DateInput)
        field.focus()
        await pilot.pause()
        assert field.selection.start == field.selection.end  # no select-all trap
        await pilot.press("space", "x", "backspace", "1")  # letters and spaces do not go in
        assert field.value == "2026-05-11"
        await pilot.pause()
        assert "Mon" in str(field.note.content)
    assert app.failures == []


async def test_quick_check_runs_for_the_day_in_its_date_field(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_enrollee(pilot, WANG_ID)
        await pilot.press("f2")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        field = app.screen.query_one("#on", DateInput)
        field.value = "2026-07-01"
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.result is not None and str(app.screen.result.on) == "2026-07-01")
    assert app.failures == []


async def test_enter_opens_a_select(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        select = app.screen.query_one("#disease", Select)
        select.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert select.expanded
    assert app.failures == []


async def test_monitoring_focus_stays_on_the_row_after_a_refusal(engine, policy, scene):
    """After a refusal the focus jumped to Month and the next key acted on another row."""
    from textual.widgets import DataTable

    from tui_support import add_expenses

    add_expenses(engine, scene.zhao, "2026-04", yuan_each=700, count=10)  # SZ-MT Art. 13 cost trigger
    add_expenses(engine, scene.li, "2026-04", yuan_each=700, count=10)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "ctrl+r")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        await app.workers.wait_for_complete()
        screen = app.screen
        table = screen.query_one("#hits", DataTable)
        assert table.row_count >= 2
        await pilot.press("down")
        row = table.cursor_row
        for _attempt in range(2):  # the second time the case is open already: refused
            await pilot.press("ctrl+o")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
            await pilot.press("enter")
            await wait_until(pilot, lambda: app.screen is screen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.focused is table, app.focused
            assert table.cursor_row == row
        assert any(str(n.title) == "Refused" for n in app._notifications)  # the second time
    assert app.failures == []
