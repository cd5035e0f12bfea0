"""What every bench module returns, and the helpers they share.

A :class:`Figure` is one row of the table ``python -m bench`` prints: what
casedesk took, what the hand-written baseline took in the same run, their
ratio and the target. Timings are medians of runs interleaved with the
baseline's (casedesk, baseline, casedesk, baseline …), so a machine shared
with other work slows both alike.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figure:
    name: str
    casedesk: float
    baseline: float | None
    unit: str  # ms | s | MB | B/row | x
    target: str  # "<= 3x", "<= 2 ms"
    ratio: float | None = None
    met: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.casedesk / self.baseline

    def check(self, *, max_ratio: float | None = None, max_value: float | None = None) -> "Figure":
        """Fill ``met``: the ratio and/or the value within their bounds."""
        ok = True
        if max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= max_ratio
        if max_value is not None:
            ok = ok and self.casedesk <= max_value
        self.met = ok
        return self

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Run:
    """One benchmark run: its data set size, repetitions and where data sets live."""

    quick: bool
    data_dir: Path
    enrollees: int
    expenses: int
    reps: int
    log: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr, flush=True))

    def dataset(self, enrollees: int | None = None, expenses: int | None = None) -> Path:
        from bench.data import dataset

        return dataset(self.data_dir, enrollees=self.enrollees if enrollees is None else enrollees,
                       expenses=self.expenses if expenses is None else expenses, log=self.log)


def interleave(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each callable, ``rounds`` times, taking turns."""
    out: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(rounds):
        for k, fn in runs.items():
            t = time.perf_counter()
            fn()
            out[k].append(time.perf_counter() - t)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def quantile(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * q))] if v else float("nan")


def python() -> str:
    return sys.executable


def run_process(cmd: list[str], *, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
