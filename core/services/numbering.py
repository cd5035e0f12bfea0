"""Human-readable, unique document numbers (certificates, record books).

Records are keyed by UUID and created offline at branches, then merged, so a
number cannot come from a central counter. A number is the document's
prefix, the year of issue and ten characters of Crockford base32 taken from
the record's UUID (50 random bits: a collision between branches is
vanishingly rare, and the local table is checked as well)::

    C-2026-7K3M9-Q2XWR      certificate
    B-2026-0F8TZ-4NDA1      record book

Crockford's alphabet leaves out I, L, O and U, so a number read out at the
counter cannot be mistyped as another by those look-alikes.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
CODE_CHARS = 10
_BITS = 5 * CODE_CHARS
_ATTEMPTS_FROM_SEED = 128 // _BITS  # non-overlapping windows of the UUID's bits
_MAX_ATTEMPTS = 16

PREFIX_CERTIFICATE = "C"
PREFIX_BOOK = "B"


def base32(value: int, width: int = CODE_CHARS) -> str:
    """``value`` (masked to ``width`` characters) in Crockford base32."""
    out = []
    for _ in range(width):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def format_number(prefix: str, on: date, code: str) -> str:
    half = len(code) // 2
    return f"{prefix}-{on.year:04d}-{code[:half]}-{code[half:]}"


def normalise_number(number: str) -> str:
    """A number as typed: surrounding and inner whitespace removed, upper case."""
    return "".join(str(number).split()).upper()


def candidates(prefix: str, on: date, seed: uuid.UUID):
    """Numbers to try in order: windows of the seed's bits, then fresh random ones."""
    for i in range(_ATTEMPTS_FROM_SEED):
        yield format_number(prefix, on, base32(seed.int >> (i * _BITS)))
    for _ in range(_MAX_ATTEMPTS - _ATTEMPTS_FROM_SEED):
        yield format_number(prefix, on, base32(uuid.uuid4().int))


def new_number(session: Session, model: Any, prefix: str, on: date, seed: uuid.UUID) -> str:
    """A number for a new ``model`` row (any table with a unique ``number``
    column) that no row of that table holds yet, nor any row pending in the
    session."""
    pending = {getattr(o, "number", None) for o in session.new if isinstance(o, model)}
    for number in candidates(prefix, on, seed):
        if number in pending:
            continue
        taken = session.exec(select(model.id).where(model.number == number)).first()
        if taken is None:
            return number
    raise RuntimeError(f"no free {prefix} number after {_MAX_ATTEMPTS} attempts")


def lock_counter(session: Session, name: str) -> None:
    """Serialise writers that take the next number of the counter ``name``
    (``count + 1`` style numbers such as vouchers) until this transaction
    ends. SQLite: the write transaction's ``BEGIN IMMEDIATE`` already admits
    one writer at a time. PostgreSQL: a transaction-scoped advisory lock on
    the counter's name, so two concurrent filings never compute the same
    number (issue 9, item 7)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"casedesk counter {name}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
