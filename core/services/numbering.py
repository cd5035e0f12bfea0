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

Numbers made offline at a branch office (issue 11 item 5) carry the branch's
code and come from the branch's own counter per series (``branch_counter``,
advanced in the writing transaction), so two branches can never give out the
same number, nor a branch one of the centre's (whose numbers have another
shape)::

    C-2026-FT01-000123      certificate made at branch FT01
    OF2026-FT01-000007      off-site voucher made at branch FT01

The operation records the numbers it took; the centre, applying it, hands
out exactly those (:func:`core.sync.context.OpContext.take_number`), checked
to carry that branch's code, and the unique columns refuse any clash.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from core.errors import DomainError
from core.i18n import N_
from core.sync import context as op_context

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


BRANCH_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
SEQUENCE_DIGITS = 6


def valid_branch_code(code: str) -> bool:
    """2-8 capital letters and digits, starting with a letter (``FT01``)."""
    return bool(BRANCH_CODE.fullmatch(code or ""))


def branch_number(series: str, branch: str, value: int) -> str:
    """``series`` (``C-2026`` / ``OF2026``), the branch code and the sequence number."""
    return f"{series}-{branch}-{value:0{SEQUENCE_DIGITS}d}"


def _next_in_series(session: Session, series: str) -> int:
    from core.models import BranchCounter

    row = session.get(BranchCounter, series)
    if row is None:
        row = BranchCounter(name=series, value=0)
    row.value += 1
    session.add(row)
    return row.value


def _offline_number(session: Session, model: Any, column: Any, series: str) -> str | None:
    """Inside an operation: the branch's next number of ``series`` (recorded
    in the operation), or at the centre the number the branch gave out."""
    ctx = op_context.current()
    if ctx is None:
        return None
    if ctx.mode == op_context.REPLAY:
        number = ctx.take_number()
        if number is None or not number.startswith(f"{series}-{ctx.branch}-"):
            raise DomainError.one("", "number", N_("The operation from branch {branch} carries no number of the "
                                                  "series {series} for it."), branch=ctx.branch, series=series)
        return number
    pending = {getattr(o, column.key, None) for o in session.new if isinstance(o, model)}
    while True:
        number = branch_number(series, ctx.branch, _next_in_series(session, series))
        taken = session.exec(select(column).where(column == number)).first()
        if number not in pending and taken is None:
            ctx.numbers.append(number)
            return number


def offline_voucher(session: Session, model: Any, column: Any, prefix: str, on: date) -> str | None:
    """A voucher number made at a branch (``OF2026-FT01-000007``), or None at the centre."""
    return _offline_number(session, model, column, f"{prefix}{on.year:04d}")


def new_number(session: Session, model: Any, prefix: str, on: date, seed: uuid.UUID) -> str:
    """A number for a new ``model`` row (any table with a unique ``number``
    column) that no row of that table holds yet, nor any row pending in the
    session; at a branch, the branch's next number of the series."""
    offline = _offline_number(session, model, model.number, f"{prefix}-{on.year:04d}")
    if offline is not None:
        return offline
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
