"""Walk demo enrollees through every workflow with the real services."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import Engine

from core.policy import Policy


def fill_workflows(engine: Engine, policy: Policy, rng: random.Random, today: date) -> dict[str, int]:
    return {}
