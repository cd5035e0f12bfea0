"""Find an enrollee by any number the counter sees, by part of a name, or by pinyin.

What is typed is normalised first (NFKC: full-width ``４４０３…`` becomes
``4403…``; spaces and dashes inside a number are dropped, so
``440303 1995 0711 6087`` is an ID number). Then:

* **A number** — resident ID and social-security card (exact, or the start
  of one while it is being typed), certificate ``C-…``, record book ``B-…``,
  investigation case ``INV-…`` and off-site voucher (exact, dashes optional).
  A document number answers with a :class:`NumberHit` beside its enrollee;
  one that is void, used up, renewed, cancelled or closed says what happened,
  when, and what replaced it (the refusal the workflow itself would give).
* **Part of a name anywhere** (``风良`` finds 李风良): three characters or more
  through the trigram index (FTS5 on SQLite, ``pg_trgm`` on PostgreSQL); one
  or two characters — too short for a trigram — through the gram index of
  every 1- and 2-character piece of each name (migration 0004).
* **Pinyin**, full or initials (``lifengliang``, ``fengliang``, ``lfl``),
  from the keys written with the name (:mod:`core.name_keys`): three letters
  or more anywhere in the keys (trigram index; on SQLite in the index's own
  order, so a page of ``wang`` never sorts every 王); one or two letters at
  the start of the initials, then of the full pinyin (B-tree ranges read in
  order).

Names come in name order; pinyin of one or two letters in initials, then
pinyin order, of three or more in the trigram index's order on SQLite and in
pinyin order on PostgreSQL; numbers in number order.

Every query is an index lookup read in index order and paged by keyset
(``after``: the row after the last one shown, so page 50 costs what page 1
costs) or, for callers that number pages, LIMIT/OFFSET; nothing scans the
enrollee table. The counter's queries run as plain SQL on the session's own
connection (:func:`core.db.plain_rows`) and come back as frozen rows without
building ORM objects: at 1M enrollees the ORM's statement building and row
hydration were 10-40x the query itself (``python -m bench`` measures both).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
import uuid
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.sql import Select
from sqlmodel import Session, col, func, or_, select

from core.db import plain_rows
from core.errors import DomainError, NotFound, Reason
from core.i18n import N_, Code
from core.ids import mask_card_number, mask_id_number
from core.models import Certificate, CertificateStatus, Enrollee, Institution, InvestigationCase, OffsiteFiling
from core.models import RecordBook
from core.policy import Policy

PAGE_SIZE = 20
TRIGRAM = 3  # the trigram indexes need this many characters; shorter queries use the gram / prefix paths
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEPARATORS = re.compile(f"[\\s{re.escape(_DASHES)}]+")
_NUMBER = re.compile(r"[0-9A-Z]*[0-9][0-9A-Z]*")
_ID_RE = re.compile(r"^\d{6,17}[\dX]?$")
_CARD_RE = re.compile(r"^[A-Z]{0,3}\d{6,}$")
_DOC_RE = re.compile(r"^(C|B|INV)(\d{4})([0-9A-Z]{10})$")  # core.services.numbering.format_number
_VOUCHER_RE = re.compile(r"^([A-Z]{1,4})(\d{4})(\d{6})$")  # core.services.offsite._voucher: OF2026-000001
# made offline at a branch (core.services.numbering.branch_number): C-2026-FT01-000123, OF2026-FT01-000007
_BRANCH_DOC_RE = re.compile(r"^(C|B|INV)(\d{4})([A-Z][A-Z0-9]{1,7})(\d{6})$")
_BRANCH_VOUCHER_RE = re.compile(r"^([A-Z]{1,4})(\d{4})([A-Z][A-Z0-9]{1,7})(\d{6})$")
_LATIN = re.compile(r"^[A-Za-z0-9 '.\u00b7]+$")  # pinyin or a name in Latin letters
_CROCKFORD = str.maketrans("OIL", "011")  # look-alikes read out at the counter
_HIGH = "\U0010ffff"


@dataclass(frozen=True)
class EnrolleeRow:
    id: str
    name: str
    id_masked: str
    card_masked: str
    scheme: str
    account_state: str
    birth_date: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NumberHit:
    """A document found by its number, with what became of it."""

    kind: str  # certificate | book | case | voucher
    number: str
    status: str  # the stored status code
    enrollee_id: str
    ended_on: str  # ISO date it was voided / used up / renewed / cancelled / closed, "" while current
    replaced_by: str  # the number that took its place, "" when none
    note: Reason  # what it is or what happened, when, and what replaced it

    def as_dict(self, lang: str = "en") -> dict:
        return {"kind": self.kind, "number": self.number, "status": self.status, "enrollee_id": self.enrollee_id,
                "ended_on": self.ended_on, "replaced_by": self.replaced_by, "note": self.note.as_dict(lang)}


@dataclass(frozen=True)
class LookupPage:
    query: str  # as normalised
    kind: str  # document | id_number | card | name | pinyin
    rows: tuple[EnrolleeRow, ...]
    offset: int
    limit: int
    has_more: bool
    hits: tuple[NumberHit, ...] = ()
    next_after: str = ""  # pass as ``after`` for the next page (keyset); "" when there is none


    def as_dict(self, lang: str = "en") -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "offset": self.offset,
            "limit": self.limit,
            "has_more": self.has_more,
            "next_after": self.next_after,
            "rows": [r.as_dict() for r in self.rows],
            "hits": [h.as_dict(lang) for h in self.hits],
        }


def _row(e: Enrollee) -> EnrolleeRow:
    return EnrolleeRow(
        id=str(e.id),
        name=e.name,
        id_masked=mask_id_number(e.id_number),
        card_masked=mask_card_number(e.card_number),
        scheme=e.scheme,
        account_state=e.account_state,
        birth_date=e.birth_date.isoformat() if isinstance(e.birth_date, date) else "",
    )


def _plain_row(session: Session, r: tuple) -> EnrolleeRow:
    """A row of :data:`_COLS` as the driver returned it (no ORM object is built)."""
    to_id, to_date = _converters(session.get_bind().dialect)
    born = to_date(r[6]) if to_date and r[6] is not None else r[6]
    return EnrolleeRow(id=str(to_id(r[0]) if to_id else r[0]), name=r[1], id_masked=mask_id_number(r[2]),
                       card_masked=mask_card_number(r[3]), scheme=r[4], account_state=r[5],
                       birth_date=born.isoformat() if isinstance(born, date) else "")


_CONVERTERS: dict[str, tuple] = {}


def _converters(dialect) -> tuple:
    """The column types' own result processors for ``enrollee.id`` and
    ``birth_date`` (a key stored as 32 hex characters on SQLite, a date as text)."""
    got = _CONVERTERS.get(dialect.name)
    if got is None:
        table = Enrollee.__table__  # type: ignore[attr-defined]
        # the dialect's own implementation of each type: a generic Date has no
        # processor of its own, SQLite's reads the stored text back as a date
        got = _CONVERTERS[dialect.name] = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in (table.c.id, table.c.birth_date))
    return got


# --------------------------------------------------------------------------- normalising


def normalise(query: str) -> str:
    """NFKC (full-width letters and digits become ASCII), control and format
    characters dropped, runs of whitespace one space, ends trimmed."""
    folded = unicodedata.normalize("NFKC", query or "")
    if folded.isprintable():  # no control, format or unusual space character: the common case, at C speed
        return " ".join(folded.split())
    kept = "".join(" " if ch.isspace() else ch for ch in folded if ch.isspace() or unicodedata.category(ch)[0] != "C")
    return " ".join(kept.split())


def compact_number(query: str) -> str | None:
    """``query`` as a number (spaces and dashes dropped, upper case), or None
    when it is not one (it must hold a digit and only letters and digits)."""
    return _compact(normalise(query))


def _compact(normalised: str) -> str | None:
    c = _SEPARATORS.sub("", normalised).upper()
    return c if c.isascii() and _NUMBER.fullmatch(c) else None


def document_numbers(compact: str) -> set[str]:
    """The stored spellings a compact number can have: as typed, and with
    the dashes of the numbering scheme put back (Crockford look-alikes
    O→0, I/L→1 in the code part)."""
    out = {compact}
    m = _DOC_RE.match(compact)
    if m:
        prefix, year, code = m.groups()
        code = code.translate(_CROCKFORD)
        out.add(f"{prefix}-{year}-{code[:5]}-{code[5:]}")
    m = _VOUCHER_RE.match(compact)
    if m:
        out.add(f"{m[1]}{m[2]}-{m[3]}")
    m = _BRANCH_DOC_RE.match(compact)
    if m:
        out.add(f"{m[1]}-{m[2]}-{m[3]}-{m[4]}")
    m = _BRANCH_VOUCHER_RE.match(compact)
    if m:
        out.add(f"{m[1]}{m[2]}-{m[3]}-{m[4]}")
    return out


def pinyin_query(query: str) -> str:
    """A Latin-letter query as the keys are stored: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", normalise(query).lower())


