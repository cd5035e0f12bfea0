"""The special outpatient record book (SZ-MD Art. 5).

One book per enrollee; a second recognised disease is written into the same
book. Issued by the agency or a city diagnostic hospital against the social
security card, the ID card and a confirmed certificate; a used-up book is
renewed against the old one.

Reading: adding a disease to a book and renewing a book are issues of the
book too, so they also need both cards presented.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.errors import Reason
from core.i18n import N_, Code
from core.models import BookEntry, Certificate, Institution, RecordBook
from core.policy import Policy
from core.rules.certificates import is_live
from core.rules.decision import Decision, refuse
from core.workflows import BOOK
from core.workflows.definitions import CERT_GIVES_BENEFITS

def document_reasons(card_presented: bool, id_card_presented: bool, article: str) -> list[Reason]:
    """Both the social security card and the ID card must be presented."""
    out: list[Reason] = []
    if not card_presented:
        out.append(refuse(article, "card_presented", N_("The social security card must be presented.")))
    if not id_card_presented:
        out.append(refuse(article, "id_card_presented", N_("The ID card must be presented.")))
    return out


def issuer_reasons(institution: Institution | None, policy: Policy) -> list[Reason]:
    """The agency (``None``) or a city diagnostic hospital issues books."""
    if institution is None:
        return []
    if institution.active and institution.diagnostic_hospital and institution.city == policy.pack.city:
        return []
    return [refuse(policy.books.article, "issued_at_id",
                   N_("Record books are issued by the agency or a diagnostic hospital of {city}; {code} is neither."),
                   city=policy.pack.city, code=institution.code)]


def certificate_reasons(cert: Certificate, enrollee_id, on: date, policy: Policy | None = None) -> list[Reason]:
    """The certificate a book entry rests on: the enrollee's, confirmed, not
    expired (pickers ask without a pack: only whether a reason exists)."""
    art = policy.books.article if policy else ""
    out: list[Reason] = []
    if cert.enrollee_id != enrollee_id:
        out.append(refuse(art, "certificate_number",
                          N_("Certificate {number} belongs to another enrollee."), number=cert.number))
    confirmed_ahead = cert.status in CERT_GIVES_BENEFITS and cert.valid_from is not None and on < cert.valid_from
    if not (is_live(cert, on) or confirmed_ahead):
        out.append(refuse(art, "certificate_number",
                          N_("Certificate {number} is {status} and not valid on {day}; a book needs a confirmed certificate."),
                          number=cert.number, status=Code("certificate_status", cert.status), day=on.isoformat()))
    return out


def check_issue(cert: Certificate, active_book: RecordBook | None, issuer: Institution | None,
                card_presented: bool, id_card_presented: bool, policy: Policy, on: date) -> Decision:
    """A first book (SZ-MD Art. 5): one active book per enrollee."""
    art = policy.books.article
    reasons = document_reasons(card_presented, id_card_presented, art)
    reasons += issuer_reasons(issuer, policy)
    reasons += certificate_reasons(cert, cert.enrollee_id, on, policy)
    if active_book is not None:
        reasons.append(refuse(art, "enrollee_id",
                              N_("The enrollee already has record book {number}; add {disease} to that book instead."),
                              number=active_book.number, disease=cert.disease_code))
    return Decision.of(reasons)


def check_add(book: RecordBook, cert: Certificate, entries: Sequence[BookEntry],
              card_presented: bool, id_card_presented: bool, on: date, policy: Policy) -> Decision:
    """A further recognised disease goes into the existing book."""
    art = policy.books.article
    reasons = document_reasons(card_presented, id_card_presented, art)
    if not BOOK.can_fire("add", book.status):
        reasons.append(refuse(art, "book_number",
                              N_("Record book {number} is {status}."), number=book.number, status=Code("book_status", book.status)))
    reasons += certificate_reasons(cert, book.enrollee_id, on, policy)
    if any(e.disease_code == cert.disease_code for e in entries):
        reasons.append(refuse(art, "certificate_number",
                              N_("{disease} is already written in record book {number}."),
                              disease=cert.disease_code, number=book.number))
    return Decision.of(reasons)


def check_renew(book: RecordBook, issuer: Institution | None, card_presented: bool,
                id_card_presented: bool, policy: Policy) -> Decision:
    """A used-up book is renewed against the old one."""
    art = policy.books.article
    reasons = document_reasons(card_presented, id_card_presented, art)
    reasons += issuer_reasons(issuer, policy)
    if not BOOK.can_fire("renew", book.status):
        reasons.append(refuse(art, "book_number",
                              N_("Record book {number} is {status}; only the active book can be renewed."),
                              number=book.number, status=Code("book_status", book.status)))
    return Decision.of(reasons)
