"""Every state change is an operation (issue 11 item 3).

A service that writes is registered with :func:`operation`::

    @operation("books.issue_book")
    def issue_book(session, actor, *, policy, certificate_number, ...): ...

Called on a branch's database (one that ``casedesk branch init`` set up: a
``sync_branch`` row) the outermost registered call also writes one
``sync_outbox`` row in the service's own session — so in the same local
transaction as the change, committed or rolled back with it. The row holds
the service's name, its inputs as typed JSON (:func:`encode`), a fresh
operation id, the caseworker and their role, the branch, the local time, the
version and content hash of every record row the service read, the rows it
touched and the numbers it gave out (:mod:`core.services.numbering`).

Rows the service creates get ids derived from the operation
(``uuid5(seed, n)``, :class:`core.sync.context.OpContext`), so the centre,
applying the same operation with :func:`replay`, creates the same ids and the
records agree after a pull.

Nothing escapes the outbox: an audit event written on a branch outside any
operation raises (:func:`_guard`), and ``tests/test_sync_ops.py`` fails when a
public function of ``core/services`` that writes is not registered. The
branch's own bookkeeping (the pull's and the resolutions' events, action
``sync…``) is local and exempt.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text
from sqlalchemy.orm import Session as _SASession

from core.errors import DomainError, Reason
from core.i18n import N_, Code, Msg
from core.models import AuditEvent, OutboxOp, Record
from core.models.base import ID_SOURCE
from core.sync.context import CURRENT, RECORD, REPLAY, OpContext, current

#: registered services by operation name
REGISTRY: dict[str, Callable[..., Any]] = {}
#: dataclasses that may travel as inputs, by name
_DATACLASSES: dict[str, type] = {}
#: audit actions that are the branch's own bookkeeping, never operations
LOCAL_ACTION_PREFIX = "sync"
#: tables whose rows are not operation effects
_NOT_EFFECTS = {"audit_event", "sync_outbox", "branch_counter", "sync_submission", "sync_applied",
                "sync_branch", "sync_change", "central_audit_event", "casedesk_meta"}
#: rows the centre checks for staleness: the enrollee and their records (master
#: data changed centrally — an institution renamed — does not void a branch's work)
STALE_CHECKED = frozenset({"enrollee", "certificate", "record_book", "book_entry", "replacement",
                           "offsite_filing", "filing_institution", "health_centre_selection",
                           "investigation_case", "monitoring_flag"})
FORMAT = 1


def operation(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a writing service ``fn(session, actor, ...)`` as operation ``name``."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in REGISTRY:
            raise RuntimeError(f"operation {name!r} registered twice")
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def service(session, actor, *args, **kwargs):
            if current() is not None:  # called by another operation, or replayed at the centre
                return fn(session, actor, *args, **kwargs)
            branch = branch_code(session)
            if not branch:
                return fn(session, actor, *args, **kwargs)
            bound = signature.bind(session, actor, *args, **kwargs)
            inputs: dict[str, Any] = {}
            for k, v in bound.arguments.items():
                if signature.parameters[k].kind is inspect.Parameter.VAR_KEYWORD:
                    inputs.update(v)
                elif k not in ("session", "actor"):
                    inputs[k] = v
            if "today" in signature.parameters and inputs.get("today") is None:
                inputs["today"] = kwargs["today"] = date.today()  # the branch's day: "not after today" is judged by it
            encoded = encode(inputs)
            op_id = uuid.uuid4()
            ctx = OpContext(op_id=op_id, seed=op_id, branch=branch, mode=RECORD, session=session)
            with active(ctx):
                result = fn(session, actor, *args, **kwargs)
                session.flush()
            session.add(OutboxOp(
                op_id=op_id, seed=op_id, service=name, inputs=dumps(encoded), actor=actor.username,
                actor_role=str(actor.role), branch=branch, local_at=datetime.now().astimezone().isoformat(),
                reads=dumps(ctx.reads), touched=dumps(sorted(ctx.touched)), numbers=dumps(ctx.numbers)))
            return result

        service.operation_name = name  # type: ignore[attr-defined]
        REGISTRY[name] = service
        return service

    return wrap


#: writing services that change only this database (a branch's caseworkers are its own)
LOCAL: dict[str, Callable[..., Any]] = {}
_LOCAL_ACTIVE = "casedesk_local_write"


def local_write(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn(session, actor, ...)`` as a write that stays where it is
    made and never travels (caseworkers: each branch has its own)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def service(session, actor, *args, **kwargs):
            session.info[_LOCAL_ACTIVE] = session.info.get(_LOCAL_ACTIVE, 0) + 1
            try:
                result = fn(session, actor, *args, **kwargs)
                session.flush()
                return result
            finally:
                session.info[_LOCAL_ACTIVE] -= 1

        service.local_write_name = name  # type: ignore[attr-defined]
        LOCAL[name] = service
        return service

    return wrap


def register_input(cls: type) -> type:
    """Let dataclass ``cls`` travel as an operation input (by name, never by import path)."""
    _DATACLASSES[cls.__name__] = cls
    return cls


@contextmanager
def active(ctx: OpContext) -> Iterator[OpContext]:
    token, id_token = CURRENT.set(ctx), ID_SOURCE.set(ctx.next_id)
    try:
        yield ctx
    finally:
        ID_SOURCE.reset(id_token)
        CURRENT.reset(token)


# --------------------------------------------------------------------------- the branch

_HAS_BRANCH_TABLE: dict[str, bool] = {}


def branch_code(session) -> str:
    """This database's branch code ('' at the centre or a stand-alone desk)."""
    bind = session.get_bind()
    key = getattr(bind, "engine", bind).url.render_as_string(hide_password=True)
    if key not in _HAS_BRANCH_TABLE:
        _HAS_BRANCH_TABLE[key] = sa_inspect(session.connection()).has_table("sync_branch")
    if not _HAS_BRANCH_TABLE[key]:
        return ""
    row = session.execute(text("SELECT code FROM sync_branch WHERE id = 1")).first()
    return (row[0] or "") if row else ""