def classify(query: str) -> str:
    """What ``query`` will be searched as: id_number | card | document | pinyin | name."""
    q = normalise(query)
    number = compact_number(q)
    if number is not None:
        if _ID_RE.match(number):
            return "id_number"
        if _CARD_RE.match(number):
            return "card"
        if any(r.match(number) for r in (_DOC_RE, _VOUCHER_RE, _BRANCH_DOC_RE, _BRANCH_VOUCHER_RE)):
            return "document"
    return "pinyin" if _LATIN.match(q) else "name"


def is_number(query: str) -> bool:
    """True when ``query`` is searched as a number: an indexed equality or
    prefix, so the lookup screen searches it at once, without a debounce."""
    return compact_number(query) is not None


# --------------------------------------------------------------------------- searching

#: the columns of a result row, then the row's place in its order (the keyset)
_COLS = "e.id, e.name, e.id_number, e.card_number, e.scheme, e.account_state, e.birth_date"


def search(session: Session, query: str, *, offset: int = 0, limit: int = PAGE_SIZE, after: str | None = None,
           on: date | None = None, policy: Policy | None = None) -> LookupPage:
    """One page of enrollees matching ``query`` (see the module docstring).
    ``after`` is the :attr:`LookupPage.next_after` of the page before: the
    next page starts after its last row (keyset paging, so page 50 costs
    what page 1 costs); ``offset`` skips rows instead (kept for callers
    that number pages; it reads every skipped row).
    ``on`` is the business date a document's end is judged against (today);
    a document's note cites ``policy``'s articles when given."""
    q = normalise(query)
    if not q:
        raise DomainError.one("", "query", N_("Type an ID number, a card number or part of a name."))
    if limit < 1 or offset < 0:
        raise DomainError.one("", "query", N_("Page size and offset must be positive."))
    cursor = _Cursor.read(after) if after else None
    number = _compact(q)
    if number is not None:
        if cursor is None or cursor.kind == "document":
            hits = tuple(_document_hits(session, document_numbers(number), on or date.today(), policy))
            if hits:
                return _page(q, "document", _owners(session, hits), offset, limit, hits)
        # an ID number, or the start of one; else a card number or its start
        kinds = [k for k, pattern in (("id_number", _ID_RE), ("card", _CARD_RE)) if pattern.match(number)]
        if cursor is not None and cursor.kind in kinds:
            kinds = kinds[kinds.index(cursor.kind):]
        for kind in kinds:
            page = _number_page(session, q, kind, number, offset, limit, cursor if cursor and cursor.kind == kind else None)
            if page.rows or kind == kinds[-1]:
                return page
    if _LATIN.match(q):
        return _pinyin_page(session, pinyin_query(q), q, offset, limit, cursor)
    return _name_page(session, q, q.replace(" ", ""), offset, limit, cursor)


