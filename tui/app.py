"""The casedesk Textual app: factory, global keys, command palette.

``create_app(engine, actor, policy, lang, today=...)`` builds the app (tests
inject a temporary database and a fixed business date); ``run_app`` is what
``casedesk`` runs. Nothing heavy happens at import or mount: the lookup
screen paints empty and queries only when the caseworker types.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.screen import Screen

from core.auth import Actor
from core.errors import DomainError
from core.i18n import normalise_lang
from core.policy import Policy
from tui.i18n import N_, _, set_default_lang, translate_bindings

_ASCII_KEYS = {"up": "Up", "down": "Down", "left": "Left", "right": "Right", "enter": "Enter",
               "escape": "Esc", "pagedown": "PgDn", "pageup": "PgUp"}

#: a toast is at most this many lines (a refusal with many reasons lists them on the screen)
TOAST_LINES = 3
#: a toast's width: percent of the screen, at most so many cells (as in app.tcss)
TOAST_WIDTH_PCT = 60
TOAST_MAX_WIDTH = 90

#: global actions that wait while a yes/no question is open
_NAVIGATION_ACTIONS = {"help", "quick_check", "home", "worklist", "monitoring", "quit", "command_palette"}

#: actions that the palette already offers under their own names
_PALETTE_SKIP = {"command_palette", "app.command_palette", "quit", "app.quit"}


class CasedeskApp(App[None]):
    """Holds the engine, the acting caseworker, the policy pack and the language."""

    CSS_PATH = "app.tcss"
    TITLE = "casedesk"
    ENABLE_COMMAND_PALETTE = True
    # the home screen, built when the app starts (a mode, so its CSS loads)
    MODES = {"_default": lambda: _lookup_screen()}

    # show=False: the global keys are listed by the GlobalKeys bar under the
    # footer, which shows only the current screen's keys
    BINDINGS = [
        Binding("f1", "help", N_("Help"), id="help", show=False,
                tooltip=N_("List the keys of this screen and the global keys")),
        Binding("f2", "quick_check", N_("Check"), id="quick_check", show=False,
                tooltip=N_("Quick check: is an enrollee entitled for a disease, and what would the fund pay")),
        Binding("f3", "home", N_("Lookup"), id="lookup", show=False,
                tooltip=N_("Back to the enrollee lookup")),
        Binding("f4", "worklist", N_("Worklist"), id="worklist", show=False,
                tooltip=N_("Open the worklist of due and overdue items")),
        Binding("f5", "monitoring", N_("Monitoring"), id="monitoring", show=False,
                tooltip=N_("Scan a month for investigation triggers")),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True, show=False,
                tooltip=N_("Quit casedesk")),
    ]

    def __init__(self, engine: Engine, actor: Actor, policy: Policy, lang: str = "en", *,
                 today: date | None = None) -> None:
        self.lang = normalise_lang(lang)
        set_default_lang(self.lang)
        super().__init__()
        self.engine = engine
        self.actor = actor
        self.policy = policy
        self._today = today
        #: unexpected errors raised by services (shown as notifications; tests check it is empty)
        self.failures: list[BaseException] = []
        #: on a branch terminal: "offline, N waiting" (core.sync.status), shown in every header
        self.sync_line = ""
        translate_bindings(self, self.lang)
        # a string inside a Rich renderable (a table cell) is text, not markup
        self.console._markup = False

    # ------------------------------------------------------------------ context
    @property
    def today(self) -> date:
        """The business date: fixed by the factory (tests), else the clock's."""
        return self._today or date.today()

    @property
    def database_label(self) -> str:
        url = self.engine.url
        if url.get_backend_name() == "sqlite":
            return Path(url.database or ":memory:").name
        return f"{url.host or ''}/{url.database or ''}"

    def on_mount(self) -> None:
        if self.is_headless:
            self.animation_level = "none"
        self.check_sync()

    # ------------------------------------------------------------------ branch sync status
    SYNC_EVERY = 60.0  # seconds between two looks at the link (a short-timeout connect, in a thread)

    def check_sync(self) -> None:
        """Look at the link and the outbox in a thread; on a branch terminal
        the header then says "offline, N waiting" (issue 11 item 6)."""
        self.run_worker(self._sync_status, thread=True, exclusive=True, group="sync-status", exit_on_error=False)

    def _sync_status(self) -> None:
        from core.sync.status import status

        try:
            st = status(self.engine, timeout=2)
        except DomainError:  # the database is busy or damaged: the screens say so; the header line waits
            return
        if not st.is_branch:
            return
        self.call_from_thread(self._show_sync, st)

    def _show_sync(self, st) -> None:
        from tui.widgets.header import AppHeader

        first = not self.sync_line
        word = _("online") if st.link == "up" else _("offline")
        line = _("{state}, {waiting} waiting", state=word, waiting=st.waiting)
        if st.conflicts:
            line = _("{line}, {conflicts} in conflict", line=line, conflicts=st.conflicts)
        self.sync_line = line
        for screen in self.screen_stack:
            for header in screen.query(AppHeader):
                header.refresh_info()
        if first:
            self.set_interval(self.SYNC_EVERY, self.check_sync)

    async def on_event(self, event: events.Event) -> None:
        # a key or a paste about to reach a form field: the screen notes the
        # field's value first, so leaving can ask about unsaved input
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            note = getattr(self.screen, "note_key", None)
            if note is not None:
                note(self.focused)
        await super().on_event(event)

    def report_failure(self, error: BaseException) -> None:
        """An unexpected error from a worker: tell the caseworker in one short
        line (no message text: it may hold personal data), log it, keep going."""
        from core.db import database_fault
        from tui.crash import write_crash_log

        fault = database_fault(error, _("working on this screen"))
        if fault is not None:  # busy, full disk, read-only …: a refusal naming the cause, not a crash
            self.notify("\n".join(fault.messages(self.lang)), title=_("Refused"), severity="error", timeout=15)
            return
        self.failures.append(error)
        path = write_crash_log(error, context=f"worker error on {type(self.screen).__name__}")
        self.notify(_("Unexpected error; nothing more was changed. Details are in {path}.",
                      path=str(path) if path else "-"),
                    title=_("Error"), severity="error", timeout=15)

    def _handle_exception(self, error: Exception) -> None:
        """An error nothing caught: the app stops with one short sentence on
        the terminal and the traceback, without locals, in a crash log."""
        from rich.text import Text

        from tui.crash import write_crash_log

        self._return_code = 1
        if self._exception is None:  # Pilot re-raises it in tests
            self._exception = error
            self._exception_event.set()
        path = write_crash_log(error, context=f"crash on {type(self.screen).__name__}")
        where = _("Details are in {path} (ID numbers masked).", path=str(path)) if path else \
            _("No crash log could be written.")
        self._exit_renderables.append(
            Text(_("casedesk stopped after an unexpected error; nothing more was changed.") + " " + where))
        self._close_messages_no_wait()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """A toast: plain text (never markup, no control characters) in at most
        :data:`TOAST_LINES` lines of the toast's width; the last line ends in
        ``...`` when there was more (a refusal lists every reason on its screen)."""
        from rich.text import Text

        from tui.text import clean

        # the toast rack leaves a scrollbar and a margin (8 cells); the toast
        # its left border and padding (3)
        width = max(20, min(TOAST_MAX_WIDTH, (self.size.width - 8) * TOAST_WIDTH_PCT // 100) - 3)
        kept: list[str] = []
        rows = 0
        for line in [clean(line) for line in str(message).splitlines()]:
            wrapped = Text(line).wrap(self.console, width)
            if rows + len(wrapped) > TOAST_LINES:
                room = [w.plain.rstrip() for w in wrapped[:TOAST_LINES - rows]]
                if room:
                    cut = Text(" ".join(room))
                    cut.truncate(width * len(room) - 3)
                    kept.append(cut.plain + "...")
                else:
                    kept[-1] = kept[-1][:max(0, len(kept[-1]) - 3)] + "..."
                break
            kept.append(line)
            rows += len(wrapped)
        super().notify("\n".join(kept), title=clean(title), severity=severity, timeout=timeout, markup=False)

    def deliver_screenshot(self, filename: str | None = None, path: str | None = None,
                           time_format: str | None = None) -> str | None:
        """Save an SVG of the screen: into the downloads folder when there is
        one, else into casedesk's own screenshots folder (created), and say where."""
        folder = Path(path) if path else screenshot_dir()
        folder.mkdir(parents=True, exist_ok=True)
        key = super().deliver_screenshot(filename, str(folder), time_format)
        self.notify(_("Screenshot saved in {folder}.", folder=str(folder)), title=_("Screenshot"))
        return key

    def get_key_display(self, binding: Binding) -> str:
        """Key names in ASCII: Textual draws arrows as ambiguous-width glyphs."""
        return _ASCII_KEYS.get(binding.key, super().get_key_display(binding))

    # ------------------------------------------------------------------ navigation
    # One path of screens: lookup (home) -> worklist or monitoring -> enrollee
    # -> a workflow -> a step of it (``BaseScreen.NAV_LEVEL`` 0-4). Going to a
    # screen closes every screen at its level and above; if the screen at its
    # level already shows the same thing, navigation switches back to it
    # instead. So the stack is at most five screens deep, each kind of screen
    # is in it once, and Escape goes back one step.

    def go(self, target: Screen) -> None:
        """Show ``target``: switch to the instance already open at its level
        when it shows the same thing, else replace what is at that level."""
        from tui.screens.base import BaseScreen

        level = getattr(target, "NAV_LEVEL", 3)
        stack = self.screen_stack
        keep = len(stack)
        for i, screen in enumerate(stack[1:], start=1):
            if not isinstance(screen, BaseScreen) or screen.NAV_LEVEL >= level:
                keep = i
                break
        if level <= 0:
            self._leave(1, None)
            return
        existing = stack[keep] if keep < len(stack) else None
        if (isinstance(existing, BaseScreen) and type(existing) is type(target)
                and existing.same_place(target)):
            self._leave(keep + 1, None)
        else:
            self._leave(keep, target)

    def _leave(self, keep: int, target: Screen | None) -> None:
        """Close the screens above the first ``keep`` (asking first when one
        of them holds unsaved input), then push ``target``."""
        leaving = self.screen_stack[keep:]
        if self._unsaved(leaving):
            self.ask_discard(lambda: self._replace(keep, target))
        else:
            self._replace(keep, target)

    def _replace(self, keep: int, target: Screen | None) -> None:
        while len(self.screen_stack) > max(1, keep):
            self.pop_screen()
        if target is not None:
            self.push_screen(target)

    @staticmethod
    def _unsaved(screens: Iterable[Screen]) -> bool:
        return any(getattr(s, "has_unsaved_input", lambda: False)() for s in screens)

    def ask_discard(self, then: Callable[[], Any], question: str | None = None) -> None:
        """Ask before dropping what the caseworker typed; ``then()`` on yes."""
        from tui.widgets.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                for screen in self.screen_stack:
                    if hasattr(screen, "mark_clean"):
                        screen.mark_clean()
                then()

        self.push_screen(ConfirmScreen(question or _("Discard what you typed on this screen?")), answered)

    def open_enrollee(self, enrollee_id: str | uuid.UUID) -> None:
        from tui.screens.enrollee import EnrolleeScreen

        self.go(EnrolleeScreen(str(enrollee_id)))

    def open_workflow(self, name: str, enrollee_id: str | uuid.UUID | None = None) -> bool:
        """Open the workflow screen registered under ``name``; False (with a
        notification) when no screen is registered for it yet."""
        from tui.screens import load_workflow_screen

        cls = load_workflow_screen(name)
        if cls is None:
            self.notify(_("The {workflow} screen is not available yet.", workflow=name),
                        severity="warning")
            return False
        self.go(cls(enrollee_id=enrollee_id))
        return True

    def _current_enrollee(self) -> str | None:
        for screen in reversed(self.screen_stack):
            enrollee = getattr(screen, "enrollee_id", None)
            if enrollee:
                return enrollee
        return None

    def _asking(self) -> bool:
        from tui.widgets.confirm import ConfirmScreen

        return isinstance(self.screen, ConfirmScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a yes/no question is answered first: no key leaves it half-asked
        if action in _NAVIGATION_ACTIONS and self._asking():
            return False
        return True

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_quick_check(self) -> None:
        self.open_workflow("eligibility", self._current_enrollee())

    def action_home(self) -> None:
        self._leave(1, None)

    def action_worklist(self) -> None:
        from tui.screens.worklist import WorklistScreen

        self.go(WorklistScreen())

    def action_monitoring(self) -> None:
        from tui.screens.monitoring import MonitoringScreen

        self.go(MonitoringScreen())

    def action_settlement(self) -> None:
        from tui.screens.settlement import SettlementScreen

        self.go(SettlementScreen())

    async def action_quit(self) -> None:
        """Ctrl+Q: quit, after asking when a form holds unsaved input."""
        if self._unsaved(self.screen_stack):
            self.ask_discard(self.exit, _("Quit casedesk and discard what you typed?"))
        else:
            self.exit()

    # ------------------------------------------------------------------ palette
    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=_("Search for commands...")))

    def search_themes(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider], placeholder=_("Search for themes...")))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands with translated titles, then every key of the screen."""
        yield SystemCommand(_("Quit"), _("Quit casedesk"), self.action_quit)
        yield SystemCommand(_("Theme"), _("Change the colour theme"), self.action_change_theme)
        if screen.query("HelpPanel"):
            yield SystemCommand(_("Keys panel"), _("Hide the keys panel"), self.action_hide_help_panel)
        else:
            yield SystemCommand(_("Keys panel"), _("Show the keys panel and help for the focused field"),
                                self.action_show_help_panel)
        if screen.maximized is not None:
            yield SystemCommand(_("Minimize"), _("Restore the maximized widget to its normal size"),
                                screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand(_("Maximize"), _("Maximize the focused widget"), screen.action_maximize)
        yield SystemCommand(_("Screenshot"), _("Save an SVG screenshot of this screen"),
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand(_("Audit history"), _("Audit events of an enrollee or of any record"),
                            lambda: self.open_workflow("history", self._current_enrollee()))
        yield SystemCommand(_("Settlement"), _("The month's booked fund shares per institution (SZ-MD Art. 11)"),
                            self.action_settlement)
        for kind, number in getattr(screen, "printable", lambda: [])():
            from tui.labels import label

            yield SystemCommand(_("Print {kind} {number}", kind=label("document", kind), number=number),
                                _("Save the document as PDF and send it to the printer"),
                                partial(screen.action_print_document, kind, number))
        yield from self.binding_commands(screen)

    def binding_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """One palette entry per key binding active on ``screen``."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            b = active.binding
            if not b.description or b.system or b.action in _PALETTE_SKIP or not active.enabled:
                continue
            if b.action in seen:
                continue
            seen.add(b.action)
            keys = b.key_display or self.get_key_display(b)
            help_text = f"{keys}  {b.tooltip}" if b.tooltip else keys
            yield SystemCommand(b.description, help_text, partial(self._run_bound, b.action, active.node))

    async def _run_bound(self, action: str, node: Any) -> None:
        await self.run_action(action, node)


def screenshot_dir() -> Path:
    """The downloads folder if it exists, else ``<user data>/screenshots``."""
    import platformdirs

    downloads = Path(platformdirs.user_downloads_dir())
    if downloads.is_dir():
        return downloads
    return Path(platformdirs.user_data_dir("casedesk", appauthor=False)) / "screenshots"


def _lookup_screen() -> Screen:
    from tui.screens.lookup import LookupScreen

    return LookupScreen()


def create_app(engine: Engine, actor: Actor, policy: Policy, lang: str = "en", *,
               today: date | None = None) -> CasedeskApp:
    """The app on ``engine`` acting as ``actor`` under ``policy``, in ``lang``."""
    from tui import text
    from tui.widgets import cjk_wrap, scrollbar

    scrollbar.install()  # CJK-safe scrollbars everywhere
    cjk_wrap.install()  # Chinese text breaks between characters, not mid-code
    text.install()  # user text is shown literally everywhere
    return CasedeskApp(engine, actor, policy, lang, today=today)


def run_app(engine: Engine, actor: Actor, policy: Policy, lang: str = "en") -> None:
    """Run the app in the terminal (used by ``casedesk``)."""
    create_app(engine, actor, policy, lang).run()
