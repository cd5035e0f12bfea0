"""Scrollbars drawn with spaces only.

Textual draws the thumb's ends with partial block characters (▁ ▂ ▉ ▊ …),
which are East-Asian ambiguous width: a CJK terminal may draw them two cells
wide and push the rest of the row out of line. This renderer draws the thumb
with its background colour alone (whole-cell precision).
"""

from __future__ import annotations

from textual.scrollbar import ScrollBar, ScrollBarRender


class SpaceScrollBarRender(ScrollBarRender):
    VERTICAL_BARS = [" "] * 8
    HORIZONTAL_BARS = [" "] * 8


def install() -> None:
    ScrollBar.renderer = SpaceScrollBarRender
