"""CSV import of master data: enrollees, institutions, physicians, teams, expenses.

Every row is validated through the same registry services the rest of
casedesk uses. All-or-nothing by default: if any row is bad, nothing is
written and every bad row is reported with its line number and reason. With
``skip_bad=True`` the good rows are written and the bad ones reported.

No partial write under any fault (issue 9, item 6):

1. The whole file is read, decoded and validated first, in a read
   transaction — without the write lock, so caseworkers keep working.
2. Then the good rows are written in *one* short write transaction
   (expenses as one bulk ``INSERT``), with no savepoints: a full disk, an
   I/O error or a row somebody else wrote meanwhile rolls back all of it,
   and :class:`~core.errors.DatabaseFault` names the cause.

Files: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK (what
Excel saves in China) are read; anything else — binary data, another
encoding — is refused naming what was tried. A field longer than
:data:`MAX_FIELD` characters and an unknown or repeated column are refused
by name.

Columns (header row required; extra columns are refused so typos show):

enrollees:    id_number, card_number, name, scheme, supplementary, city_household,
              employment, [disabled_grade, employer, phone, address, residence_city,
              residence_province, residence_mainland, stationed_elsewhere,
              individual_account_yuan, branch]
institutions: code, name, kind, city, [name_zh, level, public, province, mainland,
              designated, diagnostic_hospital, dialysis_centre, offsite_on_record,
              run_by_hospital_level]
physicians:   code, name, institution_code, title, specialty, [department_director]
teams:        institution_code, specialty, physician_code, is_head, since
expenses:     enrollee_id_number, occurred_at, amount_yuan, visit_kind,
              [institution_code, disease_code, settlement, large_equipment, source]
changes:      enrollee_id_number, field, value, from, reason   (an enrollee fact from a date;
              core.services.changes, fields as ``casedesk enrollee change --field``)
stays:        enrollee_id_number, admitted_on, [discharged_on, institution_code]
              (an institution's list of hospital stays; core.services.stays, ZZ §4)

Booleans: 1/0, true/false, yes/no, 是/否. Dates ISO (2026-10-01); times ISO
(2026-10-01T09:30). Money in yuan with at most two decimals.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core import audit
from core.auth import Actor
from core.errors import DomainError
from core.db import is_sqlite, read_session, write_session
from core.i18n import N_
from core.models import Enrollee, ExpenseRecord, Institution
from core.models.base import utcnow
from core.models.tables import new_expense_id
from core.partitions import ensure_expense_months
from core.policy import Policy
from core.services import registry
from core.services.registry import parse_bool, parse_yuan

KINDS = ("enrollees", "institutions", "physicians", "teams", "expenses", "changes", "stays")


@dataclass
class ImportReport:
    kind: str
    written: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    committed: bool = False

    def as_dict(self) -> dict:
        return {"kind": self.kind, "written": self.written, "committed": self.committed,
                "bad": [{"line": ln, "reason": r} for ln, r in self.bad]}


class ImportRefused(Exception):
    """Bad rows without --skip-bad: nothing was written."""

    def __init__(self, report: ImportReport):
        self.report = report
        super().__init__(f"{len(report.bad)} bad row(s); nothing written")


COLUMNS: dict[str, tuple[set[str], set[str]]] = {
    "enrollees": (
        {"id_number", "card_number", "name", "scheme", "supplementary", "city_household", "employment"},
        {"disabled_grade", "employer", "phone", "address", "residence_city", "residence_province",
         "residence_mainland", "stationed_elsewhere", "individual_account_yuan", "branch"},
    ),
    "institutions": (
        {"code", "name", "kind", "city"},
        {"name_zh", "level", "public", "province", "mainland", "designated", "diagnostic_hospital",
         "dialysis_centre", "offsite_on_record", "run_by_hospital_level"},
    ),
    "physicians": ({"code", "name", "institution_code", "title", "specialty"}, {"department_director"}),
    "teams": ({"institution_code", "specialty", "physician_code", "is_head", "since"}, set()),
    "expenses": (
        {"enrollee_id_number", "occurred_at", "amount_yuan", "visit_kind"},
        {"institution_code", "disease_code", "settlement", "large_equipment", "source"},
    ),
    "changes": ({"enrollee_id_number", "field", "value", "from", "reason"}, set()),
    "stays": ({"enrollee_id_number", "admitted_on"}, {"discharged_on", "institution_code"}),
}


class _RowError(ValueError):
    pass


def _get(row: dict[str, str], key: str, conv: Callable[[str], Any] = str, default: Any = None) -> Any:
    raw = (row.get(key) or "").strip()
    if raw == "":
        if default is not None:
            return default
        return conv(raw) if conv is str else None
    try:
        return conv(raw)
    except (ValueError, TypeError):
        raise _RowError(f"{key}: cannot read {raw!r}") from None


def _int(v: str) -> int:
    return int(v)


def _enrollee(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    grade = _get(r, "disabled_grade", _int)
    registry.add_enrollee(
        s, a, id_number=_get(r, "id_number"), card_number=_get(r, "card_number"), name=_get(r, "name"),
        scheme=_get(r, "scheme"), supplementary=_get(r, "supplementary", parse_bool, False),
        city_household=_get(r, "city_household", parse_bool, False), employment=_get(r, "employment"),
        disabled_grade=grade, employer=_get(r, "employer"), phone=_get(r, "phone"), address=_get(r, "address"),
        residence_city=_get(r, "residence_city"), residence_province=_get(r, "residence_province"),
        residence_mainland=_get(r, "residence_mainland", parse_bool, True),
        stationed_elsewhere=_get(r, "stationed_elsewhere", parse_bool, False),
        individual_account_fen=_get(r, "individual_account_yuan", parse_yuan, 0), branch=_get(r, "branch"),
        today=today, reason="import", policy=policy,
    )


def _institution(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    registry.add_institution(
        s, a, code=_get(r, "code"), name=_get(r, "name"), kind=_get(r, "kind"), city=_get(r, "city"),
        name_zh=_get(r, "name_zh"), level=_get(r, "level", _int, 0), public=_get(r, "public", parse_bool, True),
        province=_get(r, "province"), mainland=_get(r, "mainland", parse_bool, True),
        designated=_get(r, "designated", parse_bool, False),
        diagnostic_hospital=_get(r, "diagnostic_hospital", parse_bool, False),
        dialysis_centre=_get(r, "dialysis_centre", parse_bool, False),
        offsite_on_record=_get(r, "offsite_on_record", parse_bool, False),
        run_by_hospital_level=_get(r, "run_by_hospital_level", _int, 0), reason="import", policy=policy,
    )


def _physician(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    registry.add_physician(s, a, code=_get(r, "code"), name=_get(r, "name"),
                           institution_code=_get(r, "institution_code"), title=_get(r, "title"),
                           specialty=_get(r, "specialty"),
                           department_director=_get(r, "department_director", parse_bool, False),
                           reason="import", policy=policy)


def _team(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    if policy is None:  # the signer title of team members is the pack's
        raise _RowError("teams: import them with the policy pack (policy=...)")
    registry.add_team_member(s, a, institution_code=_get(r, "institution_code"), specialty=_get(r, "specialty"),
                             physician_code=_get(r, "physician_code"),
                             is_head=_get(r, "is_head", parse_bool, False),
                             since=_get(r, "since", date.fromisoformat), reason="import", policy=policy)


def _expense_row(a: Actor, r: dict[str, str], enrollees: dict[str, Any], institutions: dict[str, Any]) -> dict:
    """Column values of one expense row, from maps read up front."""
    idn = (_get(r, "enrollee_id_number") or "").upper()
    eid = enrollees.get(idn)
    if eid is None:
        raise _RowError(f"enrollee_id_number: no enrollee {idn}")
    inst_id = None
    code = _get(r, "institution_code")
    if code:
        inst_id = institutions.get(code)
        if inst_id is None:
            raise _RowError(f"institution_code: no institution {code}")
    when = _get(r, "occurred_at", datetime.fromisoformat)
    if when is None:
        raise _RowError("occurred_at: required")
    amount = _get(r, "amount_yuan", parse_yuan)
    if amount is None:
        raise _RowError("amount_yuan: required")
    return registry.expense_values(
        a, enrollee_id=eid, occurred_at=when.replace(tzinfo=None), amount_fen=amount,
        visit_kind=_get(r, "visit_kind"), institution_id=inst_id, disease_code=_get(r, "disease_code") or None,
        settlement=_get(r, "settlement", str, "bookkeeping") or "bookkeeping",
        large_equipment=_get(r, "large_equipment", parse_bool, False), source=_get(r, "source") or "import")


def _pack(policy: Policy | None) -> Policy:
    if policy is None:
        raise _RowError("a policy pack is needed to judge this row")
    return policy


def _fact_change(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    from core.services.changes import change_enrollee

    change_enrollee(s, a, _get(r, "enrollee_id_number"), {_get(r, "field"): _get(r, "value")},
                    on=_get(r, "from", date.fromisoformat), reason=_get(r, "reason"), policy=_pack(policy),
                    today=today, source="import")


def _stay(s: Session, a: Actor, r: dict[str, str], today: date, policy: Policy | None) -> None:
    from core.services.stays import record_stay

    record_stay(s, a, _get(r, "enrollee_id_number"), admitted_on=_get(r, "admitted_on", date.fromisoformat),
                discharged_on=_get(r, "discharged_on", date.fromisoformat),
                institution_code=_get(r, "institution_code") or None, policy=_pack(policy), today=today,
                source="import", reason="imported from the institution's list")


HANDLERS = {"enrollees": _enrollee, "institutions": _institution, "physicians": _physician,
            "teams": _team, "changes": _fact_change, "stays": _stay}

#: rows that must be unique within the file, by kind (the database checks
#: against what is stored; these catch two rows of the same file)
UNIQUE_IN_FILE: dict[str, tuple[tuple[str, ...], ...]] = {
    "enrollees": (("id_number",), ("card_number",)),
    "institutions": (("code",),),
    "physicians": (("code",),),
    "teams": (("institution_code", "specialty", "physician_code"),),
    "expenses": (),
    "changes": (("enrollee_id_number", "field", "from"),),
    "stays": (("enrollee_id_number", "admitted_on"),),
}

MAX_FIELD = 128 * 1024
_CHUNK = 500


def _reason_text(exc: Exception, lang: str) -> str:
    if isinstance(exc, DomainError):
        return "; ".join(exc.messages(lang))
    return str(exc)


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), UTF-16 with a BOM, else
    GB18030 (a superset of GBK). Raises :class:`ImportFileError` naming the
    encodings tried when none fits or the bytes are not text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        tried = ["UTF-16"]
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError("file", f"starts like UTF-16 but is not valid UTF-16 text") from None
    else:
        tried = ["UTF-8", "GB18030/GBK"]
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ImportFileError("file", "is not text in " + " or ".join(tried) +
                                      " (save it from Excel as CSV UTF-8)") from None
    if _BINARY.search(text):
        raise ImportFileError("file", "holds control characters: binary data, or text in an encoding other than "
                              + " or ".join(tried))
    return text


_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, binary, too big a field)."""

    def __init__(self, field: str, problem: str):
        self.field = field
        super().__init__(f"{field}: {problem}")


