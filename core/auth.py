"""The acting caseworker and what each role may do.

casedesk runs one process per login (over SSH), so the caseworker is the OS
user unless told otherwise; the role comes from the ``caseworker`` table.
Permission checks live here, in core, never in the UI.

Roles: ``clerk`` (lookups, drafts, records documents), ``reviewer`` (agency
confirmation, invalidation, suspension decisions; can also do clerk work) and
``admin`` (users, teams, policy; can also do clerk work).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

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


def os_username() -> str:
    try:
        return getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry
        return os.environ.get("USER", "unknown")


def actor_for(session: Session, username: str | None = None) -> Actor:
    """The caseworker for ``username`` (default: the OS user).

    An empty caseworker table lets the first user in as ``admin`` so that the
    first ``casedesk user add`` can be run; after that an unknown user is
    refused with a message saying who can add them.
    """
    username = username or os_username()
    cw = session.exec(select(Caseworker).where(Caseworker.username == username)).first()
    if cw is not None:
        if not cw.active:
            raise PermissionDenied.one(
                "", "username", N_("Caseworker {user} is deactivated."), user=username
            )
        return Actor(username=cw.username, role=cw.role, branch=cw.branch, display_name=cw.display_name)
    count = session.exec(select(func.count()).select_from(Caseworker)).one()
    if count == 0:
        return Actor(username=username, role=Role.ADMIN, branch="", display_name=username)
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
