"""User text is text: what a person typed or the database holds is shown
literally, never parsed as markup, and no control or escape character of it
reaches the terminal.

:func:`install` (called by ``tui.app.create_app``) makes that hold for every
screen, including ones written later, at four places:

* ``Static`` (and so ``Label``) treats a string as plain text unless the
  caller passes ``markup=True`` (casedesk styles with ``rich.text.Text``);
* a ``DataTable`` cell given as a string is plain text;
* an ``OptionList`` (and so a ``Select``) prompt given as a string is plain text;
* a strip of the screen drops control characters (C0, DEL, C1: an ESC
  starting a colour change or an OSC title sequence) and bidirectional
  overrides and marks before it is written. Rich measures all of them as
  zero cells wide, so dropping them changes no layout.

The app also renders Rich renderables with markup off (a ``rich.table.Table``
cell given as a string) and sends notifications without markup (see
``CasedeskApp.notify``). :func:`literal` and :func:`clean` are for code that
builds text itself.
"""

from __future__ import annotations

import re
from functools import wraps
from typing import Any

from rich.text import Text

#: C0 controls except none, DEL, C1 controls, and the bidi embeddings,
#: overrides, isolates and marks (U+061C, U+200E/F, U+202A-E, U+2066-9)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: what :func:`clean` shows instead of such a character
REPLACEMENT = "?"


def clean(value: object) -> str:
    """``value`` as one line of text: controls and bidi marks become ``?``,
    a newline or tab a space."""
    text = "" if value is None else str(value)
    return UNSAFE.sub(lambda m: " " if m.group() in "\n\t\r" else REPLACEMENT, text)


def literal(value: object, style: str = "") -> Text:
    """``value`` as a Rich ``Text`` that is never parsed as markup."""
    return Text(clean(value), style=style)


def _drop_unsafe(text: str) -> str:
    return UNSAFE.sub("", text) if UNSAFE.search(text) else text


def _default_markup_off(cls: type) -> None:
    """``cls(...)`` without ``markup=`` no longer parses markup."""
    init = cls.__init__

    @wraps(init)
    def literal_init(self: Any, *args: Any, markup: bool = False, **kwargs: Any) -> None:
        init(self, *args, markup=markup, **kwargs)

    cls.__init__ = literal_init  # type: ignore[misc]


_installed = False


def install() -> None:
    """Make every widget show strings literally (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    from textual.strip import Strip
    from textual.widgets import Label, OptionList, Static
    from textual.widgets import _data_table as data_table

    for cls in (Static, Label, OptionList):
        _default_markup_off(cls)

    formatter = data_table.default_cell_formatter

    @wraps(formatter)
    def literal_cell(obj: object, wrap: bool = True, height: int = 0) -> Any:
        if isinstance(obj, str):
            text = Text(obj, end="")
            text.no_wrap = not wrap
            return text
        return formatter(obj, wrap, height)

    data_table.default_cell_formatter = literal_cell

    strip_render = Strip.render

    @wraps(strip_render)
    def render_safe(self: Strip, console: Any) -> str:
        if self._render_cache is None and any(
                not control and UNSAFE.search(text) for text, _style, control in self._segments):
            self._segments = [
                seg if seg.control else seg._replace(text=_drop_unsafe(seg.text)) for seg in self._segments
            ]
        return strip_render(self, console)

    Strip.render = render_safe  # type: ignore[method-assign]
