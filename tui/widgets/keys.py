"""The second footer line: the global keys, the same on every screen.

The app's own bindings are declared ``show=False`` so the Textual footer
shows only the keys of the current screen; this bar lists the global ones,
so every key is on screen without a mouse or a scroll.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from tui.i18n import _


class GlobalKeys(Static):
    DEFAULT_CSS = """
    GlobalKeys {
        dock: bottom;
        height: 1;
        background: $panel;
        color: $foreground-muted;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    """

    def on_mount(self) -> None:
        self.update(self.keys_text())

    def keys_text(self) -> Text:
        app = self.app
        out = Text()
        items: list[tuple[str, str]] = []
        last: list[tuple[str, str]] = []
        for _key, b in app._bindings:
            if not b.description or b.system or b.action in ("command_palette", "app.command_palette"):
                continue
            item = (b.key_display or app.get_key_display(b), b.description)
            (last if b.action in ("quit", "app.quit") else items).append(item)
        if app.ENABLE_COMMAND_PALETTE:
            palette = Binding(app.COMMAND_PALETTE_BINDING, "command_palette")
            items.append((app.get_key_display(palette), _("Commands")))
        items.extend(last)
        for i, (key, desc) in enumerate(items):
            if i:
                out.append("  ")
            out.append(key, style="bold")
            out.append(" ")
            out.append(desc)
        return out
