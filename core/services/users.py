"""Caseworker administration (admin role)."""

from __future__ import annotations

from sqlmodel import Session, func, select

from core import audit
from core.auth import Actor, validate_role
from core.db import check_version
from core.errors import DomainError, NotFound
from core.i18n import N_
from core.models import Caseworker
from core.records import frozen_all
from core.sync.ops import local_write

_USERNAME_OK = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _get(session: Session, username: str) -> Caseworker:
    cw = session.exec(select(Caseworker).where(Caseworker.username == username)).first()
    if cw is None:
        raise NotFound.one("", "username", N_("No caseworker {user}."), user=username)
    return cw


def exists(session: Session, username: str) -> bool:
    return session.exec(select(Caseworker.id).where(Caseworker.username == username)).first() is not None


@local_write("users.add_user")
def add_user(session: Session, actor: Actor, *, username: str, role: str, branch: str = "",
             display_name: str = "", reason: str = "new caseworker") -> Caseworker:
    actor.require("admin", action=N_("add caseworkers"))
    username = username.strip()
    if not username or not set(username.lower()) <= _USERNAME_OK or len(username) > 64:
        raise DomainError.one("", "username", N_("A username is 1-64 letters, digits, dots, dashes or underscores."))
    validate_role(role)
    if session.exec(select(Caseworker).where(Caseworker.username == username)).first():
        raise DomainError.one("", "username", N_("Caseworker {user} already exists."), user=username)
    cw = Caseworker(username=username, role=role, branch=branch, display_name=display_name or username)
    audit.created(session, actor, cw, "user.add", reason=reason)
    return cw


def add_first_admin(session: Session, *, username: str, display_name: str = "",
                    reason: str = "first admin of a new database") -> Caseworker:
    """``casedesk db init``: the person setting up a database with no
    caseworkers becomes its first admin (and the first audit event)."""
    if session.exec(select(func.count()).select_from(Caseworker)).one():
        raise DomainError.one("", "username", N_("This database already has caseworkers; an admin adds more "
                                                 "with `casedesk user add`."))
    return add_user(session, Actor(username=username, role="admin"), username=username, role="admin",
                    display_name=display_name, reason=reason)


def _keep_an_admin(session: Session, cw: Caseworker) -> None:
    """The last active admin cannot be demoted or deactivated: nobody could
    add caseworkers or restore a backup any more. The admin rows are locked
    (PostgreSQL ``FOR UPDATE``; SQLite holds the write lock) so two admins
    demoting each other at once cannot both succeed."""
    if cw.role != "admin" or not cw.active:
        return
    admins = session.exec(select(Caseworker.id).where(Caseworker.role == "admin", Caseworker.active == True)  # noqa: E712
                          .with_for_update()).all()
    if len([i for i in admins if i != cw.id]) == 0:
        raise DomainError.one("", "role", N_("{user} is the last active admin; make another caseworker admin first."),
                              user=cw.username)


@local_write("users.set_role")
def set_role(session: Session, actor: Actor, *, username: str, role: str, reason: str,
             expected_version: int | None) -> Caseworker:
    """Change a role. ``expected_version`` is the caseworker's version the
    caller read (``user list``); a change made since is refused, never
    overwritten (issue 9, item 7). None only where nothing was read first."""
    actor.require("admin", action=N_("change roles"))
    validate_role(role)
    cw = _get(session, username)
    check_version(cw, expected_version)
    if role != "admin":
        _keep_an_admin(session, cw)
    before = audit.snapshot(cw)
    cw.role = role
    audit.changed(session, actor, cw, before, "user.set_role", reason=reason)
    return cw


@local_write("users.deactivate")
def deactivate(session: Session, actor: Actor, *, username: str, reason: str,
               expected_version: int | None) -> Caseworker:
    """Deactivate (nothing is deleted); ``expected_version`` as for :func:`set_role`."""
    actor.require("admin", action=N_("deactivate caseworkers"))
    cw = _get(session, username)
    check_version(cw, expected_version)
    _keep_an_admin(session, cw)
    before = audit.snapshot(cw)
    cw.active = False
    audit.changed(session, actor, cw, before, "user.deactivate", reason=reason)
    return cw


def list_users(session: Session) -> tuple[Caseworker, ...]:
    """Every caseworker, by username, as plain immutable records (they are
    read after the session closes: ``casedesk user list``)."""
    return frozen_all(session.exec(select(Caseworker).order_by(Caseworker.username)))