def _read_rows(kind: str, source: Path | str | io.TextIOBase, report: ImportReport) -> list[tuple[int, dict]]:
    """Every row of the file as (line, {column: value}); header problems and
    unreadable files refuse the whole file (line 1)."""
    try:
        text = source.read() if isinstance(source, io.TextIOBase) else decode(Path(source).read_bytes())
    except ImportFileError as exc:
        report.bad.append((1, str(exc)))
        raise ImportRefused(report) from None
    except OSError as exc:
        report.bad.append((1, f"file: cannot be read ({exc.strerror or type(exc).__name__})"))
        raise ImportRefused(report) from None
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, dict]] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        required, optional = COLUMNS[kind]
        seen: set[str] = set()
        twice = sorted({h for h in header if h in seen or seen.add(h)})  # type: ignore[func-returns-value]
        missing, extra = required - set(header), set(header) - required - optional
        if missing or extra or twice:
            parts = []
            if missing:
                parts.append("missing columns: " + ", ".join(sorted(missing)))
            if extra:
                parts.append("unknown columns: " + ", ".join(sorted(extra)))
            if twice:
                parts.append("columns given twice: " + ", ".join(twice))
            report.bad.append((1, "; ".join(parts)))
            raise ImportRefused(report)
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                report.bad.append((line, f"has {len(values)} fields; the header has {len(header)}"))
                continue
            rows.append((line, dict(zip(header, values))))
    except csv.Error as exc:
        line = reader.line_num
        msg = f"a field is longer than {MAX_FIELD} characters" if "field larger" in str(exc) else str(exc)
        report.bad.append((line, f"file: {msg}; nothing can be read after it"))
        raise ImportRefused(report) from None
    return rows


