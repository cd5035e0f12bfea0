"""``casedesk db check``: is this database whole and its history intact?

Each check returns :class:`core.errors.Reason` lines for what is wrong (an
empty list is a pass): the storage engine's own integrity check (SQLite
``PRAGMA integrity_check``), the schema revision, the append-only triggers on
the audit trail, the audit hash chain (:func:`core.audit.verify`) and the
caseworker table against its audit events (a role granted with ``sqlite3``
has no event behind it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, text

from core import audit
from core.db import check_schema, read_session
from core.errors import Reason, SchemaError
from core.i18n import N_

# revision 0002 / 0005_audit_chain
TRIGGERS = {
    "sqlite": ("audit_event_no_update", "audit_event_no_delete"),
    "postgresql": ("audit_event_append_only",),
}


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)  # msgids of the checks that passed
    problems: list[Reason] = field(default_factory=list)
    head: audit.Head | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def storage_problems(engine: Engine) -> list[Reason]:
    if engine.dialect.name != "sqlite":
        return []
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as c:
            rows = [r[0] for r in c.exec_driver_sql("PRAGMA integrity_check").fetchall()]
    except DBAPIError as exc:  # too damaged to even run the check
        rows = [str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__]
    if rows == ["ok"]:
        return []
    return [Reason("", "storage", N_("The database file is damaged: {detail}"), {"detail": r}) for r in rows[:10]]


def trigger_problems(engine: Engine) -> list[Reason]:
    want = TRIGGERS.get(engine.dialect.name, ())
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            have = {r[0] for r in c.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                 "AND tbl_name = 'audit_event'"))}
        elif engine.dialect.name == "postgresql":
            have = {r[0] for r in c.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                                                 "AND NOT tgisinternal AND tgenabled <> 'D'"))}
        else:  # pragma: no cover - only the two supported engines
            have = set()
    return [Reason("", "audit", N_("The append-only trigger {name} on the audit trail is missing or disabled."),
                   {"name": name}) for name in want if name not in have]


def check_database(engine: Engine, *, against: audit.Head | None = None) -> Report:
    from core.models import Caseworker

    report = Report()
    report.problems += storage_problems(engine)
    if report.problems:
        return report  # nothing else can be trusted on a damaged file
    report.passed.append(N_("storage integrity"))
    try:
        check_schema(engine, auto_create=False)
    except SchemaError as exc:
        report.problems.append(Reason("", "schema", N_("Schema: {detail}"), {"detail": str(exc)}))
        return report
    report.passed.append(N_("schema"))
    found = trigger_problems(engine)
    report.problems += found
    if not found:
        report.passed.append(N_("append-only triggers"))
    with read_session(engine) as s:
        v = audit.verify(s, against=against)
        report.head = v.head
        report.problems += v.problems
        if v.ok:
            report.passed.append(N_("audit chain"))
        found = audit.replay_mismatches(s, "caseworker", Caseworker)
        report.problems += found
        if not found:
            report.passed.append(N_("caseworkers match their audit trail"))
    return report
