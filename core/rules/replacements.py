"""Replacement of a lost certificate or record book (SZ-MD Art. 5).

Replaced at the insurance office of the original diagnostic hospital (the
certificate's issuing hospital, or the hospital that issued the book) or at
the municipal agency, against the social security card and the ID card. The
lost document is void from then on.

Reading: the agency is recorded without an institution or with one of kind
``social_security``; a book issued by the agency can only be replaced there.
"""

from __future__ import annotations

import uuid
from datetime import date

from core.errors import Reason
from core.i18n import N_, Code
from core.models import Certificate, Institution, InstitutionKind, RecordBook
from core.policy import Policy
from core.rules.books import document_reasons
from core.rules.decision import Decision, refuse
from core.workflows import BOOK
from core.workflows.definitions import CERT_REPLACEABLE

PLACES = ("hospital", "agency")


def place_reasons(place: str, institution: Institution | None, original_id: uuid.UUID | None,
                  policy: Policy | None = None) -> list[Reason]:
    """Where the replacement is made; ``original_id`` is the hospital that
    issued the lost document (None: the agency issued it). Pickers ask
    without a pack: only whether a reason exists."""
    art = policy.replacements.article if policy else ""
    if place not in PLACES:
        return [refuse(art, "place", N_("Place must be hospital or agency, not {place}."), place=place)]
    if place == "agency":
        if institution is not None and institution.kind != InstitutionKind.SOCIAL_SECURITY:
            return [refuse(art, "institution_id",
                           N_("{code} is not a social insurance agency office."), code=institution.code)]
        return []
    if original_id is None:
        return [refuse(art, "place",
                       N_("The lost document was issued by the agency; replace it at the agency."))]
    if institution is None or institution.id != original_id:
        return [refuse(art, "institution_id",
                       N_("A replacement at a hospital is made only by the hospital that issued the lost document."))]
    return []


def check_certificate(cert: Certificate, place: str, institution: Institution | None,
                      card_presented: bool, id_card_presented: bool, on: date, policy: Policy) -> Decision:
    """A lost confirmed certificate that has not expired."""
    art = policy.replacements.article
    reasons = document_reasons(card_presented, id_card_presented, art)
    reasons += place_reasons(place, institution, cert.institution_id, policy)
    reasons += certificate_reasons(cert, on, policy)
    return Decision.of(reasons)


def certificate_reasons(cert: Certificate, on: date, policy: Policy | None = None) -> list[Reason]:
    """Whether ``cert`` may be reported lost and replaced on ``on``; the
    replacement screen lists only certificates with none."""
    art = policy.replacements.article if policy else ""
    if cert.status not in CERT_REPLACEABLE:
        return [refuse(art, "number",
                       N_("Certificate {number} is {status}; only a confirmed certificate is replaced."),
                       number=cert.number, status=Code("certificate_status", cert.status))]
    if cert.valid_until is not None and cert.valid_until < on:
        return [refuse(art, "number",
                       N_("Certificate {number} expired on {day}; an expired certificate is not replaced."),
                       number=cert.number, day=cert.valid_until.isoformat())]
    return []


def check_book(book: RecordBook, place: str, institution: Institution | None,
               card_presented: bool, id_card_presented: bool, policy: Policy) -> Decision:
    """A lost active record book."""
    art = policy.replacements.article
    reasons = document_reasons(card_presented, id_card_presented, art)
    reasons += place_reasons(place, institution, book.issued_at_id, policy)
    reasons += book_reasons(book, policy)
    return Decision.of(reasons)


def book_reasons(book: RecordBook, policy: Policy | None = None) -> list[Reason]:
    """Whether ``book`` may be reported lost and replaced; the replacement
    screen lists only books with none."""
    if not BOOK.can_fire("replace", book.status):
        return [refuse(policy.replacements.article if policy else "", "book_number",
                       N_("Record book {number} is {status}; only the active book is replaced."),
                       number=book.number, status=Code("book_status", book.status))]
    return []


def check_archive(archived: bool, policy: Policy) -> Decision:
    art = policy.replacements.article
    if archived:
        return Decision.of([refuse(art, "archived", N_("This replacement record is already archived."))])
    return Decision(ok=True)
