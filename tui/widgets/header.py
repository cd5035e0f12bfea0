"""The bar at the top of every screen: screen title, (on a branch) the link and what waits,
caseworker, role, pack, database."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from tui.i18n import _
from tui.labels import label


class AppHeader(Horizontal):
    """Screen title on the left; who, which pack, which database on the right."""

    DEFAULT_CSS = """
    AppHeader {
        height: 1;
        dock: top;
        background: $panel;
        color: $foreground;
    }
    AppHeader > #header-title {
        width: 1fr;
        padding: 0 1;
        text-style: bold;
        text-wrap: nowrap;
        text-overflow: clip;
    }
    AppHeader > #header-info {
        width: auto;
        padding: 0 1;
        color: $foreground-muted;
        text-wrap: nowrap;
    }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        yield Label(self._title, id="header-title")
        yield Label(self.info_text(), id="header-info")

    def info_text(self) -> str:
        app = self.app
        actor = app.actor  # type: ignore[attr-defined]
        sync = getattr(app, "sync_line", "")  # a branch terminal: "offline, N waiting"
        info = _(
            "{user} ({role}) | {pack} | {db} | {date}",
            user=actor.username,
            role=label("role", actor.role),
            pack=app.policy.id,  # type: ignore[attr-defined]
            db=app.database_label,  # type: ignore[attr-defined]
            date=app.today.isoformat(),  # type: ignore[attr-defined]
        )
        return f"{sync} | {info}" if sync else info

    def refresh_info(self) -> None:
        for label in self.query("#header-info").results(Label):
            label.update(self.info_text())

    def set_title(self, title: str) -> None:
        self._title = title
        for label in self.query("#header-title").results(Label):
            label.update(title)
