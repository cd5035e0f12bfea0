"""The casedesk Textual app: factory, global keys, command palette.

``create_app(engine, actor, policy, lang, today=...)`` builds the app (tests
inject a temporary database and a fixed business date); ``run_app`` is what
``casedesk`` runs. Nothing heavy happens at import or mount: the lookup
screen paints empty and queries only when the caseworker types.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen

from core.auth import Actor
from core.i18n import normalise_lang
from core.policy import Policy
from tui.i18n import N_, _, set_default_lang, translate_bindings

_ASCII_KEYS = {"up": "Up", "down": "Down", "left": "Left", "right": "Right", "enter": "Enter",
               "escape": "Esc", "pagedown": "PgDn", "pageup": "PgUp"}

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
        translate_bindings(self, self.lang)

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

    def report_failure(self, error: BaseException) -> None:
        """An unexpected error from a worker: tell the caseworker, keep going."""
        self.failures.append(error)
        self.log.error(repr(error))
        self.notify(_("Unexpected error: {error}", error=f"{type(error).__name__}: {error}"),
                    title=_("Error"), severity="error", timeout=15)

    def get_key_display(self, binding: Binding) -> str:
        """Key names in ASCII: Textual draws arrows as ambiguous-width glyphs."""
        return _ASCII_KEYS.get(binding.key, super().get_key_display(binding))

    # ------------------------------------------------------------------ navigation
    def open_enrollee(self, enrollee_id: str | uuid.UUID) -> None:
        from tui.screens.enrollee import EnrolleeScreen

        self.push_screen(EnrolleeScreen(str(enrollee_id)))

    def open_workflow(self, name: str, enrollee_id: str | uuid.UUID | None = None) -> bool:
        """Open the workflow screen registered under ``name``; False (with a
        notification) when no screen is registered for it yet."""
        from tui.screens import load_workflow_screen

        cls = load_workflow_screen(name)
        if cls is None:
            self.notify(_("The {workflow} screen is not available yet.", workflow=name),
                        severity="warning")
            return False
        self.push_screen(cls(enrollee_id=enrollee_id))
        return True

    def _current_enrollee(self) -> str | None:
        return getattr(self.screen, "enrollee_id", None)

    def _is_current(self, cls_name: str) -> bool:
        return type(self.screen).__name__ == cls_name

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not self._is_current("HelpScreen"):
            self.push_screen(HelpScreen(self.screen))

    def action_quick_check(self) -> None:
        if not self._is_current("QuickCheckScreen"):
            self.open_workflow("eligibility", self._current_enrollee())

    def action_home(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def action_worklist(self) -> None:
        from tui.screens.worklist import WorklistScreen

        if not self._is_current("WorklistScreen"):
            self.push_screen(WorklistScreen())

    def action_monitoring(self) -> None:
        from tui.screens.monitoring import MonitoringScreen

        if not self._is_current("MonitoringScreen"):
            self.push_screen(MonitoringScreen())

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


def _lookup_screen() -> Screen:
    from tui.screens.lookup import LookupScreen

    return LookupScreen()


def create_app(engine: Engine, actor: Actor, policy: Policy, lang: str = "en", *,
               today: date | None = None) -> CasedeskApp:
    """The app on ``engine`` acting as ``actor`` under ``policy``, in ``lang``."""
    from tui.widgets import scrollbar

    scrollbar.install()  # CJK-safe scrollbars everywhere
    return CasedeskApp(engine, actor, policy, lang, today=today)


def run_app(engine: Engine, actor: Actor, policy: Policy, lang: str = "en") -> None:
    """Run the app in the terminal (used by ``casedesk``)."""
    create_app(engine, actor, policy, lang).run()
