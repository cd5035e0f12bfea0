"""Building the data sets and what they take on disk (issue 10 items 1, 2).

* ``casedesk demo --enrollees N`` into a new file, timed here (wall, and the
  CPU seconds of the process, which a machine shared with other work
  inflates less than the wall clock);
* ``casedesk demo --enrollees N --expenses M``: the data set the other
  modules use; its build time is the one recorded in the file when it was
  built (``casedesk_meta.demo_build_seconds``: wall and CPU seconds);
* bytes per expense row: the expense table's pages (``dbstat``) over its rows.

There is no baseline for these (the issue's targets are absolute).
"""

from __future__ import annotations

import resource
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, Run, python, run_process  # noqa: E402


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def build_enrollees(directory: Path, enrollees: int) -> tuple[float, float]:
    """(wall, CPU) seconds of ``casedesk demo --enrollees N`` into a new file (removed after)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"build_e{enrollees}.db"
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = run_process([python(), "-m", "cli", "--db", str(path), "demo", "--enrollees", str(enrollees)])
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"casedesk demo failed: {done.stderr.strip()[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def recorded_build(path: Path) -> tuple[float, float] | None:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        row = c.execute("SELECT value FROM casedesk_meta WHERE key = 'demo_build_seconds'").fetchone()
    if not row:
        return None
    wall, cpu = (float(x) for x in row[0].split())
    return wall, cpu


def bytes_per_expense(path: Path) -> tuple[float, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        pages = c.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'expense_record'").fetchone()[0] or 0
        rows = c.execute("SELECT count(*) FROM expense_record").fetchone()[0]
    return (pages / rows if rows else float("nan")), rows


def figures(run: Run) -> list[Figure]:
    out = []
    path = run.dataset()
    wall, cpu = build_enrollees(run.data_dir, run.enrollees)
    f = Figure(f"build {_size(run.enrollees)} enrollees (casedesk demo)", wall, None, "s",
               "<= 60 s" if not run.quick else "-", note=f"CPU {cpu:.0f} s")
    out.append(f.check(max_value=60.0) if not run.quick else f)
    rec = recorded_build(path)
    if rec:
        f = Figure(f"build {_size(run.enrollees)} enrollees + {_size(run.expenses)} expenses", rec[0], None, "s",
                   "<= 180 s" if not run.quick else "-", note=f"CPU {rec[1]:.0f} s, recorded when built")
        out.append(f.check(max_value=180.0) if not run.quick else f)
    per_row, rows = bytes_per_expense(path)
    out.append(Figure(f"expense storage ({_size(rows)} rows)", per_row, None, "B/row", "<= 200 B/row")
               .check(max_value=200.0))
    return out


if __name__ == "__main__":
    for a in sys.argv[1:]:
        print(a, bytes_per_expense(Path(a)), recorded_build(Path(a)))