def forget_branch_tables() -> None:
    """Drop the cached answer to "has this database a sync_branch table?" (after migrating)."""
    _HAS_BRANCH_TABLE.clear()


# --------------------------------------------------------------------------- typed JSON


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def encode(value: Any) -> Any:
    """``value`` as typed JSON: what :func:`decode` turns back into the same value."""
    from core.calendar import WorkingCalendar
    from core.policy import Policy
    from core.rules.monitoring import Month

    if value is None or isinstance(value, (bool, int, float, str)):
        return value.value if hasattr(value, "value") and isinstance(value, str) else value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, Policy):
        return {"$policy": value.id, "sha256": value.content_hash}
    if isinstance(value, Month):
        return {"$month": value.label}
    if isinstance(value, WorkingCalendar):
        return {"$calendar": "default"}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((encode(v) for v in value), key=dumps)}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): encode(v) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _DATACLASSES:
        return {"$dc": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"{type(value).__name__} cannot be an operation input")


def decode(value: Any, *, policy_for: Callable[[str, str], Any]) -> Any:
    """Typed JSON back to values; ``policy_for(pack_id, sha256)`` gives the pack."""
    from core.calendar import default_calendar
    from core.rules.monitoring import parse_month

    if isinstance(value, list):
        return [decode(v, policy_for=policy_for) for v in value]
    if not isinstance(value, dict):
        return value
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$uuid" in value:
        return uuid.UUID(value["$uuid"])
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$policy" in value:
        return policy_for(value["$policy"], value.get("sha256", ""))
    if "$month" in value:
        return parse_month(value["$month"])
    if "$calendar" in value:
        return default_calendar()
    if "$tuple" in value:
        return tuple(decode(v, policy_for=policy_for) for v in value["$tuple"])
    if "$set" in value:
        return frozenset(decode(v, policy_for=policy_for) for v in value["$set"])
    if "$dict" in value:
        return {k: decode(v, policy_for=policy_for) for k, v in value["$dict"].items()}
    if "$dc" in value:
        cls = _DATACLASSES.get(value["$dc"])
        if cls is None:
            raise DomainError.one("", "inputs", N_("The operation carries an unknown kind of input ({kind})."),
                                  kind=str(value["$dc"])[:40])
        return cls(**{k: decode(v, policy_for=policy_for) for k, v in value["fields"].items()})
    raise DomainError.one("", "inputs", N_("The operation carries an input casedesk cannot read."))


def encode_reasons(reasons: list[Reason]) -> list[dict]:
    """Reasons as JSON that :func:`decode_reasons` turns back into translatable reasons."""

    def param(v: Any) -> Any:
        if isinstance(v, Msg):
            return {"$msg": v.msgid}
        if isinstance(v, Code):
            return {"$code": [v.kind, str(v.value)]}
        if v is None or isinstance(v, (bool, int, float)):
            return v
        return str(v)

    return [{"article": r.article, "field": r.field, "msgid": r.msgid, "message": r.message("en"),
             "params": {k: param(v) for k, v in r.params.items()}} for r in reasons]


def decode_reasons(data: list[dict]) -> list[Reason]:
    def param(v: Any) -> Any:
        if isinstance(v, dict) and "$msg" in v:
            return Msg(v["$msg"])
        if isinstance(v, dict) and "$code" in v:
            return Code(*v["$code"])
        return v

    return [Reason(d.get("article", ""), d.get("field", ""), d.get("msgid", ""),
                   {k: param(v) for k, v in (d.get("params") or {}).items()}) for d in data]


# --------------------------------------------------------------------------- what an operation read and touched


def _key(obj: Any) -> str | None:
    table = getattr(obj, "__tablename__", None)
    if table is None or table in _NOT_EFFECTS or not hasattr(obj, "id"):
        return None
    return f"{table}:{obj.id}"


