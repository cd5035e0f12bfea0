"""Record book workflow: issue, add a disease, renew (SZ-MD Art. 5).

Book and certificate numbers typed at the counter go through
:func:`present_book` and :func:`core.services.certificates.present_certificate`,
which refuse a number voided by a replacement.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from core import audit
from core.auth import Actor
from core.db import check_version
from core.errors import DomainError, NotFound
from core.i18n import N_
from core.models import BookEntry, BookStatus, Certificate, Institution, RecordBook, Replacement, new_id
from core.policy import Policy, stamp
from core.rules import books as rules
from core.services.certificates import get_row, present_certificate
from core.services.numbering import PREFIX_BOOK, new_number, normalise_number
from core.workflows import BOOK, require_role, require_step
from core.workflows.definitions import BOOK_CURRENT
from core.sync.ops import operation


def find_book(session: Session, number: str, policy: Policy | None = None) -> RecordBook:
    """The book with ``number`` whatever its status (for display); a refusal
    cites the pack's book article when ``policy`` is given."""
    book = session.exec(select(RecordBook).where(RecordBook.number == normalise_number(number))).first()
    if book is None:
        raise NotFound.one(policy.books.article if policy else "", "book_number", N_("No record book numbered {number}."), number=number)
    return book


def _successor_number(session: Session, book: RecordBook) -> str:
    if book.status == BookStatus.VOID:
        repl = session.exec(select(Replacement).where(Replacement.item_kind == "book")
                            .where(Replacement.old_id == book.id)).first()
        return repl.new_number if repl else "-"
    nxt = session.exec(select(RecordBook).where(RecordBook.previous_id == book.id)).first()
    return nxt.number if nxt else "-"


def present_book(session: Session, number: str, on: date, policy: Policy | None) -> RecordBook:
    """The record book a person presents as ``number`` on ``on``. A book
    voided as lost or used up and renewed is refused from the day it ended,
    naming the book that took its place (SZ-MD Art. 5)."""
    book = find_book(session, number, policy)
    if book.status in BOOK_CURRENT or book.ended_on is None or on < book.ended_on:
        return book
    if book.status == BookStatus.VOID:
        msgid = N_("Record book {number} was reported lost and is void since {day}; its replacement is {replacement}.")
    else:
        msgid = N_("Record book {number} was used up on {day} and renewed as {replacement}.")
    raise DomainError.one(policy.books.article if policy else "", "book_number", msgid, number=book.number, day=book.ended_on.isoformat(),
                          replacement=_successor_number(session, book))


def active_book(session: Session, enrollee_id: uuid.UUID) -> RecordBook | None:
    return session.exec(select(RecordBook).where(RecordBook.enrollee_id == enrollee_id)
                        .where(col(RecordBook.status).in_(sorted(BOOK_CURRENT)))).first()


def book_entries(session: Session, book_id: uuid.UUID) -> list[BookEntry]:
    return list(session.exec(select(BookEntry).where(BookEntry.book_id == book_id)
                             .order_by(BookEntry.added_on, BookEntry.disease_code)))


def _issuer(session: Session, issued_at_id: uuid.UUID | None) -> Institution | None:
    return get_row(session, Institution, issued_at_id, "issued_at_id") if issued_at_id else None


def new_book(session: Session, actor: Actor, *, policy: Policy, enrollee_id: uuid.UUID,
             issued_at_id: uuid.UUID | None, previous_id: uuid.UUID | None, on: date, action: str, reason: str,
             provenance: RecordBook | Policy) -> RecordBook:
    """Create an active book (with its audit event, citing ``policy``).
    ``provenance``: the pack that decided it, or the book it continues (a
    replacement keeps the pack that issued the lost one)."""
    book_id = new_id()
    book = RecordBook(id=book_id, number=new_number(session, RecordBook, PREFIX_BOOK, on, book_id),
                      enrollee_id=enrollee_id, status=BookStatus.ACTIVE, issued_on=on, issued_by=actor.username,
                      issued_at_id=issued_at_id, previous_id=previous_id)
    if isinstance(provenance, RecordBook):
        book.policy_pack, book.policy_hash = provenance.policy_pack, provenance.policy_hash
    else:
        stamp(book, provenance)
    audit.created(session, actor, book, action, reason=reason, article=policy.books.article)
    session.flush()  # no relationship() orders the insert before entries point at it
    return book


