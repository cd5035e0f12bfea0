"""The SZ-MT Art. 13 monthly scan on SQLite against a hand-written query
(issue 10 item 3).

casedesk: :func:`core.services.monitoring.scan` (SQLAlchemy Core, the
pack's triggers). Baseline: ``bench/scan_hand.sql``, the same triggers
written by hand for plain ``sqlite3`` over the raw rows. Runs alternate
(casedesk, hand, casedesk, hand …), figures are medians, and the hit sets
(enrollee, trigger, figure) must be equal, not only their sizes.

    python -m bench --only scan          # or: python bench/scan.py DB [--rounds N]
"""

from __future__ import annotations

import calendar
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure, Run, median  # noqa: E402

HAND_SQL = (Path(__file__).with_name("scan_hand.sql")).read_text(encoding="utf-8")
# trigger number -> column of the hand query's row, and the "more than" threshold
HAND_TRIGGERS = {1: (1, 15), 2: (2, 30), 3: (3, 600_000), 4: (4, 2_000_000), 5: (5, 80_000), 6: (6, 1_000_000),
                 7: (7, 1_500_000), 8: (8, 1_500_000)}


def scan_month(path: Path) -> str:
    """The month before the data set's demo "today" (core.bulk builds it so)."""
    from datetime import date

    from core.rules.monitoring import Month

    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as c:
        row = c.execute("SELECT value FROM casedesk_meta WHERE key = 'demo_today'").fetchone()
    return Month.of(date.fromisoformat(row[0])).shift(-1).label


def _bounds(month: str) -> dict[str, int]:
    from datetime import date

    from core.policy import load_pack
    from core.rules.monitoring import parse_month, scan_windows

    w = scan_windows(parse_month(month), load_pack("shenzhen-2008"))

    def secs(d) -> int:
        return calendar.timegm(d.timetuple())

    del date
    return {"month_start": secs(w.start), "visits_start": secs(w.visits_start), "year_start": secs(w.year_start),
            "end": secs(w.end)}


def hand_hits(path: Path, month: str) -> set[tuple[str, int, int]]:
    """The hand query in plain sqlite3: {(enrollee hex, trigger number, figure)}."""
    params = _bounds(month)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(HAND_SQL, params).fetchall()
    finally:
        conn.close()
    out = set()
    for row in rows:
        for number, (col, limit) in HAND_TRIGGERS.items():
            v = row[col]
            if v is not None and v > limit:
                out.add((row[0], number, int(v)))
    return out


def casedesk_hits(engine, policy, month: str) -> set[tuple[str, int, int]]:
    from core.db import read_session
    from core.services.monitoring import scan

    with read_session(engine) as s:
        result = scan(s, policy, month)
    return {(h.enrollee_id.hex, h.number, h.figure) for h in result.hits}


def measure(path: Path, rounds: int, log=print) -> dict:
    from core.db import make_engine
    from core.policy import load_pack

    month = scan_month(path)
    policy = load_pack("shenzhen-2008")
    engine = make_engine(f"sqlite:///{path}")
    got: dict[str, set] = {}

    def ours():
        got["casedesk"] = casedesk_hits(engine, policy, month)

    def hand():
        got["hand"] = hand_hits(path, month)

    ours()  # compile and cache the statement once, as a running app has
    times: dict[str, list[float]] = {"casedesk": [], "hand": []}
    cpu: dict[str, list[float]] = {"casedesk": [], "hand": []}
    for _ in range(rounds):  # interleaved: casedesk, hand, casedesk, hand ...
        for key, fn in (("casedesk", ours), ("hand", hand)):
            c, t = time.process_time(), time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t)
            cpu[key].append(time.process_time() - c)
    engine.dispose()
    same = got["casedesk"] == got["hand"]
    if not same:
        log(f"scan {path.name}: hit sets differ: casedesk-only {len(got['casedesk'] - got['hand'])}, "
            f"hand-only {len(got['hand'] - got['casedesk'])}")
    return {"month": month, "casedesk": median(times["casedesk"]), "hand": median(times["hand"]),
            "cpu_casedesk": median(cpu["casedesk"]), "cpu_hand": median(cpu["hand"]),
            "hits": len(got["casedesk"]), "same": same, "runs": times}


def figures(run: Run) -> list[Figure]:
    rounds = max(run.reps, 1)
    big = run.dataset()
    m = measure(big, rounds, run.log)
    n = f"{run.expenses // 1_000_000}M" if run.expenses >= 1_000_000 else f"{run.expenses // 1000}k"
    note = (f"{m['hits']} hits, {'same hit set' if m['same'] else 'HIT SETS DIFFER'}; "
            f"CPU {m['cpu_casedesk']:.2f} s vs {m['cpu_hand']:.2f} s")
    scan = Figure(f"SZ-MT Art. 13 scan, {n} expenses (SQLite)", m["casedesk"], m["hand"], "s",
                  "<= 1.3x hand SQL" + ("" if run.quick else ", <= 15 s"), note=note)
    scan.check(max_ratio=1.3, max_value=None if run.quick else 15.0)
    scan.met = scan.met and m["same"]
    out = [scan]
    if not run.quick:  # growth 1M -> 10M rows: the same scan on the 100k / 1M data set
        small = run.dataset(enrollees=run.enrollees // 10, expenses=run.expenses // 10)
        s = measure(small, rounds, run.log)
        growth = m["casedesk"] / s["casedesk"] if s["casedesk"] else float("nan")
        hand_growth = m["hand"] / s["hand"] if s["hand"] else float("nan")
        out.append(Figure("scan growth 1M -> 10M expenses (SQLite)", growth, hand_growth, "x", "<= 11x",
                          note=f"1M: {s['casedesk']:.2f} s vs hand {s['hand']:.2f} s, CPU growth "
                               f"{m['cpu_casedesk'] / s['cpu_casedesk']:.1f}x vs {m['cpu_hand'] / s['cpu_hand']:.1f}x, "
                               f"{'same hit set' if s['same'] else 'HIT SETS DIFFER'}").check(max_value=11.0))
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    r = measure(a.db, a.rounds)
    print({k: v for k, v in r.items()})
