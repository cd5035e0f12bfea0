"""Data sets for the benchmarks, built once by the project's own generator
(``casedesk demo --enrollees N --expenses M``) and reused from ``data_dir``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.figure import ROOT

#: the caseworker the data sets are opened as (``casedesk demo`` fills a demo database, which any OS user may use)
DEFAULT_DIR = ROOT / "bench" / ".data"


def data_dir(given: str | None = None) -> Path:
    return Path(given or os.environ.get("CASEDESK_BENCH_DATA") or DEFAULT_DIR)


def dataset_path(directory: Path, enrollees: int, expenses: int) -> Path:
    return directory / f"e{enrollees}_x{expenses}.db"


def dataset(directory: Path, *, enrollees: int, expenses: int, log: Callable[[str], None] = print) -> Path:
    """The SQLite file with ``enrollees`` and ``expenses`` rows, built by
    ``casedesk demo`` when it is not there yet (a half-built file is removed)."""
    path = dataset_path(directory, enrollees, expenses)
    if path.exists() and not path.with_suffix(".building").exists():
        _upgrade(path, log)
        return path
    directory.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    marker = path.with_suffix(".building")
    marker.touch()
    cmd = [sys.executable, "-m", "cli", "--db", str(path), "demo", "--enrollees", str(enrollees)]
    if expenses:
        cmd += ["--expenses", str(expenses)]
    log(f"building {path.name}: {' '.join(cmd[2:])}")
    t = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"casedesk demo failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    marker.unlink()
    log(f"built {path.name} in {time.perf_counter() - t:.0f} s")
    return path


def _upgrade(path: Path, log: Callable[[str], None]) -> None:
    """A data set built by an older casedesk is migrated to this one's head
    (in place, no backup: it can be built again)."""
    from core.db import HEAD_REVISION, current_revision, make_engine, upgrade

    eng = make_engine(f"sqlite:///{path}")
    try:
        if current_revision(eng) != HEAD_REVISION:
            log(f"upgrading {path.name} from {current_revision(eng)} to {HEAD_REVISION}")
            upgrade(eng)
    finally:
        eng.dispose()
