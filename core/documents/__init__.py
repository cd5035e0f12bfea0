"""The paper the rules put in the enrollee's hand (SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5).

``build`` makes a :class:`Document` from a record, ``render`` draws it as
PDF; :mod:`core.services.documents` is the service that does both, records
the print in the audit trail and saves or prints the file.
"""

from core.documents.build import BUILDERS, build
from core.documents.model import Document
from core.documents.pdf import find_font, render

KINDS: tuple[str, ...] = tuple(BUILDERS)

__all__ = ["KINDS", "Document", "build", "find_font", "render"]
