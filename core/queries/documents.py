"""An enrollee's certificates, record books and replacement records, and a
hospital's monthly batch, as plain immutable records; and the certificates
and books a step may take:
for a record book (SZ-MD Art. 5) and for a replacement (SZ-MD Art. 5) each
list holds exactly what the step's rule accepts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from core.models import BookEntry, Certificate, Institution, MonthlyBatch, RecordBook, Replacement
from core.policy import Policy
from core.records import frozen, frozen_all
from core.rules import books as book_rules
from core.rules import replacements as replacement_rules
from core.services.books import book_entries
from core.services.certificates import enrollee_certificates


def certificates_of(session: Session, enrollee_id: uuid.UUID) -> tuple[Certificate, ...]:
    """Every certificate of the enrollee, oldest draft first."""
    return frozen_all(enrollee_certificates(session, enrollee_id))


def books_of(session: Session, enrollee_id: uuid.UUID) -> tuple[RecordBook, ...]:
    """Every record book of the enrollee, newest first."""
    return frozen_all(session.exec(select(RecordBook).where(RecordBook.enrollee_id == enrollee_id)
                                   .order_by(col(RecordBook.issued_on).desc(), col(RecordBook.created_at).desc())))


def entries_of(session: Session, book_id: uuid.UUID) -> tuple[BookEntry, ...]:
    return frozen_all(book_entries(session, book_id))


def replacements_of(session: Session, enrollee_id: uuid.UUID) -> tuple[Replacement, ...]:
    """The enrollee's replacement records, newest first."""
    return frozen_all(session.exec(select(Replacement).where(Replacement.enrollee_id == enrollee_id)
                                   .order_by(col(Replacement.reported_on).desc(),
                                             col(Replacement.created_at).desc())))


def book_certificates(session: Session, enrollee_id: uuid.UUID, on: date, policy: Policy) -> tuple[Certificate, ...]:
    """Certificates a record book may be issued on or take on ``on``, newest
    first (:func:`core.rules.books.certificate_reasons`)."""
    return tuple(c for c in reversed(certificates_of(session, enrollee_id))
                 if not book_rules.certificate_reasons(c, enrollee_id, on, policy))


def replaceable_certificates(session: Session, enrollee_id: uuid.UUID, on: date,
                             policy: Policy) -> tuple[Certificate, ...]:
    """Certificates that may be reported lost on ``on``, newest first
    (:func:`core.rules.replacements.certificate_reasons`)."""
    return tuple(c for c in reversed(certificates_of(session, enrollee_id))
                 if not replacement_rules.certificate_reasons(c, on, policy))


def replaceable_books(session: Session, enrollee_id: uuid.UUID, policy: Policy) -> tuple[RecordBook, ...]:
    """Record books that may be reported lost (:func:`core.rules.replacements.book_reasons`)."""
    return tuple(b for b in books_of(session, enrollee_id) if not replacement_rules.book_reasons(b, policy))


@dataclass(frozen=True)
class BatchView:
    """A hospital's monthly batch of certificate originals (SZ-MD Art. 4(1))."""

    institution: Institution
    month: str
    batch: MonthlyBatch | None
    in_batch: tuple[Certificate, ...]
    waiting: tuple[Certificate, ...]


def batch_view(session: Session, institution_id: uuid.UUID, month: str) -> BatchView:
    """The batch of ``month`` (None before it is gathered), its certificates
    and those waiting for it; refuses a malformed month."""
    from core.services import certificates as svc

    inst = svc.get_row(session, Institution, institution_id, "institution_id")
    batch = svc.find_batch(session, inst.id, month)
    waiting = svc.batch_candidates(session, inst.id, month)
    return BatchView(institution=frozen(inst), month=month, batch=frozen(batch),
                     in_batch=frozen_all(svc.batch_certificates(session, batch)) if batch else (),
                     waiting=frozen_all(waiting))


def replacement_by_key(session: Session, key: str) -> Replacement:
    """A replacement record by its key (as ``replacement list`` prints it)."""
    from core.errors import NotFound
    from core.i18n import N_

    try:
        row = session.get(Replacement, uuid.UUID(key.strip()))
    except ValueError:
        row = None
    if row is None:
        raise NotFound.one("SZ-MD Art. 5", "replacement_id", N_("No replacement record with key {ref}."), ref=key)
    return frozen(row)