def _in_file_duplicates(kind: str, rows: list[tuple[int, dict]], report: ImportReport) -> set[int]:
    bad: set[int] = set()
    for key in UNIQUE_IN_FILE[kind]:
        first: dict[tuple, int] = {}
        for line, row in rows:
            value = tuple((row.get(k) or "").strip().upper() for k in key)
            if not all(value):
                continue
            if value in first:
                report.bad.append((line, f"{', '.join(key)}: same as line {first[value]}"))
                bad.add(line)
            else:
                first[value] = line
    return bad


def _lookup_map(session: Session, column, key_column, keys: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ordered = sorted(keys)
    for i in range(0, len(ordered), _CHUNK):
        chunk = ordered[i:i + _CHUNK]
        out.update({k: v for k, v in session.exec(select(key_column, column).where(key_column.in_(chunk)))})
    return out


def _expense_values(session: Session, actor: Actor, rows, report, lang) -> list[dict]:
    enrollees = _lookup_map(session, Enrollee.id, Enrollee.id_number,
                            {(r.get("enrollee_id_number") or "").strip().upper() for _, r in rows})
    institutions = _lookup_map(session, Institution.id, Institution.code,
                               {(r.get("institution_code") or "").strip() for _, r in rows} - {""})
    values = []
    for line, row in rows:
        try:
            values.append(_expense_row(actor, row, enrollees, institutions))
        except (DomainError, _RowError, ValueError) as exc:
            report.bad.append((line, _reason_text(exc, lang)))
    return values


def _validate(session: Session, actor: Actor, kind: str, rows, report, today, lang,
              policy: Policy | None) -> list[tuple[int, dict]]:
    """Run every row through its service without writing (no flush: the
    objects are dropped); the rows that passed."""
    good = []
    with session.no_autoflush:
        for line, row in rows:
            try:
                HANDLERS[kind](session, actor, row, today, policy)
                good.append((line, row))
            except (DomainError, _RowError, ValueError) as exc:
                report.bad.append((line, _reason_text(exc, lang)))
            finally:
                for obj in list(session.new):
                    session.expunge(obj)
                session.info.pop(audit._PENDING, None)
    return good


def import_csv(engine: Engine, actor: Actor, kind: str, source: Path | str | io.TextIOBase, *,
               skip_bad: bool = False, today: date | None = None, lang: str = "en",
               action: str = "importing", policy: Policy | None = None) -> ImportReport:
    """Validate the whole file, then write the good rows in one transaction.
    Raises :class:`ImportRefused` (nothing written) when a row is bad and
    ``skip_bad`` is off, or when the file cannot be read at all (``policy``:
    the pack whose articles the refusals cite; teams need it for the signer
    title); a database
    fault while writing raises :class:`~core.errors.DatabaseFault` (nothing
    written either)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    today = today or date.today()
    report = ImportReport(kind=kind)
    rows = _read_rows(kind, source, report)
    dup_lines = _in_file_duplicates(kind, rows, report)
    rows = [(ln, r) for ln, r in rows if ln not in dup_lines]
    # 1. validate everything, no write lock
    with read_session(engine, action=action) as s:
        if kind == "expenses":
            values = _expense_values(s, actor, rows, report, lang)
        else:
            good = _validate(s, actor, kind, rows, report, today, lang, policy)
    report.bad.sort()
    if report.bad and not skip_bad:
        raise ImportRefused(report)
    # 2. one short write transaction, no savepoints: all of it or none of it
    try:
        written = _write(engine, actor, kind, report, values if kind == "expenses" else good, today, lang, action,
                         policy)
    except IntegrityError as exc:  # a constraint the validators did not foresee: nothing is kept
        report.bad.append((0, f"rejected by the database: {str(exc.orig).splitlines()[0][:200]}"))
        raise ImportRefused(report) from None
    report.written = written
    report.committed = True
    return report


def _audit_bulk(session: Session, actor: Actor, n: int, policy: Policy | None = None) -> None:
    audit.record(session, actor, "expense.import", entity="expense_record", entity_id="bulk",
                 after={"rows": n}, reason=f"import of {n} expense records", article=registry.expense_article(policy))


def _bulk_insert_sqlite(engine: Engine, actor: Actor, rows: list[dict], action: str,
                       policy: Policy | None = None) -> None:
    """Expense rows into SQLite with the write lock held only for one
    ``INSERT … SELECT`` in C: the rows are converted and loaded into a TEMP
    table first (the temp database has its own journal, so loading it takes
    no lock on the shared file), sorted by key so the B-tree fills in order."""
    table = ExpenseRecord.__table__
    cols = [c.name for c in table.columns]
    procs = [c.type.bind_processor(engine.dialect) for c in table.columns]
    params = sorted(tuple(p(r[c]) if p else r[c] for c, p in zip(cols, procs)) for r in rows)
    names = ", ".join(cols)
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS import_expense AS SELECT {names} FROM main.expense_record WHERE 0")
        try:
            raw.execute("BEGIN")
            raw.execute("DELETE FROM temp.import_expense")
            raw.executemany(f"INSERT INTO temp.import_expense ({names}) VALUES ({', '.join('?' for _ in cols)})", params)
            raw.execute("COMMIT")
            with write_session(conn, action=action) as s:  # BEGIN IMMEDIATE: from here the lock is held
                s.execute(text(f"INSERT INTO main.expense_record ({names}) SELECT {names} FROM temp.import_expense"))
                _audit_bulk(s, actor, len(rows), policy)
        finally:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            raw.execute("DROP TABLE IF EXISTS temp.import_expense")


def _write(engine: Engine, actor: Actor, kind: str, report: ImportReport, todo: list, today: date, lang: str,
           action: str, policy: Policy | None = None) -> int:
    if kind == "expenses":
        actor.require("record", action=N_("record expenses"))
        rows = [{"id": new_expense_id(), "created_at": utcnow(), **v} for v in todo]
        if rows and is_sqlite(engine):
            _bulk_insert_sqlite(engine, actor, rows, action, policy)
        elif rows:
            with write_session(engine, action=action) as s:
                ensure_expense_months(s, (r["occurred_at"] for r in rows))  # PostgreSQL: new months' partitions
                s.execute(insert(ExpenseRecord.__table__), rows)
                _audit_bulk(s, actor, len(rows), policy)
        return len(rows)
    with write_session(engine, action=action) as s:
        for line, row in todo:
            try:
                HANDLERS[kind](s, actor, row, today, policy)
            except (DomainError, _RowError, ValueError) as exc:
                # changed since the check (another caseworker wrote the same key): nothing is kept
                report.bad.append((line, _reason_text(exc, lang) + " (changed while importing)"))
                report.bad.sort()
                raise ImportRefused(report) from None
        return len(todo)
