"""``python -m bench``: every figure of issue 10 beside its hand-written
baseline, measured in the same run (interleaved, medians), as one table.

    python -m bench                 # 1M enrollees / 10M expenses (data sets built once, then reused)
    python -m bench --quick         # 100k / 1M, a couple of minutes (.ci/run runs it, without bounds)
    python -m bench --json          # the figures as JSON on stdout
    python -m bench --only lookup   # the modules whose name holds "lookup"

Data sets live in bench/.data (``--data-dir`` or CASEDESK_BENCH_DATA to move
them) and are built by ``casedesk demo --enrollees N --expenses M``. A figure
that misses its target is reported, never an error: the exit status is
non-zero only when something crashed.

Each module in :data:`MODULES` exposes ``figures(run: bench.figure.Run) ->
list[bench.figure.Figure]`` (see /work/coord/notes/interfaces.md).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.data import data_dir  # noqa: E402
from bench.figure import Figure, Run  # noqa: E402

#: the bench modules, in the order their rows are printed
MODULES = ["bench.build", "bench.lookup", "bench.worklist", "bench.startup", "bench.scan", "bench.scan_pg"]

SIZES = {"quick": (100_000, 1_000_000), "full": (1_000_000, 10_000_000)}


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu or platform.processor(), "python": platform.python_version(),
            "system": platform.platform(), "load_average": list(os.getloadavg())}


def fmt(v: float | None, unit: str = "") -> str:
    if v is None or v != v:
        return "-"
    text = f"{v:.3f}" if abs(v) < 1 else f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"
    return f"{text} {unit}".strip()


def table(figs: list[Figure]) -> str:
    head = ("figure", "casedesk", "baseline", "ratio", "target", "met")
    rows = [(f.name + (f"  [{f.note}]" if f.note else ""), fmt(f.casedesk, f.unit), fmt(f.baseline, f.unit),
             fmt(f.ratio, "x") if f.ratio is not None else "-", f.target,
             "-" if f.met is None else ("yes" if f.met else "NO")) for f in figs]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(head), line(tuple("-" * w for w in widths)), *map(line, rows)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100k enrollees / 1M expenses")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--json-out", default=None, help="also write the figures as JSON to this file")
    ap.add_argument("--only", default="", help="run the modules whose name holds this")
    ap.add_argument("--skip", action="append", default=[], help="skip the modules whose name holds this (repeatable)")
    ap.add_argument("--data-dir", default=None, help="where data sets are built and reused (default bench/.data)")
    ap.add_argument("--enrollees", type=int, default=None, help="data set size (overrides the mode's)")
    ap.add_argument("--expenses", type=int, default=None, help="data set size (overrides the mode's)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions of each measurement (default 3, quick 1)")
    args = ap.parse_args(argv)
    enrollees, expenses = SIZES["quick" if args.quick else "full"]
    run = Run(quick=args.quick, data_dir=data_dir(args.data_dir),
              enrollees=args.enrollees if args.enrollees is not None else enrollees,
              expenses=args.expenses if args.expenses is not None else expenses,
              reps=args.reps if args.reps is not None else (1 if args.quick else 3))
    started = time.perf_counter()
    info = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "enrollees": run.enrollees, "expenses": run.expenses, "quick": run.quick}
    figs: list[Figure] = []
    for name in MODULES:
        if args.only and args.only not in name or any(k in name for k in args.skip):
            continue
        t = time.perf_counter()
        run.log(f"{name} …")
        figs += importlib.import_module(name).figures(run)
        run.log(f"{name}: {time.perf_counter() - t:.0f} s")
    info["seconds"] = round(time.perf_counter() - started, 1)
    info["load_average_after"] = list(os.getloadavg())
    report = json.dumps({**info, "figures": [f.as_dict() for f in figs]}, indent=2, ensure_ascii=False)
    if args.json_out:
        Path(args.json_out).write_text(report + "\n", encoding="utf-8")
    if args.json:
        print(report)
        return 0
    m = info["machine"]
    print(f"{info['date']}: {m['cpus']} cpus ({m['cpu']}), load average {m['load_average'][0]:.1f} at start, "
          f"{info['load_average_after'][0]:.1f} at the end; {run.enrollees:,} enrollees, {run.expenses:,} expenses; "
          f"{info['seconds']:.0f} s")
    print(table(figs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
