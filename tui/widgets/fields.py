"""Form widgets drawn with ASCII marks only.

Textual's checkbox (``▐X▌``) and select arrows (``▼ ▲``) use East-Asian
ambiguous-width characters, which a CJK terminal may draw two cells wide and
so shift the rest of the line; these subclasses use ``[X]`` and ``v`` / ``^``.
"""

from __future__ import annotations

from textual.widgets import Checkbox, Select


class AsciiCheckbox(Checkbox):
    """``[X]`` when ticked and ``[ ]`` when not, readable without colour."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property  # type: ignore[override]
    def BUTTON_INNER(self) -> str:  # noqa: N802 - Textual's attribute name
        return "X" if self.value else " "


class AsciiSelect(Select):
    def on_mount(self) -> None:
        for arrow in self.query(".down-arrow"):
            arrow.update("v")  # type: ignore[attr-defined]
        for arrow in self.query(".up-arrow"):
            arrow.update("^")  # type: ignore[attr-defined]