def content_hash(values: dict[str, Any]) -> str:
    return hashlib.sha256(dumps(values).encode("utf-8")).hexdigest()


def row_state(obj: Any) -> list:
    """[version, sha256 of the row's columns] as read (version and timestamps aside)."""
    from core.audit import _plain, snapshot

    values = snapshot(obj)
    committed = sa_inspect(obj).committed_state
    for k in list(values):
        if k in committed:
            values[k] = _plain(committed[k])
    return [getattr(obj, "version", None), content_hash(values)]


def _on_load(session: _SASession, instance: Any) -> None:
    ctx = CURRENT.get()
    if ctx is None or ctx.mode != RECORD or ctx.session is not session or not isinstance(instance, Record):
        return
    key = _key(instance)
    if key is not None and key not in ctx.reads:
        ctx.reads[key] = row_state(instance)


def _on_flush(session: _SASession, _flush_context, _instances) -> None:
    ctx = CURRENT.get()
    if ctx is not None and ctx.session is session:
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            key = _key(obj)
            if key is None:
                continue
            ctx.touched.add(key)
            if ctx.mode == RECORD and obj not in session.new and isinstance(obj, Record) and key not in ctx.reads:
                ctx.reads[key] = row_state(obj)
        return
    _guard(session)


def _guard(session: _SASession) -> None:
    """On a branch, a change outside an operation would never reach the centre: refuse it."""
    if session.info.get(_LOCAL_ACTIVE):
        return
    events = [o for o in session.new if isinstance(o, AuditEvent)
              and not str(o.action).startswith(LOCAL_ACTION_PREFIX)]
    if events and branch_code(session):
        raise DomainError.one("", "branch", N_("{action} is done at the centre, not at a branch office: it would "
                                               "never reach the centre from here."),
                              action=Code("action", events[0].action))


sa_event.listen(_SASession, "loaded_as_persistent", _on_load)
sa_event.listen(_SASession, "before_flush", _on_flush)


# --------------------------------------------------------------------------- the centre


def payload(op: OutboxOp) -> dict[str, Any]:
    """The operation as it travels to the centre."""
    return {"format": FORMAT, "op_id": str(op.op_id), "seed": str(op.seed), "service": op.service,
            "inputs": json.loads(op.inputs), "actor": op.actor, "actor_role": op.actor_role, "branch": op.branch,
            "seq": op.seq, "local_at": op.local_at, "reads": json.loads(op.reads), "numbers": json.loads(op.numbers),
            "retry_of": str(op.retry_of) if op.retry_of else None}


def _models() -> dict[str, type]:
    from sqlmodel import SQLModel

    return {m.class_.__tablename__: m.class_ for m in SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
            if hasattr(m.class_, "__tablename__")}


def stale_reasons(session, reads: dict[str, list]) -> list[Reason]:
    """The enrollee-scoped rows the operation read that the centre now holds
    differently (another branch or the centre changed them since the pull)."""
    models = _models()
    out: list[Reason] = []
    for key, (version, digest) in sorted(reads.items()):
        table, _, row_id = key.partition(":")
        if table not in STALE_CHECKED or table not in models:
            continue
        row = session.get(models[table], uuid.UUID(row_id))
        if row is None:
            out.append(Reason("", "version", N_("The {table} record this operation worked on is not at the "
                                                "centre (an earlier operation on it was refused)."),
                              {"table": Code("record_kind", table)}))
        elif row_state(row)[1] != digest:
            out.append(Reason("", "version", N_("The {table} record changed at the centre after this branch read "
                                                "it (version {seen} here, {now} at the centre)."),
                              {"table": Code("record_kind", table), "seen": version, "now": row.version}))
    return out


def replay(session, op: dict[str, Any], *, policy_for: Callable[[str, str], Any]) -> Any:
    """Apply operation ``op`` at the centre: the same service, as the caseworker
    it names (their role as the centre knows it), creating the same ids and
    handing out the numbers the branch gave. Raises DomainError on refusal."""
    from core.auth import actor_for

    service = REGISTRY.get(op.get("service", ""))
    if service is None or op.get("format") != FORMAT:
        raise DomainError.one("", "service", N_("The centre does not know the operation {service}."),
                              service=str(op.get("service"))[:64])
    actor = actor_for(session, op["actor"])
    stale = stale_reasons(session, op.get("reads") or {})
    if stale:
        raise DomainError(stale)
    kwargs = decode(op["inputs"], policy_for=policy_for)
    if not isinstance(kwargs, dict):
        raise DomainError.one("", "inputs", N_("The operation carries an input casedesk cannot read."))
    ctx = OpContext(op_id=uuid.UUID(op["op_id"]), seed=uuid.UUID(op["seed"]), branch=op["branch"], mode=REPLAY,
                    session=session, numbers=list(op.get("numbers") or []))
    with active(ctx):
        result = service(session, actor, **kwargs)
        session.flush()
    return result
