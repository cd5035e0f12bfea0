"""``python -m bench`` runs end to end on a tiny data set (a few hundred
enrollees built by ``casedesk demo``): every figure row prints, the
counter's figures each with their hand-written baseline (issue 10 item 5).
The figures' values mean nothing at this size; the run must not crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WITH_BASELINE = ("lookup", "worklist", "casedesk lookup", "casedesk check", "TUI")


def test_bench_runs_on_a_tiny_data_set_and_prints_every_figure(tmp_path):
    cmd = [sys.executable, "-m", "bench", "--enrollees", "300", "--expenses", "3000", "--reps", "1",
           "--data-dir", str(tmp_path), "--skip", "scan_pg"]  # PostgreSQL figures build their own sets
    done = subprocess.run(cmd + ["--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    figs = report["figures"]
    names = [f["name"] for f in figs]
    for needed in ("lookup by ID number, p50", "lookup by card number, p99", "lookup by whole name, p99",
                   "TUI cold start", "TUI keystroke to results, whole ID number", "TUI peak RSS",
                   "`casedesk lookup` as a process", "`casedesk check` as a process", "worklist"):
        assert any(n.startswith(needed) for n in names), (needed, names)
    for f in figs:
        assert isinstance(f["casedesk"], (int, float)) and f["target"], f
        if f["name"].startswith(WITH_BASELINE) or f["name"].startswith("`casedesk"):
            assert isinstance(f["baseline"], (int, float)) and f["baseline"] > 0, f
            assert f["ratio"] is not None, f
            assert f["met"] in (True, False) or f["target"] == "-", f  # "-": shown for comparison only
    # the data set was built once and is reused by the next run (the table form this time)
    again = subprocess.run(cmd + ["--only", "lookup"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "building" not in again.stderr
    for name in names:
        if "lookup" in name and "process" not in name:
            assert name in again.stdout
