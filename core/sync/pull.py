"""The pull: the centre's changes, applied at the branch, batch by batch.

One pull reads the central change log (``core.sync.changes``) from the
branch's cursor up to the horizon, in one REPEATABLE READ transaction on the
centre (one snapshot: the rows it fetches agree with each other). Each batch
of changes is applied in **one local transaction** that also moves the
cursor and records the batch in the branch's own audit chain, so a pull
killed at any point leaves the branch at a batch boundary and the next pull
resumes from there (re-applying a batch is harmless: rows are upserted).

For each changed row the pull fetches the centre's *current* row: present,
it is upserted (``INSERT … ON CONFLICT DO UPDATE``; the lookup's search rows
follow through the SQLite triggers of migration 0004_search); gone, the
local row is deleted. A row whose parent (a foreign key) the branch does not
hold yet brings the parent along, so foreign keys hold at every commit. The
centre's audit events go to ``central_audit_event``, never into the
branch's own chain (each side's ``casedesk audit verify`` stays green).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, Table, and_, bindparam, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel

from core import audit
from core.auth import Actor
from core.db import read_session, write_session
from core.errors import DatabaseFault, Reason
from core.i18n import N_
from core.models import SyncBranch, utcnow
from core.sync import changes as log
from core.sync.link import Link, central_engine, require_link
from core.sync.tables import BY_NAME, META_KEYS, SYNCED, Synced

BATCH = 500
#: the progress bar's label
PULLING = N_("pulling the centre's changes")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PullResult:
    changes: int  # change-log rows read
    rows: int  # rows written or deleted here
    batches: int
    cursor: tuple[int, int]
    by_table: dict[str, int] = field(default_factory=dict)

    def summary(self, lang: str = "en") -> str:
        from core.i18n import translate

        return translate(N_("pulled {changes} changes from the centre ({rows} rows in {batches} batches)"), lang,
                         changes=self.changes, rows=self.rows, batches=self.batches)

    def as_dict(self) -> dict:
        return {"changes": self.changes, "rows": self.rows, "batches": self.batches,
                "cursor": f"{self.cursor[0]}:{self.cursor[1]}", "by_table": self.by_table}


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _key(table: Table, raw: str):
    """A change's ``row_id`` text as the ``id`` column's Python value."""
    if table.c.id.type.python_type is uuid.UUID:
        return uuid.UUID(raw)
    return table.c.id.type.python_type(raw)


def _fetch(central, t: Synced, ids: list, enrollees: set | None = None) -> dict:
    """The centre's current rows of ``t`` with these ids, by id. A table
    keyed on (enrollee, …, id) is also narrowed by its enrollees (its index)."""
    table = _table(t.name)
    narrow = enrollees and "enrollee_id" in table.primary_key.columns
    rows: dict = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = select(table).where(table.c.id.in_(chunk))
        if narrow:
            q = q.where(table.c.enrollee_id.in_(list(enrollees)))
        for row in central.execute(q).mappings():
            rows[row["id"]] = dict(row)
    return rows


def _missing_locally(session, table: Table, ids: set) -> set:
    if not ids:
        return set()
    have = {r[0] for r in session.execute(select(table.c.id).where(table.c.id.in_(list(ids))))}
    return ids - have


def _with_parents(session, central, fetched: dict[str, dict]) -> None:
    """Bring along every parent row the branch lacks (until none is missing;
    one the centre lacks too is left to the commit's foreign-key check)."""
    asked: set = set()
    while True:
        wanted: dict[str, set] = {}
        for name, rows in fetched.items():
            for fk in _table(name).foreign_keys:
                parent = fk.column.table.name
                if parent not in BY_NAME or fk.column.name != "id":
                    continue
                col = fk.parent.name
                for row in rows.values():
                    value = row.get(col)
                    if value is not None and value not in fetched.get(parent, {}):
                        wanted.setdefault(parent, set()).add(value)
        todo = {p: _missing_locally(session, _table(p), {i for i in ids if (p, i) not in asked})
                for p, ids in wanted.items()}
        todo = {p: ids for p, ids in todo.items() if ids}
        if not todo:
            return
        for parent, ids in todo.items():
            asked.update((parent, i) for i in ids)
            fetched.setdefault(parent, {}).update(_fetch(central, BY_NAME[parent], list(ids)))


def _upsert(session, t: Synced, rows: list[dict]) -> None:
    table = _table(t.target)
    names = [c.name for c in table.columns]
    values = [{n: r.get(n) for n in names} for r in rows]
    stmt = sqlite_insert(table)
    pk = [c.name for c in table.primary_key.columns]
    if not t.local:  # the centre's audit events are as written, never changed
        # a plain UPDATE of the rows held here, then INSERT of the others: SQLite lets an
        # INSERT … ON CONFLICT DO UPDATE override the OR IGNORE inside the lookup's triggers
        # (enrollee_search_au), which then trip on a name that repeats a character
        cond = and_(*[table.c[k] == bindparam(f"k_{k}") for k in pk])
        update = table.update().where(cond).values({n: bindparam(f"v_{n}") for n in names if n not in pk})
        session.execute(update, [{**{f"k_{k}": v[k] for k in pk}, **{f"v_{n}": v[n] for n in names if n not in pk}}
                                 for v in values])
    session.execute(stmt.on_conflict_do_nothing(index_elements=pk), values)


def _held(session) -> set:
    """Rows a waiting or refused operation of this branch touched (the push
    side, core.sync.outbox): their provisional local effect stays until the
    operation is settled."""
    from core.sync import outbox

    return outbox.held_rows(session)


def _newly_visible(session, central, fetched: dict[str, dict]) -> None:
    """An enrollee this branch did not hold — one who moved into its area,
    whose earlier records' changes the area filter passed over — brings all
    its records along."""
    new = _missing_locally(session, _table("enrollee"), set(fetched.get("enrollee", {})))
    if not new:
        return
    for t in SYNCED:
        table = _table(t.name)
        if t.scope == "own":
            q = select(table).where(table.c.enrollee_id.in_(list(new)))
        elif t.scope.startswith("via:"):
            parent, _, fk = t.scope.removeprefix("via:").partition(".")
            ids = [i for i, r in fetched.get(parent, {}).items() if r.get("enrollee_id") in new]
            if not ids:
                continue
            q = select(table).where(table.c[fk].in_(ids))
        else:
            continue
        for row in central.execute(q).mappings():
            fetched.setdefault(t.name, {})[row["id"]] = dict(row)


def _settled(session, since) -> set:
    """Rows the pull left alone while an operation held them, now settled:
    fetched again (their central changes may be behind the cursor)."""
    from core.sync import outbox

    return outbox.settled_rows(session, since)


def _apply(session, central, named: dict[str, list], whose: dict[str, set], *, keep: set,
           area: tuple[str, ...] = ()) -> dict[str, int]:
    """Write the centre's current state of the rows named (table -> ids),
    except those in ``keep``."""
    session.execute(text("PRAGMA defer_foreign_keys = ON"))  # parents and children in one commit, any order
    fetched: dict[str, dict] = {}
    gone: dict[str, set] = {}
    for name, ids in named.items():
        ids = [i for i in dict.fromkeys(ids) if (name, i) not in keep]
        rows = _fetch(central, BY_NAME[name], ids, whose.get(name))
        fetched[name] = rows
        gone[name] = {i for i in ids if i not in rows}
    if area:
        _newly_visible(session, central, fetched)
    _with_parents(session, central, fetched)
    counts: dict[str, int] = {}
    for t in SYNCED:  # parents first
        rows = list(fetched.get(t.name, {}).values())
        if rows:
            _upsert(session, t, rows)
        dead = gone.get(t.name) or set()
        if dead and not t.local:
            table = _table(t.target)
            session.execute(table.delete().where(table.c.id.in_(list(dead))))
        if rows or dead:
            counts[t.name] = len(rows) + len(dead)
    return counts


def _named(batch: list[log.Change]) -> tuple[dict[str, list], dict[str, set]]:
    named: dict[str, list] = {}
    whose: dict[str, set] = {}
    for ch in batch:
        if ch.tbl in BY_NAME:
            named.setdefault(ch.tbl, []).append(_key(_table(ch.tbl), ch.row_id))
            if ch.enrollee_id is not None:
                whose.setdefault(ch.tbl, set()).add(ch.enrollee_id)
    return named, whose


def refetch(engine: Engine, actor: Actor, rows: set[tuple[str, uuid.UUID]], *,
            central: Engine | None = None) -> dict[str, int]:
    """Take the centre's version of these rows now (``sync resolve
    --take-central``): upserted where the centre has them, deleted here where
    it does not; one local transaction, one audit event."""
    actor.require("record")
    with read_session(engine, action="pulling from the centre") as s:
        link = require_link(s)
    own = central is None
    central = central or central_engine(link)
    named: dict[str, list] = {}
    for table, row_id in rows:
        if table in BY_NAME:
            named.setdefault(table, []).append(row_id)
    try:
        with _centre_faults(), central.connect() as cc, cc.begin(), \
                write_session(engine, action="pulling from the centre") as s:
            counts = _apply(s, cc, named, {}, keep=set())
            audit.record(s, actor, "sync.pull", entity="sync_branch", entity_id=link.code,
                         after={"refetched": counts})
        return counts
    finally:
        if own:
            central.dispose()


@contextmanager
def _centre_faults():
    """A centre that cannot be reached (or refuses) as a DatabaseFault naming the pull."""
    from sqlalchemy.exc import DBAPIError

    from core.db import database_fault

    try:
        yield
    except DBAPIError as exc:
        fault = database_fault(exc, "pulling from the centre")
        if fault is None:
            raise
        if fault.kind == "unreachable":
            fault = DatabaseFault(Reason("", "central", N_(
                "The centre cannot be reached; this branch keeps working on what it pulled "
                "(run `casedesk sync` again when the link is back). Nothing was changed.")), kind="unreachable")
        raise fault from exc


def _central_policy(central) -> str:
    row = central.execute(text("SELECT value FROM casedesk_meta WHERE key = :k"), {"k": META_KEYS[0]}).first()
    return row[0] if row else ""


def pull(engine: Engine, actor: Actor, *, batch: int = BATCH, progress: Progress | None = None,
         central: Engine | None = None) -> PullResult:
    """Bring the centre's changes since the last pull (any caseworker who may
    record). Raises a DatabaseFault (kind ``unreachable``) when the link is down."""
    actor.require("record")
    with read_session(engine, action="pulling from the centre") as s:
        link = require_link(s)
    own = central is None
    central = central or central_engine(link)
    try:
        return _pull(engine, actor, link, central, batch, progress)
    finally:
        if own:
            central.dispose()


def _pull(engine: Engine, actor: Actor, link: Link, central: Engine, batch: int,
          progress: Progress | None) -> PullResult:
    cursor, total_changes, total_rows, batches, by_table, first = link.cursor, 0, 0, 0, {}, True
    with _centre_faults():
        with central.connect().execution_options(isolation_level="REPEATABLE READ") as cc, cc.begin():
            until = log.horizon(cc)
            todo = log.pending(cc, cursor, until, link.area)
            policy = _central_policy(cc)
            if progress:
                progress(0, todo)
            while True:
                changes = log.read(cc, cursor, until, batch, link.area)
                final = len(changes) < batch
                start = cursor
                cursor = (changes[-1].txid, changes[-1].seq) if changes else cursor
                if final:
                    cursor = max(cursor, (until, 0))  # everything below the horizon is read
                with write_session(engine, action="pulling from the centre") as s:
                    named, whose = _named(changes)
                    if first:  # once per pull: what was held and is settled since the last pull
                        for table, row_id in _settled(s, link.last_pull_at):
                            if table in BY_NAME:
                                named.setdefault(table, []).append(row_id)
                    held = _held(s)
                    counts = _apply(s, cc, named, whose, keep=held, area=link.area) if named else {}
                    row = s.get(SyncBranch, 1)
                    row.pulled_txid, row.pulled_seq = cursor
                    row.central_policy = policy
                    row.last_pull_at = utcnow()
                    row.last_pull_changes = total_changes + len(changes)
                    if changes or counts:
                        audit.record(s, actor, "sync.pull", entity="sync_branch", entity_id=link.code,
                                     before={"cursor": f"{start[0]}:{start[1]}"},
                                     after={"cursor": f"{cursor[0]}:{cursor[1]}", "changes": len(changes),
                                            "rows": counts})
                total_changes += len(changes)
                total_rows += sum(counts.values())
                batches += 1 if (changes or counts) else 0
                first = False
                for k, v in counts.items():
                    by_table[k] = by_table.get(k, 0) + v
                if progress:
                    progress(total_changes, todo)
                link = Link(**{**link.__dict__, "central_policy": policy})
                if final:
                    break
    return PullResult(changes=total_changes, rows=total_rows, batches=batches, cursor=cursor, by_table=by_table)
