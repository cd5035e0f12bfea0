"""F1: the keys of the screen it was opened from, then the global keys."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from tui.i18n import N_, _, translate_bindings

KeyRow = tuple[str, str, str]  # key, action, what it does


def key_rows(screen: Screen) -> tuple[list[KeyRow], list[KeyRow]]:
    """(screen keys, global keys) active on ``screen`` that have a description.

    Global keys come in the order the app declares them, with the command
    palette just before Quit."""
    app = screen.app
    mine: list[KeyRow] = []
    global_: list[tuple[str, KeyRow]] = []  # (action, row)
    seen: set[tuple[str, str]] = set()
    for _key, active in screen.active_bindings.items():
        b = active.binding
        # casedesk's own keys all carry an id; Textual's widget keys (scrolling,
        # focus) are covered by the note at the bottom
        if not b.description or b.system or not b.id:
            continue
        display = b.key_display or app.get_key_display(b)
        if (display, b.action) in seen:
            continue
        seen.add((display, b.action))
        row = (display, b.description, b.tooltip)
        if isinstance(active.node, App):
            global_.append((b.action, row))
        else:
            mine.append(row)
    declared = [b.action for b in getattr(type(app), "BINDINGS", []) if isinstance(b, Binding)]
    global_.sort(key=lambda item: declared.index(item[0]) if item[0] in declared else len(declared))
    rows = [row for action, row in global_ if action != "quit"]
    if app.ENABLE_COMMAND_PALETTE:
        rows.append((app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "command_palette")),
                     _("Commands"), _("Search every command and key of this screen")))
    rows += [row for action, row in global_ if action == "quit"]
    return mine, rows


def _table(title: str, rows: list[KeyRow]) -> Table:
    t = Table(title=title, title_justify="left", title_style="bold", show_header=True, expand=True,
              show_edge=False, pad_edge=False, box=None, header_style="dim")
    t.add_column(_("Key"), no_wrap=True, style="bold")
    t.add_column(_("Action"), no_wrap=True)
    t.add_column(_("What it does"), ratio=1, overflow="fold")  # CJK runs have no spaces to wrap at
    for row in rows:
        t.add_row(*row)
    return t


class HelpScreen(ModalScreen[None]):
    """Lists keys; Escape or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 90%;
        max-width: 110;
        height: 90%;
        border: ascii $accent;
        background: $surface;
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="help.close", tooltip=N_("Close the help")),
        Binding("f1", "close", N_("Close"), id="help.close_f1", show=False, tooltip=N_("Close the help")),
    ]

    def __init__(self, for_screen: Screen) -> None:
        super().__init__()
        translate_bindings(self)
        help_msgid = getattr(for_screen, "HELP_MSGID", "")
        self.screen_help = _(help_msgid) if help_msgid else ""
        title_msgid = getattr(for_screen, "TITLE_MSGID", "")
        self.screen_name = _(title_msgid) if title_msgid else ""
        self.screen_keys, self.global_keys = key_rows(for_screen)

    def compose(self) -> ComposeResult:
        parts: list = [Text(_("Help: {screen}", screen=self.screen_name), style="bold")]
        if self.screen_help:
            parts.append(Text(self.screen_help))
        parts.append(Text(""))
        if self.screen_keys:
            parts.append(_table(_("Keys of this screen"), self.screen_keys))
            parts.append(Text(""))
        parts.append(_table(_("Global keys"), self.global_keys))
        parts.append(Text(""))
        parts.append(Text(_("Escape goes back on every screen; Tab and Shift+Tab move between fields; "
                            "arrows and PgUp/PgDn scroll. Nothing needs a mouse."), style="dim"))
        with VerticalScroll():
            yield Static(Group(*parts), id="help-body")

    def action_close(self) -> None:
        self.dismiss()
