"""Replacement of a lost certificate or record book (SZ-MD Art. 5).

The lost document is voided from the business date and a new one with a new
number takes its place: for a certificate, a new confirmed row with the same
facts and validity (the old one's ``replaced_by_id`` points at it); for a
book, a new active book with the same entries. A :class:`Replacement` record
keeps the event for the agency's archive (:func:`archive_replacement`).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.models import new_id as make_id
from core.models import BookEntry, BookStatus, Certificate, CertificateStatus, Institution, Replacement
from core.rules import replacements as rules
from core.policy import Policy
from core.services.books import book_entries, copy_entries, new_book, present_book
from core.services.certificates import get_row, present_certificate
from core.services.numbering import PREFIX_CERTIFICATE, new_number
from core.workflows import BOOK, CERTIFICATE, REPLACEMENT, require_role, require_step
from core.sync.ops import operation

# copied unchanged from the lost certificate to its replacement
_NOT_COPIED = {"id", "number", "version", "created_at", "updated_at", "status", "ended_on", "ended_by",
               "end_reason", "replaced_by_id", "batch_id"}  # status and end_reason: the lost one's, set explicitly


def _place_institution(session: Session, institution_id: uuid.UUID | None) -> Institution | None:
    return get_row(session, Institution, institution_id, "institution_id") if institution_id else None


def _copy_certificate(session: Session, old: Certificate, on: date) -> Certificate:
    """The copy takes the lost one's state: confirmed, or superseded by a
    renewal and still giving benefits to its last day (SZ-MD Art. 5, 12)."""
    values = {c.key: getattr(old, c.key) for c in Certificate.__table__.columns if c.key not in _NOT_COPIED}
    new_id = make_id()
    return Certificate(id=new_id, number=new_number(session, Certificate, PREFIX_CERTIFICATE, on, new_id),
                       status=old.status, end_reason=old.end_reason, **values)


def _record(session: Session, actor: Actor, *, kind: str, enrollee_id: uuid.UUID, old_id: uuid.UUID,
            old_number: str, new_id: uuid.UUID, new_number_: str, place: str, institution_id: uuid.UUID | None,
            documents: tuple[bool, bool], on: date, reason: str, article: str) -> Replacement:
    repl = Replacement(enrollee_id=enrollee_id, item_kind=kind, old_id=old_id, old_number=old_number,
                       new_id=new_id, new_number=new_number_, place=place, institution_id=institution_id,
                       card_presented=documents[0], id_card_presented=documents[1], reported_on=on, recorded_by=actor.username)
    audit.created(session, actor, repl, "replacement.record", reason=reason, article=article)
    return repl


def _repoint_book_entries(session: Session, actor: Actor, old: Certificate, new: Certificate, reason: str,
                          article: str) -> None:
    """The record book lists the disease under the certificate now in force."""
    for entry in session.exec(select(BookEntry).where(BookEntry.certificate_id == old.id)):
        before = audit.snapshot(entry)
        entry.certificate_id = new.id
        audit.changed(session, actor, entry, before, "book_entry.repoint", reason=reason, article=article)


@operation("replacements.replace_certificate")
def replace_certificate(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    number: str,
    place: str,
    card_presented: bool,
    id_card_presented: bool,
    on: date,
    institution_id: uuid.UUID | None = None,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Replacement:
    """Replace a lost confirmed certificate at its issuing hospital or the agency."""
    art = policy.replacements.article
    require_role(CERTIFICATE, "replace", actor, policy)
    old = present_certificate(session, number, on, policy)
    check_version(old, expected_version)
    institution = _place_institution(session, institution_id)
    require_step(CERTIFICATE, "replace", old, actor, on, today=today, policy=policy, guard=True,
                 inputs={"place": place, "institution": institution, "card_presented": card_presented,
                         "id_card_presented": id_card_presented})
    rules.check_certificate(old, place, institution, card_presented, id_card_presented, on, policy).raise_if_refused()
    new = _copy_certificate(session, old, on)
    audit.created(session, actor, new, "certificate.replacement", reason=reason, article=art)
    session.flush()  # the new row must exist before the old one points at it
    before = audit.snapshot(old)
    old.status = CertificateStatus.VOID
    old.ended_on, old.ended_by, old.end_reason = on, actor.username, "reported lost"
    old.replaced_by_id = new.id
    audit.changed(session, actor, old, before, "certificate.void", reason=reason, article=art)
    _repoint_book_entries(session, actor, old, new, reason, art)
    return _record(session, actor, kind="certificate", enrollee_id=old.enrollee_id, old_id=old.id,
                   old_number=old.number, new_id=new.id, new_number_=new.number, place=place,
                   institution_id=institution_id, documents=(card_presented, id_card_presented),
                   on=on, reason=reason, article=art)


@operation("replacements.replace_book")
def replace_book(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    book_number: str,
    place: str,
    card_presented: bool,
    id_card_presented: bool,
    on: date,
    institution_id: uuid.UUID | None = None,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Replacement:
    """Replace a lost record book at the hospital that issued it or the agency:
    a new active book with the same entries."""
    art = policy.replacements.article
    require_role(BOOK, "replace", actor, policy)
    old = present_book(session, book_number, on, policy)
    check_version(old, expected_version)
    institution = _place_institution(session, institution_id)
    require_step(BOOK, "replace", old, actor, on, today=today, policy=policy, guard=True,
                 inputs={"place": place, "institution": institution, "card_presented": card_presented,
                         "id_card_presented": id_card_presented})
    rules.check_book(old, place, institution, card_presented, id_card_presented, policy).raise_if_refused()
    entries = book_entries(session, old.id)
    before = audit.snapshot(old)
    old.status, old.ended_on, old.end_reason = BookStatus.VOID, on, "reported lost"
    audit.changed(session, actor, old, before, "book.void", reason=reason, article=art)
    issued_at = old.issued_at_id if place == "hospital" else None
    new = new_book(session, actor, policy=policy, enrollee_id=old.enrollee_id, issued_at_id=issued_at,
                   previous_id=old.id, on=on, action="book.replacement", reason=reason, provenance=old)
    copy_entries(session, actor, entries, new, on, reason, policy)
    return _record(session, actor, kind="book", enrollee_id=old.enrollee_id, old_id=old.id,
                   old_number=old.number, new_id=new.id, new_number_=new.number, place=place,
                   institution_id=institution_id, documents=(card_presented, id_card_presented),
                   on=on, reason=reason, article=art)


@operation("replacements.archive_replacement")
def archive_replacement(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    replacement_id: uuid.UUID,
    on: date,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> Replacement:
    """The replacement record goes to the agency's archive."""
    art = policy.replacements.article
    require_role(REPLACEMENT, "archive", actor, policy)
    repl = get_row(session, Replacement, replacement_id, "replacement_id", art)
    check_version(repl, expected_version)
    require_step(REPLACEMENT, "archive", repl, actor, on, today=today, policy=policy, guard=True)
    rules.check_archive(repl.archived, policy).raise_if_refused()
    before = audit.snapshot(repl)
    repl.archived, repl.archived_on = True, on
    audit.changed(session, actor, repl, before, "replacement.archive", reason=reason, article=art)
    return repl


def replacements_of(session: Session, enrollee_id: uuid.UUID) -> list[Replacement]:
    q = select(Replacement).where(Replacement.enrollee_id == enrollee_id).order_by(Replacement.reported_on)
    return list(session.exec(q))
