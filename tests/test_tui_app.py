"""Pilot tests of the TUI shell: lookup, enrollee view, quick check, help,
history, worklist, monitoring, palette, registry (RULES.md; SZ-MT Art. 14
suspended state; SZ-MD Art. 3 reasons)."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input

from core.auth import Actor
from core.db import read_session
from core.models import InvestigationCase
from tui.app import CasedeskApp, create_app
from tui.screens import WORKFLOW_SCREENS
from tui.screens.base import WorkflowScreen
from tui_support import (
    LI_ID,
    TODAY,
    WANG_ID,
    ZHAO_ID,
    add_audit,
    add_expenses,
    build_scene,
    screen_text,
    table_text,
    text_of,
    wait_until,
)

SIZE = (80, 24)


@pytest.fixture
def scene(engine, build, clerk):
    return build_scene(build, engine)


def make_app(engine, policy, lang: str = "en", actor: Actor | None = None) -> CasedeskApp:
    return create_app(engine, actor or Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)


async def type_lookup(pilot, text: str) -> None:
    await pilot.press(*text)
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.page is not None and screen.page.query == text)


async def open_wang(pilot) -> None:
    await type_lookup(pilot, "SZ20260001")
    await pilot.press("enter")
    await wait_until(pilot, lambda: getattr(pilot.app.screen, "overview", None) is not None)


# --------------------------------------------------------------------------- start and exit


async def test_starts_and_exits_on_an_empty_database(engine, policy):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        assert type(app.screen).__name__ == "LookupScreen"
        assert "Type to search" in screen_text(app.screen)
        await pilot.press(*"nobody")
        await wait_until(pilot, lambda: app.screen.page is not None and app.screen.page.query == "nobody")
        assert app.screen.query_one("#results", DataTable).row_count == 0
        assert "No enrollee matches nobody" in screen_text(app.screen)
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert app.failures == []


async def test_starts_and_exits_on_a_populated_database(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        header = screen_text(app.screen)
        assert "clerk1 (clerk) | shenzhen-2008 | casedesk.db | 2026-05-12" in header
        # nothing is loaded before the caseworker types
        assert app.screen.query_one("#results", DataTable).row_count == 0
        await pilot.press("ctrl+q")
    assert app.return_code == 0
    assert app.failures == []


# --------------------------------------------------------------------------- lookup


async def test_lookup_results_as_you_type_with_masked_ids(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await type_lookup(pilot, "Zhao")
        table = app.screen.query_one("#results", DataTable)
        assert table.row_count == 1
        text = table_text(table)
        assert "Zhao Min" in text
        assert scene.zhao.id_number not in text  # masked in the list
        assert scene.zhao.id_number[:4] + "**********" + scene.zhao.id_number[-4:] in text
        assert scene.zhao.card_number not in text
    assert app.failures == []


async def test_lookup_pages_with_pagedown_and_pageup(engine, policy, build, clerk):
    for i in range(45):
        build.enrollee(name=f"Pager {i:02d}")
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await type_lookup(pilot, "Pager")
        screen = app.screen
        table = screen.query_one("#results", DataTable)
        first = screen.page
        assert first.offset == 0 and first.has_more
        # a page is as many rows as the table shows, never the whole match
        assert table.row_count == first.limit < 45
        await pilot.press("pagedown")  # by keyset: after the last row shown
        await wait_until(pilot, lambda: screen.page_index == 1 and screen.pending is None)
        assert table_text(table).startswith(f"Pager {first.limit:02d}")
        await pilot.press("pagedown")
        await wait_until(pilot, lambda: screen.page_index == 2 and screen.pending is None)
        assert table_text(table).startswith(f"Pager {2 * first.limit:02d}")
        await pilot.press("pageup")  # the marker of the page before was kept
        await wait_until(pilot, lambda: screen.page_index == 1 and screen.pending is None)
        assert table_text(table).startswith(f"Pager {first.limit:02d}")
        await pilot.press("pageup")
        await wait_until(pilot, lambda: screen.page_index == 0 and screen.pending is None)
        assert table_text(table).startswith("Pager 00")
    assert app.failures == []


async def test_lookup_enter_right_after_typing_opens_the_match(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"SZ20260003", "enter")  # before the debounce fires
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert app.screen.enrollee_id == str(ZHAO_ID)
    assert app.failures == []


async def test_lookup_down_arrow_moves_the_highlight_from_the_search_box(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await type_lookup(pilot, "SZ202600")
        assert isinstance(app.focused, Input)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert app.screen.enrollee_id == str(LI_ID)  # second by card number
    assert app.failures == []


# --------------------------------------------------------------------------- enrollee view


async def test_sz_mt_art_14_enrollee_view_shows_suspension_unmistakably(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        screen = app.screen
        account = screen.query_one("#account")
        assert account.has_class("banner-suspended")
        text = text_of(account)
        assert "ACCOUNT SUSPENDED since 2026-03-02" in text
        assert "pays cash" in text and "SZ-MT Art. 14" in text
        # the full ID number is shown here
        assert scene.wang.id_number in text_of(screen.query_one("#identity"))
    assert app.failures == []


async def test_enrollee_view_shows_everything_on_one_screen(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        text = screen_text(app.screen)
    for expected in (
        "comprehensive", "Supplementary yes", "City household yes", "Employment employed",
        "C-2024-0001", "Diabetes mellitus", "2024-07-01..2026-06-30", "C-2025-0002", "from 2025-01-10",
        "B-2024-0001 active", "diseases: Diabetes mellitus, Malignant tumour",
        "voucher V-2025-0001", "1. Guangzhou Hospital 1", "2. Guangzhou Hospital 2", "3. Guangzhou Hospital 3",
        "Futian Community Health Centre, selected 2024-01-08 by employer",
        "case INV-2026-0001, suspended", "trigger 3. Outpatient costs in a month",
        # the open case's next deadline, beside the case (issue 8 item 6)
        "verify by 2026-05-31",
        # alerts with due dates: verification (SZ-MT Art. 14) and renewal window (SZ-MD Art. 12)
        "DUE 2026-05-31", "[SZ-MT Art. 14]", "DUE 2026-06-30", "[SZ-MD Art. 12]",
    ):
        assert expected in text, expected
    assert app.failures == []


async def test_enrollee_view_normal_account_and_missing_health_centre(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await type_lookup(pilot, "Li Lei")
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert not app.screen.query_one("#account").has_class("banner-suspended")
        text = screen_text(app.screen)
    assert "ACCOUNT SUSPENDED" not in text
    assert "normal: bookkeeping" in text
    assert "No community health centre selected (inpatient scheme)" in text
    assert "[SZ-MT Art. 4]" in text


async def test_escape_goes_back_from_every_screen(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        for key in ("f2", "y", "f1"):  # a workflow or the help opens over the enrollee
            depth = len(app.screen_stack)
            await pilot.press(key)
            await wait_until(pilot, lambda: len(app.screen_stack) == depth + 1)
            await pilot.press("escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == depth)
            assert type(app.screen).__name__ == "EnrolleeScreen"
        for key, name in (("f4", "WorklistScreen"), ("f5", "MonitoringScreen")):
            # a list sits below the enrollee on the path: it replaces the enrollee
            await pilot.press(key)
            await wait_until(pilot, lambda: type(app.screen).__name__ == name)
            assert [type(s).__name__ for s in app.screen_stack] == ["LookupScreen", name]
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "LookupScreen")
        # Escape on home clears the search instead of leaving the app
        await pilot.press(*"abc", "escape")
        assert app.screen.query_one("#search", Input).value == ""
    assert app.failures == []


# --------------------------------------------------------------------------- workflow registry


async def test_unregistered_workflow_key_shows_a_notification(engine, policy, scene, monkeypatch):
    monkeypatch.delitem(WORKFLOW_SCREENS, "certificates", raising=False)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        depth = len(app.screen_stack)
        await pilot.press("c")
        await pilot.pause()
        assert len(app.screen_stack) == depth
        assert any("certificates screen is not available yet" in str(n.message) for n in app._notifications)
    assert app.failures == []


class ProbeScreen(WorkflowScreen):
    """A workflow screen registered by the test: shows what it was given."""

    def on_mount(self) -> None:
        self.seen = (self.enrollee_id, self.actor.username, self.lang, self.today, self.policy.id)


async def test_registered_workflow_screen_gets_enrollee_and_context(engine, policy, scene, monkeypatch):
    monkeypatch.setitem(WORKFLOW_SCREENS, "books", f"{__name__}:ProbeScreen")
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ProbeScreen))
        await wait_until(pilot, lambda: hasattr(app.screen, "seen"))
        assert app.screen.seen == (str(WANG_ID), "clerk1", "en", TODAY, "shenzhen-2008")
    assert app.failures == []


async def test_run_service_shows_a_refusal_with_its_article(engine, policy, scene):
    from core.errors import DomainError

    def refuse(session):
        raise DomainError.one("SZ-MD Art. 5", "book", "One record book per enrollee.")

    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ProbeScreen(enrollee_id=WANG_ID))
        await wait_until(pilot, lambda: isinstance(app.screen, ProbeScreen))
        done: list = []
        app.screen.run_service(refuse, done.append, write=True)
        await wait_until(pilot, lambda: any("Refused" in str(n.title) for n in app._notifications))
        message = next(str(n.message) for n in app._notifications if "Refused" in str(n.title))
        assert "[SZ-MD Art. 5] book: One record book per enrollee." in message
        assert done == []
    assert app.failures == []


async def test_run_service_reports_an_unexpected_error_without_crashing(engine, policy, scene):
    def broken(session):
        raise RuntimeError("disk on fire")

    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        app.screen.run_service(broken, lambda r: None)
        await wait_until(pilot, lambda: bool(app.failures))
        assert "disk on fire" in str(app.failures[0])
        assert type(app.screen).__name__ == "LookupScreen"


# --------------------------------------------------------------------------- quick check


async def test_sz_md_art_3_quick_check_from_the_enrollee_view_shows_reasons(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        await pilot.press("f2")  # one key: enrollee filled in, disease of the first certificate picked
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        result = app.screen.result
        assert result.entitled
        text = screen_text(app.screen)
    assert "ENTITLED" in text and "MD-I-09" in text
    assert "[+] [SZ-MD Art. 3] scheme:" in text
    assert "[+] [SZ-MD Art. 12] certificate:" in text
    assert "Settlement: cash reimbursement" in text  # suspended: cash (SZ-MT Art. 14)
    assert app.failures == []


async def test_sz_md_art_3_quick_check_from_home_refuses_with_reasons(engine, policy, scene):
    """Li Lei (inpatient scheme) asks for a Category I disease: not entitled."""
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        screen = app.screen
        screen.query_one("#disease").value = "MD-I-09"
        await pilot.press(*"SZ20260002", "enter")
        await wait_until(pilot, lambda: screen.result is not None)
        assert not screen.result.entitled
        text = screen_text(screen)
    assert "NOT ENTITLED" in text
    assert "[-] [SZ-MD Art. 3] scheme:" in text
    assert app.failures == []


async def test_quick_check_estimate_with_spend(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        screen = app.screen
        screen.query_one("#enrollee", Input).value = "SZ20260001"
        screen.query_one("#disease").value = "MD-II-03"
        await wait_until(pilot, lambda: screen.result is not None)
        screen.query_one("#spent", Input).focus()
        await pilot.press(*"1000", "enter")
        await wait_until(pilot, lambda: screen.result is not None and screen.result.estimate is not None)
        text = text_of(screen.query_one("#estimate"))
    assert "Benefit estimate" in text
    assert "900.00" in text  # SZ-MD Art. 7: 90 % of the basic cost
    assert app.failures == []


async def test_quick_check_unknown_enrollee_shows_the_refusal(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "QuickCheckScreen")
        screen = app.screen
        screen.query_one("#disease").value = "MD-I-09"
        await pilot.press(*"SZ99999999", "enter")
        await wait_until(pilot, lambda: screen.query_one("#reasons").reasons != [])
        assert screen.result is None
        assert "[-]" in text_of(screen.query_one("#reasons")) and "enrollee:" in text_of(screen.query_one("#reasons"))
    assert app.failures == []


# --------------------------------------------------------------------------- help, palette


async def test_help_lists_the_screen_keys_and_the_global_keys(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        keys = {row[0]: row[1] for row in app.screen.screen_keys}
        globals_ = {row[0]: row[1] for row in app.screen.global_keys}
    assert keys["c"] == "Cert" and keys["y"] == "History" and keys["Esc"] == "Back"
    assert globals_["f1"] == "Help" and globals_["f2"] == "Check" and globals_["^q"] == "Quit"
    assert "^p" in globals_


async def test_every_binding_has_an_id_and_a_tooltip(engine, policy, scene):
    from tui.screens.enrollee import EnrolleeScreen
    from tui.screens.eligibility import QuickCheckScreen
    from tui.screens.history import HistoryScreen
    from tui.screens.lookup import LookupScreen
    from tui.screens.monitoring import MonitoringScreen
    from tui.screens.worklist import WorklistScreen
    from tui.widgets.confirm import ConfirmScreen
    from tui.screens.help import HelpScreen

    for cls in (CasedeskApp, LookupScreen, EnrolleeScreen, QuickCheckScreen, HistoryScreen, MonitoringScreen,
                WorklistScreen, ConfirmScreen, HelpScreen):
        for binding in cls.BINDINGS:
            assert binding.id, (cls.__name__, binding.key)
            assert binding.tooltip, (cls.__name__, binding.key)
            assert binding.description, (cls.__name__, binding.key)


async def test_palette_offers_translated_system_commands_and_screen_keys(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        placeholder = app.screen.query_one(Input).placeholder
    for title in ("Quit", "Theme", "Keys panel", "Screenshot", "Audit history", "Cert", "History", "Help", "Check",
                  "Worklist"):
        assert title in titles, title
    assert placeholder == "Search for commands..."


async def test_palette_entry_runs_the_screen_action(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "History")
        await command.callback()
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen")
    assert app.failures == []


# --------------------------------------------------------------------------- history


#: the scene's own events for Wang (tests/tui_support.py): a fact change (two events) and a stay
SCENE_EVENTS_OF_WANG = 3


async def test_history_shows_who_when_what_why_article(engine, policy, scene):
    add_audit(engine, scene.wang, 3)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await open_wang(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        table = app.screen.query_one("#events", DataTable)
        assert table.row_count == 3 + SCENE_EVENTS_OF_WANG
        text = table_text(table)
        # who by name, what as the action and its article, why as typed (issue 8: sentences)
        assert "Clerk One" in text and "test.step2 (SZ-MT Art. 4)" in text and "reason 2" in text
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Before" in text_of(app.screen.query_one("#detail")))
        detail = text_of(app.screen.query_one("#detail"))
    assert "phone" in detail and "test.step2 (SZ-MT Art. 4)" in detail
    assert app.failures == []


async def test_history_of_an_unknown_key_is_refused(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        app.open_workflow("history")  # from nowhere in particular: no enrollee
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen")
        await pilot.press(*str(uuid.UUID(int=7)), "enter")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").reasons != [])
        assert "No enrollee or record" in text_of(app.screen.query_one("#reasons"))
    assert app.failures == []


# --------------------------------------------------------------------------- worklist, monitoring


async def test_worklist_lists_due_items_and_opens_the_enrollee(engine, policy, scene):
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        table = app.screen.query_one("#items", DataTable)
        text = table_text(table)
        assert "INV-2026-0001" in text and "C-2024-0001" in text
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        assert app.screen.enrollee_id == str(WANG_ID)
    assert app.failures == []


async def test_sz_mt_art_13_monitoring_scan_and_open_case(engine, policy, scene):
    add_expenses(engine, scene.zhao, "2026-04", yuan_each=700, count=10)  # 7,000 yuan > 6,000
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MonitoringScreen")
        screen = app.screen
        assert screen.query_one("#month", Input).value == "2026-04"  # the previous month
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: screen.result is not None)
        text = table_text(screen.query_one("#hits", DataTable))
        assert "Zhao Min" in text and "7000.00 yuan" in text
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(screen.opened))
    with read_session(engine) as s:
        statuses = [c.status for c in s.exec(select(InvestigationCase).where(InvestigationCase.enrollee_id == ZHAO_ID))]
    assert statuses == ["notice_sent"]
    assert app.failures == []


async def test_monitoring_open_case_answered_no_writes_nothing(engine, policy, scene):
    from conftest import db_fingerprint

    add_expenses(engine, scene.zhao, "2026-04", yuan_each=700, count=10)
    app = make_app(engine, policy)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f5", "ctrl+r")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        before = db_fingerprint(engine)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MonitoringScreen")
        await app.workers.wait_for_complete()
    assert db_fingerprint(engine) == before
