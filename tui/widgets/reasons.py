"""How a decision's reasons and a refusal are shown: one line per reason,
``[+]`` for a reason that allows, ``[-]`` for one that refuses (ASCII, so
Chinese text stays aligned), the article tag, the field, the message."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from core.errors import DomainError, Reason
from tui.i18n import _, current_lang

OK_MARK = "[+]"
NO_MARK = "[-]"


def reason_mark(reason: Reason) -> Text:
    return Text(OK_MARK if reason.ok else NO_MARK, style="bold green" if reason.ok else "bold red")


def reason_body(reason: Reason, lang: str | None = None) -> Text:
    """``[SZ-MD Art. 3] scheme: message`` as styled text."""
    lang = lang or current_lang()
    out = Text()
    if reason.article:
        out.append(f"[{reason.article}] ", style="bold")
    if reason.field:
        out.append(f"{reason.field_label(lang)}: ", style="dim")
    out.append(reason.message(lang))
    return out


def reason_text(reason: Reason, lang: str | None = None) -> Text:
    """``[-] [SZ-MD Art. 3] scheme: message`` on one line."""
    return Text.assemble(reason_mark(reason), " ", reason_body(reason, lang))


def refusal_text(error: DomainError, lang: str | None = None) -> str:
    """A refusal as plain lines (for notifications)."""
    lang = lang or current_lang()
    return "\n".join(error.messages(lang))


def reasons_table(reasons: Iterable[Reason], lang: str | None = None) -> Table:
    """A two-column grid: mark and text, the text wrapping under itself."""
    lang = lang or current_lang()
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")  # CJK runs have no spaces to wrap at
    for r in reasons:
        grid.add_row(reason_mark(r), reason_body(r, lang))
    return grid


class ReasonsList(Static):
    """A list of reasons; empty until :meth:`show_reasons` or :meth:`show_error`."""

    DEFAULT_CSS = """
    ReasonsList {
        height: auto;
        padding: 0 1;
    }
    ReasonsList.-refused {
        border-left: ascii $error;
    }
    ReasonsList.-allowed {
        border-left: ascii $success;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.reasons: list[Reason] = []
        self.display = False  # takes no line until there is something to show

    def show_reasons(self, reasons: Iterable[Reason], *, title: str = "") -> None:
        self.reasons = list(reasons)
        refused = any(not r.ok for r in self.reasons)
        self.set_class(refused, "-refused")
        self.set_class(bool(self.reasons) and not refused, "-allowed")
        parts: list = []
        if title:
            parts.append(Text(title, style="bold"))
        parts.append(reasons_table(self.reasons))
        self.update(Group(*parts))
        self.display = bool(parts)

    def show_error(self, error: DomainError) -> None:
        self.show_reasons(error.reasons, title=_("Refused:"))

    def clear(self) -> None:
        self.reasons = []
        self.remove_class("-refused", "-allowed")
        self.update("")
        self.display = False
