"""The worklist as the data set grows ten times (100k -> 1M enrollees; in
--quick 10k -> 100k): :func:`core.services.worklist.worklist` for the whole
agency, first 200 items, on the two data sets in turn (interleaved). An
O(log n + k) list grows little; the target is <= 1.5x."""

from __future__ import annotations

from datetime import date

from bench.figure import Figure, Run, interleave, median


def figures(run: Run) -> list[Figure]:
    from core.db import make_engine, read_session
    from core.policy import load_pack
    from core.services.worklist import worklist

    small_n = max(300, run.enrollees // 10)
    big = run.dataset()
    small = run.dataset(enrollees=small_n, expenses=max(0, run.expenses // 10)) if small_n < run.enrollees else big
    pol = load_pack()
    engines = {"big": make_engine(f"sqlite:///{big}"), "small": make_engine(f"sqlite:///{small}")}
    sessions = {k: read_session(e).__enter__() for k, e in engines.items()}  # noqa: PLC2801
    try:
        today = date.today()
        for s in sessions.values():
            worklist(s, pol, on=today, limit=200)  # warm the page cache alike
        times = interleave({k: (lambda s=s: worklist(s, pol, on=today, limit=200)) for k, s in sessions.items()},
                           max(3, 5 * run.reps))
        shown = worklist(sessions["big"], pol, on=today, limit=200)
    finally:
        for s in sessions.values():
            s.close()
        for e in engines.values():
            e.dispose()
    b, sm = median(times["big"]) * 1000, median(times["small"]) * 1000
    return [Figure(f"worklist (200 items) at {run.enrollees:,} vs {small_n:,} enrollees", b, sm, "ms", "<= 1.5x",
                   note=f"{len(shown.items)} items, total {'many' if shown.total is None else shown.total}"
                   ).check(max_ratio=1.5)]
