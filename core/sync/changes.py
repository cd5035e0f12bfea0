"""The central change log (PostgreSQL): which rows changed, in an order a
branch can follow without ever missing one.

Every pulled table (``core.sync.tables``) has three statement-level AFTER
triggers (INSERT, UPDATE, DELETE, each with its transition table) that add
one ``sync_change`` row per row written, *in the writer's own transaction*:
the change and the record commit or roll back together. A change carries
``txid`` = ``pg_current_xact_id()`` of the writer and ``seq`` from a bigint
identity.

**The commit-order gap.** ``seq`` is handed out when a row is written, not
when its transaction commits: seq 10 may commit after seq 11, so a reader
that remembered "up to 11" would skip 10 forever. The reader therefore takes
``horizon = pg_snapshot_xmin(pg_current_snapshot())`` — every transaction
with an xid below it has finished (committed or rolled back) — and reads only
changes with ``txid < horizon``, in ``(txid, seq)`` order. Below the horizon
that order is final: no change can appear later behind the cursor. No lock
is taken and writers never wait for a branch; a long-running central writer
only holds the horizon back until it ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from core.sync.tables import SYNCED, Synced

_TXID = "pg_current_xact_id()::text::bigint"


def _enrollee_expr(t: Synced, alias: str) -> tuple[str, str]:
    """(SQL for the row's enrollee, a join it needs)."""
    if t.scope == "master":
        return "NULL::uuid", ""
    if t.scope == "self":
        return f"{alias}.id", ""
    if t.scope == "own":
        return f"{alias}.enrollee_id", ""
    parent, _, fk = t.scope.removeprefix("via:").partition(".")
    return "p.enrollee_id", f" LEFT JOIN {parent} p ON p.id = {alias}.{fk}"


def trigger_statements(t: Synced) -> list[str]:
    """The function and the three triggers that log ``t``'s changes."""
    enr_new, join_new = _enrollee_expr(t, "n")
    enr_old, join_old = _enrollee_expr(t, "o")
    fn = f"sync_log_{t.name}"
    body = (
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN "
        f"INSERT INTO sync_change(txid, tbl, row_id, enrollee_id, op) SELECT {_TXID}, '{t.name}', o.id::text, "
        f"{enr_old}, 'D' FROM old_rows o{join_old}; "
        "ELSE "
        f"INSERT INTO sync_change(txid, tbl, row_id, enrollee_id, op) SELECT {_TXID}, '{t.name}', n.id::text, "
        f"{enr_new}, left(TG_OP, 1) FROM new_rows n{join_new}; "
        "END IF; RETURN NULL; END $$"
    )
    out = [body]
    for verb, ref in (("INSERT", "NEW TABLE AS new_rows"), ("UPDATE", "NEW TABLE AS new_rows"),
                      ("DELETE", "OLD TABLE AS old_rows")):
        out.append(f"CREATE TRIGGER {fn}_{verb[0].lower()} AFTER {verb} ON {t.name} REFERENCING {ref} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()")
    return out


def drop_statements(t: Synced) -> list[str]:
    fn = f"sync_log_{t.name}"
    return [*(f"DROP TRIGGER IF EXISTS {fn}_{v} ON {t.name}" for v in "iud"), f"DROP FUNCTION IF EXISTS {fn}()"]


def backfill_statement(t: Synced) -> str:
    """One ``I`` change per row already there (a centre that had data before
    the change log still gives a complete first pull)."""
    enr, join = _enrollee_expr(t, "n")
    return (f"INSERT INTO sync_change(txid, tbl, row_id, enrollee_id, op) "
            f"SELECT {_TXID}, '{t.name}', n.id::text, {enr}, 'I' FROM {t.name} n{join} ORDER BY n.id")


def install(execute, tables: tuple[Synced, ...] = SYNCED, *, backfill: bool = True) -> None:
    """Install the triggers (PostgreSQL) with ``execute(sql)`` — a migration's
    ``op.execute`` — and log the rows already there."""
    for t in tables:
        for sql in trigger_statements(t):
            execute(sql)
        if backfill:
            execute(backfill_statement(t))


def pull_grants(role_ident: str) -> list[str]:
    """What a branch's database role needs to pull: read the change log, the
    pulled tables and the centre's facts (``casedesk_meta``), nothing more."""
    names = ("sync_change", "casedesk_meta", *(t.name for t in SYNCED))
    return [f"GRANT SELECT ON {name} TO {role_ident}" for name in names]


def installed(connection) -> set[str]:
    """The tables whose three change-log triggers are in place (PostgreSQL)."""
    rows = connection.execute(text(
        "SELECT c.relname, count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
        "WHERE g.tgname LIKE 'sync_log_%' AND NOT g.tgisinternal GROUP BY c.relname")).all()
    return {name for name, n in rows if n >= 3}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Change:
    txid: int
    seq: int
    tbl: str
    row_id: str
    op: str
    enrollee_id: object = None  # uuid.UUID or None


def horizon(connection) -> int:
    """Every transaction with a txid below this has finished. Call first in
    a REPEATABLE READ transaction: the later reads then see all of them."""
    return int(connection.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one())


def _area_filter(area: tuple[str, ...]) -> str:
    if not area:
        return ""
    return (" AND (c.enrollee_id IS NULL OR EXISTS (SELECT 1 FROM enrollee e WHERE e.id = c.enrollee_id "
            "AND e.branch = ANY(:area)))")


def pending(connection, cursor: tuple[int, int], until: int, area: tuple[str, ...] = ()) -> int:
    """How many changes wait between the cursor and the horizon."""
    q = ("SELECT count(*) FROM sync_change c WHERE (c.txid, c.seq) > (:t, :s) AND c.txid < :h"
         + _area_filter(area))
    return int(connection.execute(text(q), {"t": cursor[0], "s": cursor[1], "h": until,
                                            "area": list(area)}).scalar_one())


def read(connection, cursor: tuple[int, int], until: int, limit: int, area: tuple[str, ...] = ()) -> list[Change]:
    """The next ``limit`` changes after ``cursor`` and below the horizon, in
    ``(txid, seq)`` order."""
    q = ("SELECT c.txid, c.seq, c.tbl, c.row_id, c.op, c.enrollee_id FROM sync_change c "
         "WHERE (c.txid, c.seq) > (:t, :s) AND c.txid < :h" + _area_filter(area)
         + " ORDER BY c.txid, c.seq LIMIT :n")
    rows = connection.execute(text(q), {"t": cursor[0], "s": cursor[1], "h": until, "n": limit,
                                        "area": list(area)})
    return [Change(int(a), int(b), c, d, e, f) for a, b, c, d, e, f in rows]
