"""The acting caseworker and what each role may do.

casedesk runs one process per login (over SSH), so the caseworker is the OS
account of the process's *real user id* as the kernel reports it (the passwd
entry), never an environment variable (``LOGNAME``/``USER`` are the caller's
to set). The role comes from the ``caseworker`` table. Permission checks live
here, in core, never in the UI.

Shared-server deployment (docs/DEPLOY.md): a service account owns the data
and each caseworker starts casedesk through a sudo rule to that account. Then
the real uid is the service account's and sudo's ``SUDO_UID`` names the
caseworker; it is trusted only when the process really runs as the service
account named in the root-owned system config (``service_account``), because
only sudo (or root) can start a process as that account. Everywhere else
``SUDO_UID`` is ignored.

Roles: ``clerk`` (lookups, drafts, records documents), ``reviewer`` (agency
confirmation, invalidation, suspension decisions; can also do clerk work) and
``admin`` (users, teams, policy; can also do clerk work).
"""

from __future__ import annotations

import os
import pwd
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

from core.errors import DomainError, PermissionDenied
from core.i18n import N_, Msg
from core.models import Caseworker, Role

# what each role may do, by permission name
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CLERK: frozenset({"lookup", "record"}),
    Role.REVIEWER: frozenset({"lookup", "record", "review"}),
    Role.ADMIN: frozenset({"lookup", "record", "admin"}),
}

PERMISSION_ROLE = {"lookup": Role.CLERK, "record": Role.CLERK, "review": Role.REVIEWER, "admin": Role.ADMIN}


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    branch: str = ""
    display_name: str = ""

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    def require(self, permission: str, *, article: str = "", action: str = "") -> None:
        if not self.can(permission):
            raise PermissionDenied.one(
                article,
                "role",
                N_("{user} ({role}) may not {action}: it needs the {needed} role."),
                user=self.username,
                role=self.role,
                action=Msg(action or permission),
                needed=PERMISSION_ROLE.get(permission, permission),
            )


SYSTEM = Actor(username="system", role=Role.ADMIN, branch="", display_name="casedesk")


SYSTEM_CONFIG = Path("/etc/casedesk/config.toml")


def system_config_path() -> Path:
    return Path(os.environ.get("CASEDESK_SYSTEM_CONFIG") or SYSTEM_CONFIG)


def system_config() -> dict:
    """The administrator's config (``/etc/casedesk/config.toml``). Read only
    when root owns it and nobody else may write it: it names the service
    account whose ``SUDO_UID`` is believed, so a caseworker must not be able
    to write one (pointing ``CASEDESK_SYSTEM_CONFIG`` at a file of their own
    gets them nothing)."""
    try:
        fd = os.open(system_config_path(), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return {}
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or not stat.S_ISREG(st.st_mode):
            return {}
        try:
            return tomllib.loads(fh.read(64_000).decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            return {}


@dataclass(frozen=True)
class Login:
    """Who is at the keyboard, as the kernel (and a trusted sudo) says."""

    username: str
    via_service_account: bool = False  # started through the sudo rule (docs/DEPLOY.md)
    data_owner: bool = False  # the service account itself (it can open the files anyway)


def _passwd_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        raise PermissionDenied.one(
            "", "username", N_("User id {uid} has no account on this machine; casedesk cannot tell who you are."),
            uid=uid) from None


def login() -> Login:
    ruid = os.getuid()
    me = _passwd_name(ruid)
    service = str(system_config().get("service_account") or "")
    sudo_uid = os.environ.get("SUDO_UID", "")
    if service and me == service and os.geteuid() == ruid and sudo_uid:
        if not sudo_uid.isdigit():
            raise PermissionDenied.one("", "username", N_("SUDO_UID {uid} is not a user id."), uid=sudo_uid)
        caller = _passwd_name(int(sudo_uid))
        return Login(caller, via_service_account=caller != service, data_owner=caller == service)
    return Login(me, data_owner=bool(service) and me == service)


def os_username() -> str:
    """The caseworker's OS account (real uid; see :func:`login`)."""
    return login().username


def actor_for(session: Session, username: str | None = None) -> Actor:
    """The caseworker for ``username`` (default: the OS user): known and
    active, or refused with a message saying who can add them. There is no
    first-user exception; ``casedesk db init`` records the first admin."""
    username = username or os_username()
    cw = session.exec(select(Caseworker).where(Caseworker.username == username)).first()
    if cw is not None:
        if not cw.active:
            raise PermissionDenied.one(
                "", "username", N_("Caseworker {user} is deactivated."), user=username
            )
        return Actor(username=cw.username, role=cw.role, branch=cw.branch, display_name=cw.display_name)
    if session.exec(select(func.count()).select_from(Caseworker)).one() == 0:
        raise PermissionDenied.one(
            "", "username",
            N_("This database has no caseworkers yet. The person setting it up runs `casedesk db init` "
               "(they become its first admin)."))
    raise PermissionDenied.one(
        "",
        "username",
        N_("{user} is not a casedesk caseworker. An admin can add them with `casedesk user add {user} --role clerk`."),
        user=username,
    )


def validate_role(role: str) -> str:
    if role not in {r.value for r in Role}:
        raise DomainError.one(
            "", "role", N_("Unknown role {role}; use clerk, reviewer or admin."), role=role
        )
    return role


def acting_as(session: Session, as_user: str | None = None) -> Actor:
    """The actor of a command or the app: the OS user, or ``as_user`` when
    switching caseworker, which only a demo database allows."""
    from core.db import get_meta

    if as_user and get_meta(session, "demo") != "1":
        raise DomainError.one("", "as", N_("--as works only on a demo database; casedesk acts as the "
                                           "logged-in user."))
    return actor_for(session, as_user)