def add_entry(session: Session, actor: Actor, book: RecordBook, certificate_id: uuid.UUID, disease_code: str,
              on: date, reason: str, policy: Policy) -> BookEntry:
    entry = BookEntry(book_id=book.id, certificate_id=certificate_id, disease_code=disease_code, added_on=on)
    audit.record(session, actor, "book.entry", entity=BookEntry.__tablename__, entity_id=entry.id,
                 after=audit.snapshot(entry), reason=reason, article=policy.books.article, enrollee_id=book.enrollee_id)
    session.add(entry)
    return entry


def copy_entries(session: Session, actor: Actor, entries: Sequence[BookEntry], book: RecordBook, on: date,
                 reason: str, policy: Policy) -> list[BookEntry]:
    """The same diseases written into ``book`` (renewal or replacement)."""
    return [add_entry(session, actor, book, e.certificate_id, e.disease_code, on, reason, policy) for e in entries]


@operation("books.issue_book")
def issue_book(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    certificate_number: str,
    card_presented: bool,
    id_card_presented: bool,
    on: date,
    issued_at_id: uuid.UUID | None = None,
    reason: str = "",
    today: date | None = None,
) -> RecordBook:
    """A first record book against the cards and a confirmed certificate.
    ``issued_at_id`` is the issuing city diagnostic hospital, None for the agency."""
    require_step(BOOK, "issue", None, actor, on, today=today, policy=policy)
    cert = present_certificate(session, certificate_number, on, policy)
    issuer = _issuer(session, issued_at_id)
    current = active_book(session, cert.enrollee_id)
    rules.check_issue(cert, current, issuer, card_presented, id_card_presented, policy, on).raise_if_refused()
    book = new_book(session, actor, policy=policy, enrollee_id=cert.enrollee_id, issued_at_id=issued_at_id,
                    previous_id=None, on=on, action="book.issue", reason=reason, provenance=policy)
    add_entry(session, actor, book, cert.id, cert.disease_code, on, reason, policy)
    return book


@operation("books.add_to_book")
def add_to_book(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    book_number: str,
    certificate_number: str,
    card_presented: bool,
    id_card_presented: bool,
    on: date,
    reason: str = "",
    today: date | None = None,
) -> BookEntry:
    """A further recognised disease written into the enrollee's book."""
    require_role(BOOK, "add", actor, policy)
    book = present_book(session, book_number, on, policy)
    require_step(BOOK, "add", book, actor, on, today=today, policy=policy)
    cert: Certificate = present_certificate(session, certificate_number, on, policy)
    rules.check_add(book, cert, book_entries(session, book.id), card_presented, id_card_presented,
                    on, policy).raise_if_refused()
    return add_entry(session, actor, book, cert.id, cert.disease_code, on, reason, policy)


@operation("books.renew_book")
def renew_book(
    session: Session,
    actor: Actor,
    *,
    policy: Policy,
    book_number: str,
    card_presented: bool,
    id_card_presented: bool,
    on: date,
    issued_at_id: uuid.UUID | None = None,
    reason: str = "",
    expected_version: int | None = None,
    today: date | None = None,
) -> RecordBook:
    """A used-up book is renewed against the old one: old ``used_up``, a new
    active book with the same entries and ``previous_id`` set."""
    art = policy.books.article
    require_role(BOOK, "renew", actor, policy)
    old = present_book(session, book_number, on, policy)
    check_version(old, expected_version)
    issuer = _issuer(session, issued_at_id)
    require_step(BOOK, "renew", old, actor, on, today=today, guard=True, policy=policy,
                 inputs={"issuer": issuer, "card_presented": card_presented, "id_card_presented": id_card_presented})
    rules.check_renew(old, issuer, card_presented, id_card_presented, policy).raise_if_refused()
    entries = book_entries(session, old.id)
    before = audit.snapshot(old)
    old.status, old.ended_on, old.end_reason = BookStatus.USED_UP, on, "used up"
    audit.changed(session, actor, old, before, "book.used_up", reason=reason, article=art)
    book = new_book(session, actor, policy=policy, enrollee_id=old.enrollee_id, issued_at_id=issued_at_id,
                    previous_id=old.id, on=on, action="book.renew", reason=reason, provenance=policy)
    copy_entries(session, actor, entries, book, on, reason, policy)
    return book
