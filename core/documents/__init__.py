"""The paper the rules put in the enrollee's hand (SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5).

``build`` makes a :class:`Document` from a record, ``render`` draws it as
PDF; :mod:`core.services.documents` is the service that does both, records
the print in the audit trail and saves or prints the file.
"""

from core.documents.build import BUILDERS, build
from core.documents.model import Document
from core.documents.pdf import find_font, render

KINDS: tuple[str, ...] = tuple(BUILDERS)


def case_documents(case: object) -> list[str]:
    """The papers an investigation case has produced so far, in order
    (SZ-MT Art. 14, 15): the notice; the suspension notice once the case is
    opened; the decision once verified. Reads plain attributes, so an ORM
    row or an immutable read result will do."""
    kinds = ["notice"]
    if getattr(case, "opened_on", None) is not None:
        kinds.append("suspension")
    if getattr(case, "outcome", None):
        kinds.append("decision")
    return kinds


def filing_documents(voucher_number: str | None) -> list[str]:
    """The form and the voucher of an accepted filing (SZ-MT Art. 10)."""
    return ["filing-form", "voucher"] if voucher_number else []

__all__ = ["KINDS", "Document", "build", "case_documents", "filing_documents", "find_font", "render"]
