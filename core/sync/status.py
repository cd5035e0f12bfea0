"""What a caseworker sees of the sync: ``casedesk sync status`` and the TUI
header ("offline, N waiting")."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine

from core.db import read_session
from core.i18n import N_, translate
from core.sync.link import Link, get_link, link_up


NOT_A_BRANCH = N_("This database is not a branch terminal; set it up with "
                  "`casedesk branch init --central URL --branch CODE`.")


@dataclass(frozen=True)
class SyncStatus:
    branch: str  # '' when this database is not a branch terminal
    central: str = ""  # the central URL, never a password
    area: tuple[str, ...] = ()
    link: str = "unknown"  # up | down | unknown (not checked)
    last_pull_at: datetime | None = None
    last_pull_changes: int = 0
    last_push_at: datetime | None = None
    last_push_ops: int = 0
    waiting: int = 0  # operations made here, not yet taken by the centre
    conflicts: int = 0  # operations the centre refused, waiting for a caseworker
    cursor: str = ""
    central_policy: str = ""

    @property
    def is_branch(self) -> bool:
        return bool(self.branch)

    def lines(self, lang: str = "en") -> list[str]:
        """``casedesk sync status`` for people, in ``lang``."""
        t = lambda msgid, **kw: translate(msgid, lang, **kw)  # noqa: E731
        if not self.is_branch:
            return [t(NOT_A_BRANCH)]

        def when(moment) -> str:
            return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else t(N_("never"))

        state = {"up": N_("up"), "down": N_("down")}.get(self.link, N_("not checked"))
        return [
            t(N_("branch {code}, area: {area}"), code=self.branch,
              area=",".join(self.area) if self.area else t(N_("the whole city"))),
            t(N_("centre {central}: link {state}"), central=self.central, state=t(state)),
            t(N_("last pull: {when} ({changes} changes)"), when=when(self.last_pull_at), changes=self.last_pull_changes),
            t(N_("last push: {when} ({ops} operations)"), when=when(self.last_push_at), ops=self.last_push_ops),
            t(N_("waiting: {waiting} operations; conflicts: {conflicts}"), waiting=self.waiting,
              conflicts=self.conflicts),
        ]

    def as_dict(self) -> dict:
        out = asdict(self)
        out["area"] = list(self.area)
        for k in ("last_pull_at", "last_push_at"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


def queue_counts(session) -> tuple[int, int]:
    """(waiting, conflicts) of the outbox (the push side, core.sync.outbox)."""
    from core.sync import outbox

    return outbox.waiting_count(session), outbox.conflict_count(session)


def _local(session) -> tuple[Link | None, int, int]:
    link = get_link(session)
    if link is None:
        return None, 0, 0
    return (link, *queue_counts(session))


def status(engine: Engine, *, check_link: bool = True, timeout: int = 2) -> SyncStatus:
    """This terminal's sync status; ``check_link`` tries the centre (at most
    ``timeout`` seconds)."""
    with read_session(engine, action="reading the sync status") as s:
        link, waiting, conflicts = _local(s)
    if link is None:
        return SyncStatus(branch="")
    state = ("up" if link_up(link, timeout=timeout) else "down") if check_link else "unknown"
    return SyncStatus(branch=link.code, central=link.shown_url, area=link.area, link=state,
                      last_pull_at=link.last_pull_at, last_pull_changes=link.last_pull_changes,
                      last_push_at=link.last_push_at, last_push_ops=link.last_push_ops, waiting=waiting,
                      conflicts=conflicts, cursor=f"{link.cursor[0]}:{link.cursor[1]}",
                      central_policy=link.central_policy)
