"""The workflow machines (issue 7), tested from their own tables: every event
from every state, allowed where the table says so and refused elsewhere,
through the services on a real SQLite file, with ``allowed_steps`` giving
the same answer before the step is taken. A new state or event in
core/workflows/definitions.py is tested here without a new line of test
(the drivers in tests/machine_drivers.py must learn to reach and fire it, or
``test_every_state_and_event_has_a_driver`` fails).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from certificate_world import make_world
from conftest import db_fingerprint
from core.db import write_session
from core.errors import DomainError, PermissionDenied
from core.services.steps import steps_for
from core.workflows import MACHINES, START, step
from machine_drivers import MODELS, TODAY, Driver

ROOT = Path(__file__).resolve().parents[1]

CASES = [(m.name, e.name, s) for m in MACHINES for e in m.events if any(x != START for x in e.sources)
         for s in m.state_names]


@pytest.fixture
def drive(engine, build, policy, clerk, reviewer):
    return Driver(make_world(engine, build, policy, clerk, reviewer), build, policy, clerk, reviewer)


def _actor(drive, event):
    return drive.reviewer if event.permission == "review" else drive.clerk


def _steps(drive, ref, actor, on, today=TODAY):
    with write_session(drive.w.engine) as s:
        return steps_for(s, s.get(MODELS[ref.machine], ref.id), actor, on, policy=drive.policy, today=today)


def test_every_state_and_event_has_a_driver(drive):
    for m in MACHINES:
        assert hasattr(drive, f"reach_{m.name}") and hasattr(drive, f"fire_{m.name}"), m.name
    assert {m.name for m in MACHINES} == set(MODELS)


@pytest.mark.parametrize(("machine", "event", "state"), CASES, ids=["-".join(c) for c in CASES])
def test_transition_allowed_exactly_where_the_table_says(drive, engine, machine, event, state):
    m = next(x for x in MACHINES if x.name == machine)
    ev = m.event(event)
    ref = drive.reach(machine, state)
    assert m.current(drive.load(ref)) == state  # reached through the services
    actor = _actor(drive, ev)
    on = drive.prepare(machine, event, ref)
    if not ev.fired_by:
        answer = step(_steps(drive, ref, actor, on), event)
        assert answer is not None
        assert answer.allowed == (state in ev.sources), answer.reasons
    if state in ev.sources:
        drive.fire(machine, event, ref, actor, on)
        assert m.current(drive.load(ref)) in ev.targets
        return
    before = drive.load(ref)
    try:
        drive.fire(machine, event, ref, actor, on)
    except DomainError as err:
        assert err.reasons and all(not r.ok for r in err.reasons)
    after = drive.load(ref)
    # refused: the record did not move (an event fired by another record's step leaves it alone)
    assert (m.current(after), after.version) == (m.current(before), before.version)


REVIEW = [(m.name, e.name, e.sources[0]) for m in MACHINES for e in m.events
          if e.permission == "review" and e.sources[0] != START and not e.fired_by]


@pytest.mark.parametrize(("machine", "event", "state"), REVIEW, ids=["-".join(c) for c in REVIEW])
def test_clerk_refused_every_review_step_and_never_offered_it(drive, engine, machine, event, state):
    ref = drive.reach(machine, state)
    on = drive.prepare(machine, event, ref)
    answer = step(_steps(drive, ref, drive.clerk, on), event)
    assert not answer.allowed and "role" in {r.field for r in answer.reasons}
    before = db_fingerprint(engine)
    with pytest.raises(PermissionDenied):
        drive.fire(machine, event, ref, drive.clerk, on)
    assert db_fingerprint(engine) == before


DATED = [(m.name, e.name, e.sources[-1]) for m in MACHINES for e in m.events
         if e.sources[-1] != START and not e.fired_by]


@pytest.mark.parametrize(("machine", "event", "state"), DATED, ids=["-".join(c) for c in DATED])
def test_step_dated_after_the_business_date_refused(drive, engine, machine, event, state):
    """One date rule: never after the business date (field ``on``, the event's article)."""
    m = next(x for x in MACHINES if x.name == machine)
    ref = drive.reach(machine, state)
    actor = _actor(drive, m.event(event))
    today = drive.prepare(machine, event, ref)
    on = today + timedelta(days=30)
    answer = step(_steps(drive, ref, actor, on, today=today), event)
    assert not answer.allowed and ("on", drive.policy.article(m.event(event).article)) in {(r.field, r.article) for r in answer.reasons}
    before = drive.load(ref)
    with pytest.raises(DomainError) as err:
        drive.fire(machine, event, ref, actor, on, today=today)
    assert "on" in {r.field for r in err.value.reasons}
    assert drive.load(ref).version == before.version


@pytest.mark.parametrize(("machine", "event", "state"), DATED, ids=["-".join(c) for c in DATED])
def test_step_dated_before_the_records_previous_step_refused(drive, engine, machine, event, state):
    """One date rule: never before the previous step of the same record."""
    m = next(x for x in MACHINES if x.name == machine)
    ref = drive.reach(machine, state)
    drive.prepare(machine, event, ref)
    record = drive.load(ref)
    last = m.last_step_on(record)
    if last is None:
        pytest.skip(f"{machine} in {state} has no dated step yet")
    actor = _actor(drive, m.event(event))
    on = last - timedelta(days=1)
    answer = step(_steps(drive, ref, actor, on), event)
    assert not answer.allowed and "on" in {r.field for r in answer.reasons}
    with pytest.raises(DomainError) as err:
        drive.fire(machine, event, ref, actor, on)
    assert "on" in {r.field for r in err.value.reasons}
    assert drive.load(ref).version == record.version


# --------------------------------------------------------------------------- the database holds only states


STATUS_MACHINES = [m for m in MACHINES if m.status_field]


@pytest.mark.parametrize("machine", STATUS_MACHINES, ids=[m.name for m in STATUS_MACHINES])
def test_status_column_holds_only_the_machines_states(drive, engine, machine):
    ref = drive.reach(machine.name, next(s.name for s in machine.states if not s.final))
    table, key = machine.entity, ref.id.hex
    for state in machine.state_names:
        with engine.begin() as c:
            c.execute(text(f"UPDATE {table} SET status = :s WHERE id = :i"), {"s": state, "i": key})
    with pytest.raises(IntegrityError, match=f"ck_{table}_status"):
        with engine.begin() as c:
            c.execute(text(f"UPDATE {table} SET status = 'stray' WHERE id = :i"), {"i": key})


def test_the_migration_lists_the_machines_states():
    from importlib import import_module

    states: dict = {}  # 0003 wrote the first machines' states; a table made later lists its own
    for path in sorted((ROOT / "core" / "migrations" / "versions").glob("0*.py")):
        states.update(getattr(import_module(f"core.migrations.versions.{path.stem}"), "STATES", {}))
    assert states == {m.entity: tuple(sorted(m.state_names)) for m in STATUS_MACHINES}


# --------------------------------------------------------------------------- the diagram


def test_docs_workflows_is_generated_from_the_machines():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "machines.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_status_set_outside_the_machines():
    """Every "does this state count as X" set is derived from core.workflows:
    no module names two or more states of a machine in one collection."""
    import re

    pattern = re.compile(r"\{[^{}]*Status\.\w+[^{}]*Status\.\w+[^{}]*\}|\([^()]*Status\.\w+,[^()]*Status\.\w+[^()]*\)"
                         r"|\[[^\[\]]*Status\.\w+,[^\[\]]*Status\.\w+[^\[\]]*\]")
    offenders = []
    for pkg in ("core", "tui", "cli"):
        for path in (ROOT / pkg).rglob("*.py"):
            if "workflows" in path.parts or "migrations" in path.parts:
                continue
            for match in pattern.finditer(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)[:80]}")
    assert offenders == []
