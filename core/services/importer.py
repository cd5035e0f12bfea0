"""CSV import of master data: enrollees, institutions, physicians, teams, expenses.

Every row is validated through the same registry services the rest of
casedesk uses. All-or-nothing by default: if any row is bad, nothing is
written and every bad row is reported with its line number and reason. With
``skip_bad=True`` the good rows are written (each in its own savepoint) and
the bad ones reported.

Columns (header row required; extra columns are refused so typos show):

enrollees:    id_number, card_number, name, scheme, supplementary, city_household,
              employment, [disabled_grade, employer, phone, address, residence_city,
              residence_province, residence_mainland, stationed_elsewhere,
              individual_account_yuan, branch]
institutions: code, name, kind, city, [name_zh, level, public, province, mainland,
              designated, diagnostic_hospital, dialysis_centre, offsite_on_record,
              run_by_hospital_level]
physicians:   code, name, institution_code, title, specialty
teams:        institution_code, specialty, physician_code, is_head, since
expenses:     enrollee_id_number, occurred_at, amount_yuan, visit_kind,
              [institution_code, disease_code, settlement, large_equipment, source]

Booleans: 1/0, true/false, yes/no, 是/否. Dates ISO (2026-10-01); times ISO
(2026-10-01T09:30). Money in yuan with at most two decimals.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, select

from core import audit
from core.auth import Actor
from core.errors import DomainError
from core.models import Enrollee, Institution
from core.services import registry
from core.services.registry import parse_bool, parse_yuan

KINDS = ("enrollees", "institutions", "physicians", "teams", "expenses")


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
    "physicians": ({"code", "name", "institution_code", "title", "specialty"}, set()),
    "teams": ({"institution_code", "specialty", "physician_code", "is_head", "since"}, set()),
    "expenses": (
        {"enrollee_id_number", "occurred_at", "amount_yuan", "visit_kind"},
        {"institution_code", "disease_code", "settlement", "large_equipment", "source"},
    ),
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


def _enrollee(s: Session, a: Actor, r: dict[str, str], today: date) -> None:
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
        today=today, reason="import",
    )


def _institution(s: Session, a: Actor, r: dict[str, str], today: date) -> None:
    registry.add_institution(
        s, a, code=_get(r, "code"), name=_get(r, "name"), kind=_get(r, "kind"), city=_get(r, "city"),
        name_zh=_get(r, "name_zh"), level=_get(r, "level", _int, 0), public=_get(r, "public", parse_bool, True),
        province=_get(r, "province"), mainland=_get(r, "mainland", parse_bool, True),
        designated=_get(r, "designated", parse_bool, False),
        diagnostic_hospital=_get(r, "diagnostic_hospital", parse_bool, False),
        dialysis_centre=_get(r, "dialysis_centre", parse_bool, False),
        offsite_on_record=_get(r, "offsite_on_record", parse_bool, False),
        run_by_hospital_level=_get(r, "run_by_hospital_level", _int, 0), reason="import",
    )


def _physician(s: Session, a: Actor, r: dict[str, str], today: date) -> None:
    registry.add_physician(s, a, code=_get(r, "code"), name=_get(r, "name"),
                           institution_code=_get(r, "institution_code"), title=_get(r, "title"),
                           specialty=_get(r, "specialty"), reason="import")


def _team(s: Session, a: Actor, r: dict[str, str], today: date) -> None:
    registry.add_team_member(s, a, institution_code=_get(r, "institution_code"), specialty=_get(r, "specialty"),
                             physician_code=_get(r, "physician_code"),
                             is_head=_get(r, "is_head", parse_bool, False),
                             since=_get(r, "since", date.fromisoformat), reason="import")


def _expense(s: Session, a: Actor, r: dict[str, str], today: date) -> None:
    idn = _get(r, "enrollee_id_number").upper()
    eid = s.exec(select(Enrollee.id).where(Enrollee.id_number == idn)).first()
    if eid is None:
        raise _RowError(f"enrollee_id_number: no enrollee {idn}")
    inst_id = None
    code = _get(r, "institution_code")
    if code:
        inst_id = s.exec(select(Institution.id).where(Institution.code == code)).first()
        if inst_id is None:
            raise _RowError(f"institution_code: no institution {code}")
    when = _get(r, "occurred_at", datetime.fromisoformat)
    if when is None:
        raise _RowError("occurred_at: required")
    amount = _get(r, "amount_yuan", parse_yuan)
    if amount is None:
        raise _RowError("amount_yuan: required")
    registry.add_expense(s, a, enrollee_id=eid, occurred_at=when.replace(tzinfo=None), amount_fen=amount,
                         visit_kind=_get(r, "visit_kind"), institution_id=inst_id,
                         disease_code=_get(r, "disease_code") or None,
                         settlement=_get(r, "settlement", str, "bookkeeping") or "bookkeeping",
                         large_equipment=_get(r, "large_equipment", parse_bool, False),
                         source=_get(r, "source") or "import", audit_it=False)


HANDLERS = {"enrollees": _enrollee, "institutions": _institution, "physicians": _physician,
            "teams": _team, "expenses": _expense}


def _reason_text(exc: Exception, lang: str) -> str:
    if isinstance(exc, DomainError):
        return "; ".join(exc.messages(lang))
    return str(exc)


def import_csv(session: Session, actor: Actor, kind: str, source: Path | str | io.TextIOBase, *,
               skip_bad: bool = False, today: date | None = None, lang: str = "en") -> ImportReport:
    """Validate and write every row. Raises :class:`ImportRefused` (after
    rolling the session back) when a row is bad and ``skip_bad`` is off."""
    if kind not in HANDLERS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    today = today or date.today()
    report = ImportReport(kind=kind)
    text = source.read() if isinstance(source, io.TextIOBase) else Path(source).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    required, optional = COLUMNS[kind]
    header = set(reader.fieldnames or [])
    missing, extra = required - header, header - required - optional
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(sorted(missing)))
        if extra:
            parts.append("unknown columns: " + ", ".join(sorted(extra)))
        report.bad.append((1, "; ".join(parts)))
        raise ImportRefused(report)
    handler = HANDLERS[kind]
    for row in reader:
        line = reader.line_num
        sp = session.begin_nested()
        try:
            handler(session, actor, row, today)
            session.flush()
            sp.commit()
            report.written += 1
        except (DomainError, _RowError, ValueError) as exc:
            sp.rollback()
            report.bad.append((line, _reason_text(exc, lang)))
        except Exception as exc:  # a constraint the validators did not foresee
            sp.rollback()
            report.bad.append((line, f"rejected by the database: {type(exc).__name__}"))
    if report.bad and not skip_bad:
        session.rollback()
        report.written = 0
        raise ImportRefused(report)
    if kind == "expenses" and report.written:
        audit.record(session, actor, "expense.import", entity="expense_record", entity_id="bulk",
                     after={"rows": report.written}, reason=f"import of {report.written} expense records")
    report.committed = True
    return report
