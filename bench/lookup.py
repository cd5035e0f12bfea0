"""Lookup at the counter: ID, card and name in-process, against the same
indexed query written by hand in plain sqlite3, and keyset paging (page 50
against page 1).

The casedesk side is :func:`core.services.lookup.search` in an open read
session (what each keystroke's worker runs after the gateway opened the
session; the gateway's own cost is its own row). The baseline is the query a
careful programmer would write against the same indexes with the standard
library's sqlite3 and nothing else: exact equality for a whole ID or card
number, the FTS5 trigram index for a whole name, the gram table for a part of
a name. Samples: every enrollee whose rowid is a multiple of a stride, so the
same people each run.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.figure import Figure, Run, interleave, median, quantile

COLS = "e.id, e.name, e.id_number, e.card_number, e.scheme, e.account_state, e.birth_date"
PLAIN = {
    "id": f"SELECT {COLS} FROM enrollee e WHERE e.id_number = ?",
    "card": f"SELECT {COLS} FROM enrollee e WHERE e.card_number = ?",
    "name": (f"SELECT {COLS} FROM enrollee e JOIN enrollee_search_key k ON k.enrollee_id = e.id WHERE k.rid IN "
             "(SELECT rowid FROM enrollee_search WHERE enrollee_search MATCH ?) ORDER BY e.name, e.id LIMIT 21"),
    "name part": (f"SELECT {COLS} FROM enrollee_search_gram g JOIN enrollee_search_key k ON k.rid = g.rid "
                  "JOIN enrollee e ON e.id = k.enrollee_id WHERE g.gram = ? ORDER BY g.name, g.rid LIMIT 21"),
}
LABELS = {"id": "lookup by ID number", "card": "lookup by card number", "name": "lookup by whole name",
          "name part": "lookup by part of a name (2 chars)"}


def samples(path: Path, n: int) -> list[tuple[str, str, str]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        total = con.execute("SELECT max(rowid) FROM enrollee").fetchone()[0] or 1
        stride = max(1, total // n)
        return con.execute("SELECT id_number, card_number, name FROM enrollee WHERE rowid % ? = 0 LIMIT ?",
                           (stride, n)).fetchall()
    finally:
        con.close()


def plain_param(kind: str, sample: tuple[str, str, str]) -> str:
    if kind == "id":
        return sample[0]
    if kind == "card":
        return sample[1]
    if kind == "name":
        return 'name : "%s"' % sample[2]
    return sample[2][1:3] or sample[2]


def query_text(kind: str, sample: tuple[str, str, str]) -> str:
    return {"id": sample[0], "card": sample[1], "name": sample[2]}.get(kind) or (sample[2][1:3] or sample[2])


def figures(run: Run) -> list[Figure]:
    from core.db import make_engine, read_session
    from core.services.lookup import search

    path = run.dataset()
    picks = samples(path, 60 if run.reps <= 1 else 400)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    eng = make_engine(f"sqlite:///{path}")
    out: list[Figure] = []
    with read_session(eng) as s:
        for kind, sql in PLAIN.items():
            cd: list[float] = []
            base: list[float] = []
            for sample in picks:  # interleaved: casedesk, plain, casedesk, plain …
                q, p = query_text(kind, sample), plain_param(kind, sample)
                times = interleave({"casedesk": lambda q=q: search(s, q),
                                    "plain": lambda p=p, sql=sql: con.execute(sql, (p,)).fetchall()},
                                   max(1, run.reps))
                cd += times["casedesk"]
                base += times["plain"]
            ms = lambda v: v * 1000  # noqa: E731
            out.append(Figure(f"{LABELS[kind]}, p50", ms(median(cd)), ms(median(base)), "ms", "<= 3x").check(max_ratio=3))
            if kind in ("id", "card", "name"):
                out.append(Figure(f"{LABELS[kind]}, p99", ms(quantile(cd, .99)), ms(quantile(base, .99)), "ms",
                                  "<= 2 ms").check(max_value=2))
        out += paging(s, search, run)
    con.close()
    eng.dispose()
    return out


def paging(s, search, run: Run) -> list[Figure]:
    """Page 50 by keyset against page 1 of the same query (a surname: the
    most common character in the data set has the most pages)."""
    row = s.connection().exec_driver_sql(
        "SELECT gram, count(*) AS n FROM enrollee_search_gram WHERE length(gram) = 1 GROUP BY gram "
        "ORDER BY n DESC LIMIT 1").first()
    query = row[0] if row else "王"
    cursors = [None]
    page = search(s, query)
    while page.next_after and len(cursors) < 50:
        cursors.append(page.next_after)
        page = search(s, query, after=page.next_after)
    last = len(cursors)
    rounds = max(5, 50 * run.reps)
    times = interleave({"first": lambda: search(s, query), "last": lambda: search(s, query, after=cursors[-1])}, rounds)
    offset = interleave({"offset": lambda: search(s, query, offset=(last - 1) * 20)}, max(3, 10 * run.reps))
    note = f"{query!r}, page {last}" + ("" if last == 50 else " (the last page there is)")
    return [
        Figure(f"lookup page {last} by keyset vs page 1", median(times["last"]) * 1000, median(times["first"]) * 1000,
               "ms", "<= 1.5x", note=note).check(max_ratio=1.5),
        Figure(f"lookup page {last} by OFFSET (before) vs page 1", median(offset["offset"]) * 1000,
               median(times["first"]) * 1000, "ms", "-", note="for comparison: what paging cost before"),
    ]
