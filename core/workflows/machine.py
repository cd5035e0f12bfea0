"""The shape of a workflow machine: states, events, and what may fire when.

A machine is a frozen, declarative table (:class:`Machine`): its states, each
with the *tags* that say what the state counts as ("gives benefits", "in
process", "open" …), and its events, each with the states it fires from,
the state(s) it leads to, the permission it needs, the article it rests on,
the fields holding its step date, and the name of the guard that asks the
rules. Everything that asks "does this state count as X" reads
:meth:`Machine.tagged` or :meth:`Machine.sources`; no other status set exists.

This module imports nothing but the error types: the rules import the
definitions (:mod:`core.workflows.definitions`) without side effects, and the
guards (which import the rules) are resolved by name only when
:func:`allowed_steps` runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.errors import DomainError, PermissionDenied, Reason
from core.i18n import N_, Code, Msg

#: a state name meaning "the record does not exist yet" (creation events)
START = "(new)"

#: permission -> the role that first holds it (for the role refusal message)
_NEEDED_ROLE = {"lookup": "clerk", "record": "clerk", "review": "reviewer", "admin": "admin"}


@dataclass(frozen=True)
class State:
    name: str
    tags: frozenset[str] = frozenset()
    final: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name))  # a StrEnum member stored as its plain value


@dataclass(frozen=True)
class Event:
    """One step. ``sources`` are the states it fires from (``START`` for a
    creation), ``targets`` the states it may lead to (several when the rules
    pick one, e.g. the decision on an investigation case)."""

    name: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    permission: str  # core.auth permission: record | review | admin
    article: str  # where the pack keeps the article's tag (``certificates.article``): Policy.article(path)
    action: str  # msgid of the verb phrase ("confirm certificates"), shared with actor.require
    guard: str = ""  # "module:function" in core.workflows.guards (asks the rules)
    forward: bool = False  # the next step of the main path (the TUI's "continue")
    fired_by: str = ""  # set when another record's event fires this one (renewal -> supersede)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(str(s) for s in self.sources))
        object.__setattr__(self, "targets", tuple(str(s) for s in self.targets))


@dataclass(frozen=True)
class Machine:
    name: str  # the workflow word: certificates, investigations, …
    entity: str  # table name of the record
    label_kind: str  # core.labels kind of the state labels ("certificate_status"), "" if none
    states: tuple[State, ...]
    events: tuple[Event, ...]
    #: record fields holding the dates of steps already taken (the "previous step")
    step_dates: tuple[str, ...]
    #: record attribute holding the state, or "" when it is derived by ``state_of``
    status_field: str = "status"
    state_of: Callable[[Any], str] | None = field(default=None, compare=False)
    number_field: str = "number"

    # ------------------------------------------------------------------ reading the table

    def state(self, name: str) -> State:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(f"{self.name}: no state {name!r}")

    def event(self, name: str) -> Event:
        for e in self.events:
            if e.name == name:
                return e
        raise KeyError(f"{self.name}: no event {name!r}")

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    def tagged(self, *tags: str) -> frozenset[str]:
        """States carrying any of ``tags``."""
        return frozenset(s.name for s in self.states if s.tags & set(tags))

    def sources(self, event: str) -> frozenset[str]:
        """States ``event`` fires from."""
        return frozenset(s for s in self.event(event).sources if s != START)

    def next_event(self, state: str) -> Event | None:
        """The forward step from ``state`` (draft → sign → seal → confirm)."""
        return next((e for e in self.events if e.forward and state in e.sources), None)

    def transitions(self) -> list[tuple[Event, str, str]]:
        """Every (event, from, to) the table declares."""
        return [(e, s, t) for e in self.events for s in e.sources for t in e.targets]

    def current(self, record: Any) -> str:
        if record is None:
            return START
        if self.state_of is not None:
            return self.state_of(record)
        return str(getattr(record, self.status_field))

    def can_fire(self, event: str, state: str) -> bool:
        return state in self.event(event).sources

    def check_sql(self) -> str:
        """The CHECK condition keeping the status column to the machine's states."""
        values = ", ".join(f"'{s}'" for s in sorted(self.state_names))
        return f"{self.status_field} IN ({values})"

    @property
    def check_name(self) -> str:
        return f"ck_{self.entity}_{self.status_field}"

    # ------------------------------------------------------------------ generic refusals

    def label(self, record: Any) -> str:
        if record is None:
            return ""
        return str(getattr(record, self.number_field, "") or getattr(record, "id", ""))

    def state_reasons(self, event: Event, record: Any, policy: Any = None) -> list[Reason]:
        state = self.current(record)
        if state in event.sources:
            return []
        wanted = tuple(s for s in event.sources if s != START)
        shown = _CodeList(self.label_kind, wanted) if self.label_kind else " / ".join(wanted)
        return [Reason(cite(event, policy), "status",
                       N_("{record} is {status}; to {action} it must be {wanted}."),
                       {"record": self.label(record) or self.entity, "status": self._code(state),
                        "action": Msg(event.action), "wanted": shown})]

    def _code(self, state: str):
        return Code(self.label_kind, state) if self.label_kind else state

    def last_step_on(self, record: Any) -> date | None:
        if record is None:
            return None
        days = [d for f in self.step_dates if isinstance(d := getattr(record, f, None), date)]
        return max(days) if days else None


@dataclass(frozen=True)
class _CodeList:
    """Several state codes as one message parameter, each shown through its label."""

    kind: str
    values: tuple[str, ...]

    def text(self, lang: str) -> str:
        return " / ".join(Code(self.kind, v).text(lang) for v in self.values)

    def __str__(self) -> str:
        return " / ".join(self.values)


