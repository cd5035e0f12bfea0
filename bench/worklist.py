"""The worklist as the data set grows ten times (100k -> 1M enrollees; in
--quick 10k -> 100k): :func:`core.services.worklist.worklist`, first 200
items, on the two data sets in turn (interleaved). An O(log n + k) list
grows little; the target is <= 1.5x.

Two scopes: a branch's list (what the counter's F4 opens for a caseworker
with a branch: cases and certificate renewals) and the whole agency's, which
adds the hospitals' monthly batches of originals not received (SZ-MD Art. 4).
That kind groups and counts every confirmed certificate still waiting for a
received batch: O(waiting), which is O(n) in a data set whose certificates
were never batched (``casedesk demo``'s bulk certificates are not)."""

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
    out: list[Figure] = []
    try:
        today = date.today()
        branch = sessions["big"].connection().exec_driver_sql(
            "SELECT branch FROM enrollee WHERE branch <> '' GROUP BY branch ORDER BY count(*) DESC LIMIT 1").scalar()
        for label, scope in (("a branch's", {"branch": branch or None}), ("the agency's", {})):
            for s in sessions.values():
                worklist(s, pol, on=today, limit=200, **scope)  # warm the page cache alike
            times = interleave({k: (lambda s=s: worklist(s, pol, on=today, limit=200, **scope))
                                for k, s in sessions.items()}, max(3, 5 * run.reps))
            shown = worklist(sessions["big"], pol, on=today, limit=200, **scope)
            b, sm = median(times["big"]) * 1000, median(times["small"]) * 1000
            out.append(Figure(f"worklist, {label} first 200, at {run.enrollees:,} vs {small_n:,} enrollees", b, sm,
                              "ms", "<= 1.5x", note=f"{len(shown.items)} items, total "
                              f"{'many' if shown.total is None else shown.total}").check(max_ratio=1.5))
    finally:
        for s in sessions.values():
            s.close()
        for e in engines.values():
            e.dispose()
    return out
