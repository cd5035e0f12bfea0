"""A yes/no question before a step that writes: Enter (or y) confirms, Escape (or n) cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.i18n import N_, _, translate_bindings


class ConfirmScreen(ModalScreen[bool]):
    """``push_screen(ConfirmScreen(question), callback)``: callback gets True or False."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }
    ConfirmScreen > Vertical {
        width: 70%;
        max-width: 90;
        height: auto;
        border: ascii $warning;
        background: $surface;
        padding: 0 1;
    }
    ConfirmScreen #confirm-keys {
        color: $foreground-muted;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("enter", "answer(True)", N_("Yes"), id="confirm.yes", key_display="Enter",
                tooltip=N_("Go ahead")),
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes_y", show=False, tooltip=N_("Go ahead")),
        Binding("escape", "answer(False)", N_("No"), id="confirm.no", tooltip=N_("Cancel; nothing is changed")),
        Binding("n", "answer(False)", N_("No"), id="confirm.no_n", show=False,
                tooltip=N_("Cancel; nothing is changed")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question")
            yield Label(_("Enter or y: yes    Escape or n: no"), id="confirm-keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