def _page(q: str, kind: str, rows: list[Enrollee], offset: int, limit: int,
          hits: tuple[NumberHit, ...] = ()) -> LookupPage:
    return LookupPage(query=q, kind=kind, rows=tuple(_row(e) for e in rows[offset:offset + limit]), offset=offset,
                      limit=limit, has_more=len(rows) > offset + limit, hits=hits)


@dataclass(frozen=True)
class _Cursor:
    """Where a page ended: the query kind, the phase of a two-part pinyin
    walk, and the last row's sort key (as stored)."""

    kind: str
    phase: str
    key: tuple

    def write(self) -> str:
        raw = json.dumps([self.kind, self.phase, *self.key], ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def read(cls, token: str) -> "_Cursor":
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            kind, phase, *key = raw
            if not (isinstance(kind, str) and isinstance(phase, str) and len(key) == 2):
                raise ValueError(token)
            return cls(kind, phase, tuple(key))
        except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
            raise DomainError.one("", "after", N_("This page marker was not given by casedesk; search again.")) from None


class _Keyset:
    """A statement over ``enrollee e`` returning :data:`_COLS` then the
    columns of its order (one or two), paged by OFFSET or after a cursor's
    key (a row-value comparison, which both databases answer from the index
    the order reads)."""

    def __init__(self, kind: str, phase: str, body: str, order: tuple[str, ...], params: dict, uuid_last: bool = True):
        self.kind, self.phase, self.body, self.order, self.params = kind, phase, body, order, params
        self.uuid_last = uuid_last  # the last order column is enrollee.id (a uuid on PostgreSQL)

    def fetch(self, session: Session, offset: int, limit: int, cursor: _Cursor | None) -> tuple[list[EnrolleeRow], str]:
        """Up to ``limit`` rows, and the cursor after the last ("" when no row follows)."""
        sql, params = self.body, dict(self.params, limit=limit + 1, offset=offset)
        n = len(self.order)
        if cursor is not None and cursor.key[-1] is not None:
            last = "CAST(:k2 AS uuid)" if self.uuid_last and not _sqlite(session) else ":k2"
            if n == 2:
                sql += f" AND ({self.order[0]}, {self.order[1]}) > (:k1, {last})"
            else:
                sql += f" AND {self.order[0]} > {last}"
            params.update(k1=cursor.key[0], k2=cursor.key[1], offset=0)
        rows = plain_rows(session, f"{sql} ORDER BY {', '.join(self.order)} LIMIT :limit OFFSET :offset", params)
        shown = [_plain_row(session, r) for r in rows[:limit]]
        if len(rows) <= limit:
            return shown, ""
        if not shown:  # none fits on this page, but the phase has rows: start it on the next
            return shown, _Cursor(self.kind, self.phase, (None, None)).write()
        key = tuple(v if isinstance(v, (int, str)) else str(v) for v in rows[limit - 1][len(rows[0]) - n:])
        return shown, _Cursor(self.kind, self.phase, (None, *key) if n == 1 else key).write()


def _lookup_page(q: str, kind: str, rows: list[EnrolleeRow], offset: int, limit: int, after: str) -> LookupPage:
    return LookupPage(query=q, kind=kind, rows=tuple(rows), offset=offset, limit=limit, has_more=bool(after),
                      next_after=after)


def _number_page(session: Session, q: str, kind: str, number: str, offset: int, limit: int,
                 cursor: _Cursor | None) -> LookupPage:
    column = "e.id_number" if kind == "id_number" else "e.card_number"
    stmt = _Keyset(kind, "", f"SELECT {_COLS}, {column}, e.id FROM enrollee e WHERE {column} >= :lo AND {column} < :hi",
                   (column, "e.id"), {"lo": number, "hi": number + _HIGH})
    return _from_keyset(q, stmt, session, offset, limit, cursor)


def _from_keyset(q: str, stmt: _Keyset, session: Session, offset: int, limit: int, cursor: _Cursor | None) -> LookupPage:
    rows, after = stmt.fetch(session, offset, limit, cursor)
    return _lookup_page(q, stmt.kind, rows, offset, limit, after)


def _sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _fts_phrase(columns: str, value: str) -> str:
    """An FTS5 query for ``value`` as one phrase in ``columns`` (quotes doubled)."""
    return f'{columns} : "{value.replace(chr(34), chr(34) * 2)}"'


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _name_page(session: Session, shown: str, q: str, offset: int, limit: int, cursor: _Cursor | None) -> LookupPage:
    """Part of a name anywhere, in name order."""
    if len(q) < TRIGRAM:
        if _sqlite(session):  # the gram index, read in (gram, name, rid) order
            stmt = _Keyset("name", "gram", f"SELECT {_COLS}, g.name, g.rid FROM enrollee_search_gram g "
                           "JOIN enrollee_search_key k ON k.rid = g.rid JOIN enrollee e ON e.id = k.enrollee_id "
                           "WHERE g.gram = :q", ("g.name", "g.rid"), {"q": q}, uuid_last=False)
        else:
            stmt = _Keyset("name", "gram", f"SELECT {_COLS}, e.name, e.id FROM enrollee e "
                           "WHERE enrollee_search_grams(e.name) @> ARRAY[CAST(:q AS text)]", ("e.name", "e.id"), {"q": q})
    elif _sqlite(session):
        stmt = _Keyset("name", "trigram", f"SELECT {_COLS}, e.name, e.id FROM enrollee e "
                       "JOIN enrollee_search_key k ON k.enrollee_id = e.id WHERE k.rid IN "
                       "(SELECT rowid FROM enrollee_search WHERE enrollee_search MATCH :m)", ("e.name", "e.id"),
                       {"m": _fts_phrase("name", q)})
    else:
        stmt = _Keyset("name", "trigram", f"SELECT {_COLS}, e.name, e.id FROM enrollee e "
                       "WHERE e.name LIKE :p ESCAPE '\\'", ("e.name", "e.id"), {"p": _like(q)})
    if cursor is not None and (cursor.kind, cursor.phase) != (stmt.kind, stmt.phase):
        cursor = None
    return _from_keyset(shown, stmt, session, offset, limit, cursor)


def _pinyin_page(session: Session, q: str, shown: str, offset: int, limit: int, cursor: _Cursor | None) -> LookupPage:
    """Full pinyin or initials. One or two letters: the start of the initials
    (in initials order), then the start of the full pinyin (in pinyin order),
    each one index range read in order. Three or more: anywhere in the keys
    (trigram index; SQLite returns them in the index's order, so a page of
    ``wang`` costs a page, not a sort of every 王)."""
    if not q:
        return _page(shown, "pinyin", [], 0, limit)
    if cursor is not None and cursor.kind != "pinyin":
        cursor = None
    if len(q) >= TRIGRAM:
        if _sqlite(session):
            stmt = _Keyset("pinyin", "trigram", f"SELECT {_COLS}, f.rowid FROM enrollee_search f "
                           "JOIN enrollee_search_key k ON k.rid = f.rowid JOIN enrollee e ON e.id = k.enrollee_id "
                           "WHERE enrollee_search MATCH :m", ("f.rowid",),
                           {"m": _fts_phrase("{name_pinyin name_initials}", q)}, uuid_last=False)
        else:
            stmt = _Keyset("pinyin", "trigram", f"SELECT {_COLS}, e.name_pinyin, e.id FROM enrollee e "
                           "WHERE (e.name_pinyin LIKE :p ESCAPE '\\' OR e.name_initials LIKE :p ESCAPE '\\')",
                           ("e.name_pinyin", "e.id"), {"p": _like(q)})
        return _from_keyset(shown, stmt, session, offset, limit, cursor)
    rng = {"lo": q, "hi": q + _HIGH}
    by_initials = _Keyset("pinyin", "initials", f"SELECT {_COLS}, e.name_initials, e.id FROM enrollee e "
                          "WHERE e.name_initials >= :lo AND e.name_initials < :hi", ("e.name_initials", "e.id"), rng)
    by_pinyin = _Keyset("pinyin", "pinyin", f"SELECT {_COLS}, e.name_pinyin, e.id FROM enrollee e "
                        "WHERE e.name_pinyin >= :lo AND e.name_pinyin < :hi "
                        "AND NOT (e.name_initials >= :lo AND e.name_initials < :hi)", ("e.name_pinyin", "e.id"), rng)
    rows: list[EnrolleeRow] = []
    after = ""
    if cursor is None or cursor.phase == "initials":
        rows, after = by_initials.fetch(session, offset, limit, cursor)
        cursor = None
    # one letter: every pinyin starting so is in the initials range
    if not after and len(q) > 1:
        skip = 0
        if offset and not rows:
            skip = offset - plain_rows(session, "SELECT count(*) FROM enrollee e WHERE e.name_initials >= :lo "
                                                "AND e.name_initials < :hi", rng)[0][0]
        more, after = by_pinyin.fetch(session, max(0, skip), limit - len(rows), cursor)
        rows += more
    return _lookup_page(shown, "pinyin", rows, offset, limit, after)


# --------------------------------------------------------------------------- documents


def _hit(kind: str, number: str, status: str, enrollee_id, ended_on: date | None, replaced_by: str,
         note: Reason) -> NumberHit:
    return NumberHit(kind=kind, number=number, status=status, enrollee_id=str(enrollee_id),
                     ended_on=ended_on.isoformat() if ended_on else "", replaced_by=replaced_by, note=note)


def _refusal(check, *args) -> Reason | None:
    """The reason the workflow's own check gives for presenting a number, if any."""
    try:
        check(*args)
    except DomainError as exc:
        return exc.reasons[0]
    return None


def _current(kind: str, number: str, status_kind: str, status: str) -> Reason:
    return Reason("", "number", N_("{kind} {number}: {status}."), {
        "kind": Code("number_kind", kind), "number": number, "status": Code(status_kind, status)})


def _document_hits(session: Session, numbers: set[str], on: date, policy: Policy | None = None):
    wanted = list(numbers)
    yield from _voucher_hits(session, wanted, policy)  # a voucher may be numbered by hand: any shape
    if not any(_DOC_RE.match(n.replace("-", "")) for n in wanted):
        return  # certificate, book and case numbers all have the numbering scheme's shape
    from core.services.books import _successor_number, present_book
    from core.services.certificates import present_certificate

    for c in session.exec(select(Certificate).where(col(Certificate.number).in_(wanted))):
        nxt = session.get(Certificate, c.replaced_by_id) if c.replaced_by_id else None
        if nxt is None and c.status == CertificateStatus.SUPERSEDED:
            nxt = session.exec(select(Certificate).where(Certificate.previous_id == c.id)).first()
        note = _refusal(present_certificate, session, c.number, on, policy)
        if note is None and c.status == CertificateStatus.SUPERSEDED and c.ended_on is not None:
            note = Reason(policy.validity.article if policy else "", "number", N_("Certificate {number} was renewed on {day}; "
                                                     "the renewal is {replacement}."),
                          {"number": c.number, "day": c.ended_on.isoformat(), "replacement": nxt.number if nxt else "-"})
        yield _hit("certificate", c.number, c.status, c.enrollee_id, c.ended_on, nxt.number if nxt else "",
                   note or _current("certificate", c.number, "certificate_status", c.status))
    for b in session.exec(select(RecordBook).where(col(RecordBook.number).in_(wanted))):
        nxt = _successor_number(session, b) if b.ended_on is not None else ""
        note = _refusal(present_book, session, b.number, on, policy)
        yield _hit("book", b.number, b.status, b.enrollee_id, b.ended_on, "" if nxt == "-" else nxt,
                   note or _current("book", b.number, "book_status", b.status))
    for k in session.exec(select(InvestigationCase).where(col(InvestigationCase.number).in_(wanted))):
        note = (Reason("", "number", N_("Case {number} was closed on {day}: {status}."),
                       {"number": k.number, "day": k.closed_on.isoformat(), "status": Code("case_status", k.status)})
                if k.closed_on else _current("case", k.number, "case_status", k.status))
        yield _hit("case", k.number, k.status, k.enrollee_id, k.closed_on, "", note)


def _voucher_hits(session: Session, wanted: list[str], policy: Policy | None = None):
    marks = {f"v{i}": n for i, n in enumerate(wanted)}
    if not plain_rows(session, f"SELECT 1 FROM offsite_filing WHERE voucher_number IN "
                               f"({', '.join(':' + k for k in marks)}) LIMIT 1", marks):
        return  # every number typed is asked here first: one index probe, no ORM
    for f in session.exec(select(OffsiteFiling).where(col(OffsiteFiling.voucher_number).in_(wanted))):
        note = (Reason(policy.offsite.article_who if policy else "", "number", N_("Off-site filing {number} was cancelled on {day}."),
                       {"number": f.voucher_number, "day": f.cancelled_on.isoformat()})
                if f.cancelled_on else _current("voucher", f.voucher_number or "", "filing_status", f.status))
        yield _hit("voucher", f.voucher_number or "", f.status, f.enrollee_id, f.cancelled_on, "", note)


def _owners(session: Session, hits: tuple[NumberHit, ...]) -> list[Enrollee]:
    ids = list(dict.fromkeys(uuid.UUID(h.enrollee_id) for h in hits))
    found = {e.id: e for e in session.exec(select(Enrollee).where(col(Enrollee.id).in_(ids)))}
    return [found[i] for i in ids if i in found]


def get_enrollee(session: Session, ref: str | uuid.UUID) -> Enrollee:
    """An enrollee by UUID, full ID number or card number (exact)."""
    e: Enrollee | None = None
    if isinstance(ref, uuid.UUID):
        e = session.get(Enrollee, ref)
    else:
        r = normalise(ref)
        try:
            e = session.get(Enrollee, uuid.UUID(r))
        except ValueError:
            number = compact_number(r) or r.upper()
            e = session.exec(select(Enrollee).where(Enrollee.id_number == number)).first()
            if e is None:
                e = session.exec(select(Enrollee).where(Enrollee.card_number == number)).first()
    if e is None:
        raise NotFound.one("", "enrollee", N_("No enrollee with ID number, card number or key {ref}."), ref=str(ref))
    return e


def institution_by_code(session: Session, code: str, *, field: str = "institution", article: str = "") -> Institution:
    """An institution by its code (exact, surrounding spaces ignored)."""
    inst = session.exec(select(Institution).where(Institution.code == code.strip())).first()
    if inst is None:
        raise NotFound.one(article, field, N_("No institution with code {code}."), code=code)
    return inst
