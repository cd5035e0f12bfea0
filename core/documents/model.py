"""What a printed document is made of, independent of how it is drawn.

A :class:`Document` is built from the record by :mod:`core.documents.build`
(through core's own look-ups, never from screen text) and drawn by
:mod:`core.documents.pdf`. Every piece of text is already in the chosen
language (or both); sentences carry the article they rest on, so the sheet
cites its rules the same way the screens do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    """A sentence or short paragraph; ``article`` is printed after it."""

    text: str
    article: str = ""


@dataclass(frozen=True)
class Fields:
    """Label/value pairs printed as a two-column block."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()  # relative column widths; equal if empty


@dataclass(frozen=True)
class Boxes:
    """Boxes to stamp or sign in, side by side, each with its label."""

    labels: tuple[str, ...]
    height_mm: float = 28.0


Block = Heading | Para | Fields | Table | Boxes


@dataclass(frozen=True)
class Document:
    kind: str  # one of core.documents.KINDS
    number: str  # the record number, printed and encoded in the QR code
    title: str
    lang: str  # en | zh_CN | both
    issued_on: date  # the business date the sheet is printed for
    article: str  # the article the document as a whole rests on
    issuer: str  # the agency (or hospital) the sheet comes from
    blocks: tuple[Block, ...]
    copies: tuple[str, ...] = ("",)  # one page set per copy, each marked with its label
    enrollee_id: object = None  # for the audit event
    entity: str = ""  # table of the record printed, for the audit event
    entity_id: str = ""
    footer: str = ""

    def text(self) -> str:
        """All the document's text, one block a line (for tests and the CLI preview)."""
        out = [self.title, self.number, self.issuer]
        for b in self.blocks:
            if isinstance(b, Heading):
                out.append(b.text)
            elif isinstance(b, Para):
                out.append(f"{b.text} ({b.article})" if b.article else b.text)
            elif isinstance(b, Fields):
                out.extend(f"{k}: {v}" for k, v in b.rows)
            elif isinstance(b, Table):
                out.append(" | ".join(b.headers))
                out.extend(" | ".join(r) for r in b.rows)
            elif isinstance(b, Boxes):
                out.append(" | ".join(b.labels))
        if self.footer:
            out.append(self.footer)
        return "\n".join(out)