# --------------------------------------------------------------------------- dates


def date_reasons(article: str, on: date, today: date | None, previous: date | None,
                 field_name: str = "on") -> list[Reason]:
    """One rule for every step: its date is never after the business date
    ``today`` and never before ``previous``, the date of the record's step
    before (RULES.md: each step follows the one before it)."""
    out: list[Reason] = []
    if today is not None and on > today:
        out.append(Reason(article, field_name, N_("The step is dated {on}, after the business date {today}."),
                          {"on": on.isoformat(), "today": today.isoformat()}))
    if previous is not None and on < previous:
        out.append(Reason(article, field_name, N_("{on} is before {since}, the date of the step before."),
                          {"on": on.isoformat(), "since": previous.isoformat()}))
    return out


# --------------------------------------------------------------------------- allowed steps


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at besides the record: the acting caseworker,
    the step date, the business date, the policy pack, facts loaded by the
    caller (``core.services.steps`` loads them), and the inputs typed so far
    (a guard skips an input check when the input is not given)."""

    actor: Any
    on: date
    today: date | None
    policy: Any = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] | None = None

    def fact(self, name: str, default: Any = None) -> Any:
        return self.facts.get(name, default)

    def has_input(self, name: str) -> bool:
        return self.inputs is not None and name in self.inputs

    def input(self, name: str, default: Any = None) -> Any:
        return (self.inputs or {}).get(name, default)


@dataclass(frozen=True)
class Step:
    """One event of a record's machine, allowed or refused, with every reason."""

    machine: str
    event: str
    action: str  # msgid
    permission: str
    article: str
    state: str
    targets: tuple[str, ...]
    allowed: bool
    reasons: tuple[Reason, ...] = ()

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        from core.i18n import translate

        return {"machine": self.machine, "event": self.event, "action": translate(self.action, lang),
                "permission": self.permission, "article": self.article, "state": self.state,
                "targets": list(self.targets), "allowed": self.allowed,
                "reasons": [r.as_dict(lang) for r in self.reasons]}

    def raise_if_refused(self) -> None:
        if self.allowed:
            return
        if any(r.field == "role" for r in self.reasons):
            raise PermissionDenied([r for r in self.reasons if r.field == "role"])
        raise DomainError(list(self.reasons))


def _guard(path: str) -> Callable[[Any, GuardContext], list[Reason]] | None:
    if not path:
        return None
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def cite(event: Event, policy: Any) -> str:
    """The pack's tag for ``event`` (its ``article`` is a path into the pack);
    "" when no pack is given: the machines name no city's article."""
    return policy.article(event.article) if policy is not None else ""


def role_reason(event: Event, actor: Any, policy: Any = None) -> list[Reason]:
    if actor.can(event.permission):
        return []
    return [Reason(cite(event, policy), "role", N_("{user} ({role}) may not {action}: it needs the {needed} role."),
                   {"user": actor.username, "role": actor.role, "action": Msg(event.action),
                    "needed": _NEEDED_ROLE.get(event.permission, event.permission)})]


def check_step(machine: Machine, event: str | Event, record: Any, actor: Any, on: date, *,
               today: date | None = None, policy: Any = None, facts: Mapping[str, Any] | None = None,
               inputs: Mapping[str, Any] | None = None, guard: bool = True) -> Step:
    """Would ``event`` be allowed on ``record`` (None for a creation) for
    ``actor`` on ``on``? Every reason is gathered: role, the rules' guard,
    the machine's state (unless the rules already named the status), dates."""
    ev = machine.event(event) if isinstance(event, str) else event
    state = machine.current(record)
    article = cite(ev, policy)
    reasons = role_reason(ev, actor, policy)
    dated = date_reasons(article, on, today, machine.last_step_on(record))
    fn = _guard(ev.guard) if guard else None
    ruled = False
    if fn is not None and (record is not None or state in ev.sources):
        # the rules speak first: their message names what is missing ("not verified yet")
        ctx = GuardContext(actor=actor, on=on, today=today, policy=policy, facts=dict(facts or {}),
                           inputs=inputs)
        seen = {(r.field, r.msgid) for r in dated}  # a rule's own "before the step before" is said once
        said = [r for r in fn(record, ctx) if not r.ok and r not in reasons and (r.field, r.msgid) not in seen]
        reasons += said
        ruled = bool(said)
    if not ruled:  # the rules named nothing: the machine says why the state does not allow it
        reasons += machine.state_reasons(ev, record, policy)
    reasons += dated
    return Step(machine=machine.name, event=ev.name, action=ev.action, permission=ev.permission,
                article=article, state=state, targets=ev.targets, allowed=not reasons,
                reasons=tuple(reasons))


def require_role(machine: Machine, event: str, actor: Any, policy: Any = None) -> None:
    """The role check alone, before the record is loaded (PermissionDenied)."""
    reasons = role_reason(machine.event(event), actor, policy)
    if reasons:
        raise PermissionDenied(reasons)


def require_step(machine: Machine, event: str, record: Any, actor: Any, on: date, *,
                 today: date | None = None, guard: bool = False, **kw: Any) -> Step:
    """:func:`check_step`, raising when refused (role first: PermissionDenied).
    Services call it before their own rules; with ``guard=True`` (and the
    inputs in hand) the rules' reasons come first in the refusal."""
    step = check_step(machine, event, record, actor, on, today=today, guard=guard, **kw)
    step.raise_if_refused()
    return step
