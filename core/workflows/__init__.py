"""One machine per workflow (issue 7): the states, events, roles, articles
and guards of certificates, investigation cases, off-site filings, record
books, replacements, monthly batches and health-centre selections.

* :mod:`core.workflows.machine` — the table shape and the generic checks
  (state, role, the one date rule), :func:`allowed_steps`.
* :mod:`core.workflows.definitions` — the seven tables and the derived
  state sets (the only status sets in the code).
* :mod:`core.workflows.guards` — each event's guard, asking the rules.

``allowed_steps(record, actor, on)`` is pure: pass ``facts`` (or use
:func:`core.services.steps.steps_for`, which loads them from a session) for
the guards that look beyond the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core.workflows.definitions import (  # noqa: F401
    BATCH,
    BOOK,
    BY_ENTITY,
    BY_NAME,
    CASE,
    CERTIFICATE,
    CLAIM,
    FILING,
    HEALTH_CENTRE,
    MACHINES,
    REPLACEMENT,
    machine_for,
)
from core.workflows.machine import (  # noqa: F401
    START,
    Event,
    GuardContext,
    Machine,
    State,
    Step,
    check_step,
    date_reasons,
    require_role,
    require_step,
)


def allowed_steps(record: Any, actor: Any, on: date, *, machine: Machine | None = None,
                  today: date | None = None, policy: Any = None, facts: Mapping[str, Any] | None = None,
                  inputs: Mapping[str, Any] | None = None) -> tuple[Step, ...]:
    """Every event of the record's machine, each allowed or refused with all
    its reasons (article, field, message). ``record`` None (with
    ``machine``) asks about the creation events. Events another record fires
    (``fired_by``: the supersession by a renewal) are left out."""
    m = machine or machine_for(record)
    wanted = [e for e in m.events if not e.fired_by
              and (START in e.sources if record is None else any(s != START for s in e.sources))]
    return tuple(check_step(m, e, record, actor, on, today=today, policy=policy, facts=facts, inputs=inputs)
                 for e in wanted)


def step(steps: tuple[Step, ...], event: str) -> Step | None:
    """The step named ``event`` in an :func:`allowed_steps` answer."""
    return next((s for s in steps if s.event == event), None)
