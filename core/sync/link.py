"""A branch terminal's link to the centre: the ``sync_branch`` row, the
credentials file, and the central engine.

The central URL names the role, host and database
(``postgresql+psycopg://branch_futian@centre.example/casedesk``) and never a
password: a URL that carries one is refused (it would be stored, printed and
seen in ``ps``). The password lives in a libpq *passfile* (the PGPASSFILE
format, ``host:port:database:user:password``), mode 0600, which libpq itself
reads through the ``passfile`` connection parameter — casedesk never parses
it. ``casedesk branch init`` writes one from a hidden prompt, or takes one
the admin made (``--passfile``).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from core import audit
from core.auth import Actor
from core.errors import BadInput, DomainError
from core.i18n import N_
from core.models import SyncBranch

#: a branch code goes into the numbers it gives out offline (core.services.numbering): 2-8 of A-Z0-9
CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
#: an area is enrollee branch codes as the registry stores them (enrollee.branch)
AREA = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: seconds to wait for the centre before calling the link down
CONNECT_TIMEOUT = 10
STATUS_TIMEOUT = 2


@dataclass(frozen=True)
class Link:
    """The ``sync_branch`` row as a plain value."""

    code: str
    central_url: str
    passfile: str
    area: tuple[str, ...]
    cursor: tuple[int, int]
    central_policy: str
    initialised_at: datetime
    last_pull_at: datetime | None
    last_pull_changes: int
    last_push_at: datetime | None
    last_push_ops: int

    def described(self, lang: str = "en") -> str:
        from core.i18n import translate

        return translate(N_("this terminal is branch {code} of {central}"), lang, code=self.code,
                         central=self.shown_url)

    @property
    def shown_url(self) -> str:
        from urllib.parse import unquote

        return unquote(central_url(self.central_url).render_as_string(hide_password=True))


def _link(row: SyncBranch) -> Link:
    return Link(code=row.code, central_url=row.central_url, passfile=row.passfile,
                area=tuple(a for a in row.area.split(",") if a), cursor=(row.pulled_txid, row.pulled_seq),
                central_policy=row.central_policy, initialised_at=row.initialised_at,
                last_pull_at=row.last_pull_at, last_pull_changes=row.last_pull_changes,
                last_push_at=row.last_push_at, last_push_ops=row.last_push_ops)


def get_link(session) -> Link | None:
    """This terminal's link, or None when it is not a branch."""
    row = session.get(SyncBranch, 1)
    return _link(row) if row is not None else None


def require_link(session) -> Link:
    link = get_link(session)
    if link is None:
        from core.sync.status import NOT_A_BRANCH

        raise BadInput.one("", "branch", NOT_A_BRANCH)
    return link


# --------------------------------------------------------------------------- checking what is given


def central_url(value: str) -> URL:
    """The central database's URL, checked: PostgreSQL, a database named, no password."""
    try:
        url = make_url(value.strip())
    except ArgumentError:
        url = None
    if url is None or url.get_backend_name() != "postgresql" or not url.database:
        raise BadInput.one("", "central", N_("The centre is a PostgreSQL database: give its URL as "
                                             "postgresql+psycopg://ROLE@HOST/DATABASE."))
    if url.password:
        raise BadInput.one("", "central", N_("The central URL must not hold a password (it would be stored and "
                                             "shown); keep it in the passfile (--passfile, or type it when asked)."))
    if url.drivername != "postgresql+psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url


def branch_code(value: str) -> str:
    value = value.strip()
    if not CODE.match(value):
        raise BadInput.one("", "branch", N_("A branch code is 2 to 8 capital letters or digits, starting with a "
                                            "letter ({code} given)."),
                           code=value[:40])
    return value


def area_codes(value: str) -> tuple[str, ...]:
    """``--area futian,luohu``: the enrollee branches this terminal pulls ('' = the whole city)."""
    out = tuple(dict.fromkeys(a.strip() for a in value.split(",") if a.strip()))
    for a in out:
        if not AREA.match(a):
            raise BadInput.one("", "area", N_("An area is a comma-separated list of branch codes ({code} is not one)."),
                               code=a[:40])
    return out


def check_passfile(path: Path) -> Path:
    """A passfile libpq will read: a regular file, ours, not readable by group or others."""
    try:
        st = path.stat()
    except OSError:
        raise BadInput.one("", "passfile", N_("There is no passfile at {path}."), path=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise BadInput.one("", "passfile", N_("The passfile {path} is not a regular file."), path=str(path))
    if st.st_mode & 0o077 or st.st_uid != os.geteuid():
        raise BadInput.one("", "passfile", N_("The passfile {path} must be yours with mode 0600 (libpq ignores "
                                              "it otherwise): chmod 600 {path}"), path=str(path))
    return path


def default_passfile(code: str) -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("casedesk", appauthor=False)) / f"central-{code}.pgpass"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_passfile(path: Path, url: URL, password: str) -> Path:
    """A new 0600 passfile for ``url``'s role (created exclusively: never over
    an existing file, never readable by anyone else for an instant)."""
    if any(c in password for c in "\r\n"):
        raise BadInput.one("", "password", N_("The password cannot hold a line break."))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = f"*:*:*:{_escape(url.username or '*')}:{_escape(password)}\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(line)
    return path


# --------------------------------------------------------------------------- the branch row


ALREADY = N_("This terminal is already branch {code}; a branch is set up once.")
NOT_SQLITE = N_("A branch terminal works on its own SQLite file (--db FILE); the centre is the PostgreSQL database.")
PASSWORD_PROMPT = N_("Password of {role} at the centre (empty: none)")


def init_branch(session, actor: Actor, *, code: str, central: str, area: str = "", passfile: str = "") -> Link:
    """``casedesk branch init``: record this terminal's branch and its link
    (admin). A terminal is set up once; its branch never changes."""
    actor.require("admin")
    url = central_url(central)
    code = branch_code(code)
    areas = area_codes(area)
    if passfile:
        check_passfile(Path(passfile))
    existing = session.get(SyncBranch, 1)
    if existing is not None:
        raise DomainError.one("", "branch", ALREADY, code=existing.code)
    row = SyncBranch(code=code, central_url=url.render_as_string(hide_password=False), passfile=passfile,
                     area=",".join(areas), initialised_by=actor.username)
    session.add(row)
    audit.record(session, actor, "sync.branch_init", entity="sync_branch", entity_id=code,
                 after={"code": code, "central": url.render_as_string(hide_password=True), "area": ",".join(areas)})
    return _link(row)


# --------------------------------------------------------------------------- the centre


def central_engine(link: Link, *, timeout: int = CONNECT_TIMEOUT) -> Engine:
    """An engine on the centre for this branch: libpq reads the password from
    the passfile; a connect gives up after ``timeout`` seconds."""
    args: dict = {"connect_timeout": timeout, "application_name": f"casedesk-branch-{link.code}"}
    if link.passfile:
        args["passfile"] = link.passfile
    return create_engine(central_url(link.central_url), poolclass=NullPool, connect_args=args)


def link_up(link: Link, *, timeout: int = STATUS_TIMEOUT) -> bool:
    """Whether the centre answers within ``timeout`` seconds."""
    from sqlalchemy.exc import DBAPIError

    eng = central_engine(link, timeout=timeout)
    try:
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except DBAPIError:
        return False
    finally:
        eng.dispose()
