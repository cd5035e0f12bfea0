"""The monthly monitoring scan (SZ-MT Art. 13) on PostgreSQL 15: casedesk's
scan (``core.services.monitoring.scan`` through SQLAlchemy) against a
hand-written psycopg query for the same eight numeric triggers, interleaved
in the same run, on data built by ``casedesk demo --enrollees N --expenses M``
(core.bulk, PostgreSQL COPY path core.bulk_pg) in a throwaway cluster
(tests/pg_cluster.py) that is kept under ``data_dir/pg15`` between runs.

Figures: build time, bytes per expense row (table + primary key, measured
by ``pg_total_relation_size``), the scan vs hand SQL at the small and the
large data set (the hit sets must be equal: the same (enrollee, trigger,
figure) triples), the partitions the scan reads, and the scan's growth.

    python -m bench --only scan_pg            # via the benchmark command
    python -m bench.scan_pg [--quick]         # alone, prints the figures
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: the data sets' "today": the scan month is the month before (the generator's 12 months end there)
TODAY = date(2026, 12, 2)
#: the bench cluster's settings (memory for the scan's sorts and hashes; same for both sides)
SETTINGS = {"shared_buffers": "1GB", "work_mem": "256MB", "maintenance_work_mem": "512MB",
            "max_wal_size": "8GB", "checkpoint_timeout": "30min", "effective_cache_size": "8GB"}


# --------------------------------------------------------------------------- the hand-written baseline


def hand_sql(policy, month) -> tuple[str, dict]:
    """One statement for triggers 1-8 of the pack, written by hand for
    PostgreSQL: the visit episodes (greedy, merge span from the pack) over
    the visits window, the costs in one grouped pass over the year window,
    the enrollee joined only for the hits. Rows: (enrollee_id, trigger
    code, figure)."""
    from core.models.storage import VISIT_KIND_CODES, local_epoch
    from core.rules import monitoring as rules

    w = rules.scan_windows(month, policy)
    trig = {t.kind if t.kind != "therapy_cost_month" else f"therapy:{t.therapy}": t
            for t in rules.numeric_triggers(policy)}
    tmap = rules.therapy_map(policy)
    organ = tmap.organ_rules[0] if tmap.organ_rules else None
    p = {
        "vs": local_epoch(w.visits_start), "ms": local_epoch(w.start), "ys": local_epoch(w.year_start),
        "end": local_epoch(w.end), "merge": rules.merge_seconds(policy),
        "general": VISIT_KIND_CODES["general_outpatient"],
        "outpatient": [VISIT_KIND_CODES[k] for k in rules.OUTPATIENT_KINDS],
    }
    therapy_cols, therapy_out = [], []
    for i, (key, t) in enumerate((k, t) for k, t in trig.items() if k.startswith("therapy:")):
        therapy = key.split(":", 1)[1]
        codes = list(tmap.disease_codes.get(therapy, ()))
        if organ and organ.therapy == therapy:  # e.g. kidney transplant: the disease, and a certificate for the organ
            p[f"org_d{i}"], p[f"org_o{i}"] = organ.disease_code, list(organ.organs)
            therapy_cols.append(f"sum(amount_fen) FILTER (WHERE occurred_at >= %(ms)s AND disease_code = %(org_d{i})s)"
                                f"::bigint AS th{i}")
            figure = (f"CASE WHEN EXISTS (SELECT 1 FROM certificate c WHERE c.enrollee_id = k.e "
                      f"AND c.disease_code = %(org_d{i})s AND c.organ = ANY(%(org_o{i})s) "
                      f"AND c.confirmed_on IS NOT NULL) THEN k.th{i} ELSE 0 END")
        else:
            # the organ's disease takes its plain therapy only without the organ's certificate
            p[f"codes{i}"] = codes
            therapy_cols.append(f"sum(amount_fen) FILTER (WHERE occurred_at >= %(ms)s "
                                f"AND disease_code = ANY(%(codes{i})s))::bigint AS th{i}")
            figure = f"k.th{i}"
            if organ and organ.disease_code in codes:
                raise NotImplementedError("a therapy shared with an organ rule")  # not in the packs
        p[f"lim{i}"] = rules.limit_of(t)
        therapy_out.append((t.code, figure, f"lim{i}"))
    for kind in ("visits_month", "visits_3months", "cost_month", "general_cost_year", "inpatient_scheme_cost_year"):
        p[kind] = rules.limit_of(trig[kind])
    visits_sql = """
WITH d AS (
    SELECT enrollee_id AS e, occurred_at AS t,
           occurred_at - lag(occurred_at) OVER (PARTITION BY enrollee_id ORDER BY occurred_at) AS gap
    FROM (SELECT DISTINCT enrollee_id, occurred_at FROM expense_record
          WHERE visit_kind = %(general)s AND occurred_at >= %(vs)s AND occurred_at < %(end)s) v
), c AS (
    SELECT e, t, gap IS NULL OR gap > %(merge)s AS starts,
           max(CASE WHEN gap IS NULL OR gap > %(merge)s THEN t END) OVER (PARTITION BY e ORDER BY t) AS chain
    FROM d
), late AS MATERIALIZED (
    SELECT e, chain, t, row_number() OVER (PARTITION BY e, chain ORDER BY t) AS rn
    FROM c WHERE t - chain > %(merge)s
), walk AS (
    WITH RECURSIVE g(e, chain, rn, last, t, counted) AS (
        SELECT e, chain, rn, t, t, true FROM late WHERE rn = 1
        UNION ALL
        SELECT l.e, l.chain, l.rn, CASE WHEN l.t - g.last > %(merge)s THEN l.t ELSE g.last END, l.t,
               l.t - g.last > %(merge)s
        FROM g JOIN late l ON l.e = g.e AND l.chain = g.chain AND l.rn = g.rn + 1
    )
    SELECT e, t FROM g WHERE counted
), counted AS (
    SELECT e, t FROM c WHERE starts
    UNION ALL
    SELECT e, t FROM walk
), v AS (
    SELECT e, count(*) FILTER (WHERE t >= %(ms)s) AS month_n, count(*) AS window_n
    FROM counted GROUP BY e
    HAVING count(*) FILTER (WHERE t >= %(ms)s) > %(visits_month)s OR count(*) > %(visits_3months)s
)
SELECT v.e, x.code, x.figure FROM v
CROSS JOIN LATERAL (VALUES ('{t1}', v.month_n, v.month_n > %(visits_month)s),
                           ('{t2}', v.window_n, v.window_n > %(visits_3months)s)) AS x(code, figure, hit)
WHERE x.hit""".format(t1=trig["visits_month"].code, t2=trig["visits_3months"].code)
    th_select = "".join(f", {c}" for c in therapy_cols)
    th_having = "".join(f" OR {c.rsplit(' AS ', 1)[0]} > %({lim})s"
                        for c, (_, _, lim) in zip(therapy_cols, therapy_out))
    th_values = "".join(f", ('{code}', {fig}, {fig} > %({lim})s)" for code, fig, lim in therapy_out)
    costs_sql = f"""
WITH k AS (
    SELECT enrollee_id AS e,
           coalesce(sum(amount_fen) FILTER (WHERE occurred_at >= %(ms)s), 0)::bigint AS month_fen,
           coalesce(sum(amount_fen) FILTER (WHERE visit_kind = %(general)s), 0)::bigint AS general_fen,
           sum(amount_fen)::bigint AS year_fen{th_select}
    FROM expense_record
    WHERE visit_kind = ANY(%(outpatient)s) AND occurred_at >= %(ys)s AND occurred_at < %(end)s
    GROUP BY enrollee_id
    HAVING coalesce(sum(amount_fen) FILTER (WHERE occurred_at >= %(ms)s), 0) > %(cost_month)s
        OR coalesce(sum(amount_fen) FILTER (WHERE visit_kind = %(general)s), 0) > %(general_cost_year)s
        OR sum(amount_fen) > %(inpatient_scheme_cost_year)s{th_having}
)
SELECT k.e, x.code, x.figure FROM k JOIN enrollee n ON n.id = k.e
CROSS JOIN LATERAL (VALUES ('{trig["cost_month"].code}', k.month_fen, k.month_fen > %(cost_month)s),
    ('{trig["general_cost_year"].code}', k.general_fen, k.general_fen > %(general_cost_year)s),
    ('{trig["inpatient_scheme_cost_year"].code}', k.year_fen,
     n.scheme = 'inpatient' AND k.year_fen > %(inpatient_scheme_cost_year)s){th_values}) AS x(code, figure, hit)
WHERE x.hit"""
    return f"{visits_sql}\nUNION ALL\n({costs_sql})", p


def hand_scan(conninfo: str, policy, month) -> set[tuple[str, str, int]]:
    import psycopg

    sql, params = hand_sql(policy, month)
    with psycopg.connect(conninfo) as c:
        return {(str(e), code, int(fig)) for e, code, fig in c.execute(sql, params)}


def casedesk_scan(engine, policy, month) -> set[tuple[str, str, int]]:
    from core.db import read_session
    from core.services.monitoring import scan

    with read_session(engine) as s:
        return {(str(h.enrollee_id), h.trigger, h.figure) for h in scan(s, policy, month).hits}


def partitions_read(engine, policy, month) -> tuple[set[str], int]:
    """(the expense partitions the scan's statements read, how many there are)."""
    from sqlalchemy import event, text

    plans: list[str] = []

    def explain(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "expense_record" in statement:
            cursor.execute("EXPLAIN " + statement, params)
            plans.append("\n".join(r[0] for r in cursor.fetchall()))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        casedesk_scan(engine, policy, month)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    read = set(re.findall(r"expense_record_(?:y\d{4}m\d{2}|default)", "\n".join(plans)))
    with engine.connect() as c:
        total = c.execute(text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'expense_record'::regclass"))
        return read, int(total.scalar_one())


# --------------------------------------------------------------------------- data sets


def cluster(data_dir: Path):
    """The bench's PostgreSQL cluster, kept under ``data_dir/pg15`` (started now)."""
    from tests.pg_cluster import start_cluster

    return start_cluster(settings=SETTINGS, root=data_dir / "pg15")


def dataset(cl, enrollees: int, expenses: int, log=print) -> tuple[str, float | None]:
    """(database name, build seconds or None when reused): ``casedesk --db URL
    demo --enrollees N --expenses M`` as a process, once per size."""
    import subprocess

    import psycopg

    name = f"e{enrollees}_x{expenses}"
    with psycopg.connect(cl.conninfo(), autocommit=True) as c:
        ready = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name + "_ready",)).fetchone()
        if ready:
            return name + "_ready", None
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{name}"')
    url = cl.url(name)
    log(f"scan_pg: building {enrollees:,} enrollees + {expenses:,} expenses on PostgreSQL ...")
    t = time.perf_counter()
    for cmd in (["db", "init", "--demo"],
                ["demo", "--enrollees", str(enrollees), "--expenses", str(expenses), "--today", TODAY.isoformat()]):
        r = subprocess.run([sys.executable, "-m", "cli", "--db", url, *cmd], cwd=ROOT, capture_output=True,
                           text=True)
        if r.returncode:
            raise RuntimeError(f"casedesk {' '.join(cmd)} failed: {r.stderr[-2000:]}")
    took = time.perf_counter() - t
    with psycopg.connect(cl.conninfo(), autocommit=True) as c:
        c.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_ready"')
    return name + "_ready", took


def sizes(conninfo: str) -> dict[str, float]:
    """Bytes of the expense table (heap, TOAST) and its primary key over
    every partition, per row; the same for the enrollee table and its indexes."""
    import psycopg

    with psycopg.connect(conninfo) as c:
        parts = [r[0] for r in c.execute("SELECT inhrelid::regclass::text FROM pg_inherits "
                                         "WHERE inhparent = 'expense_record'::regclass")]
        heap = sum(c.execute("SELECT pg_table_size(%s::regclass)", (p,)).fetchone()[0] for p in parts)
        index = sum(c.execute("SELECT pg_indexes_size(%s::regclass)", (p,)).fetchone()[0] for p in parts)
        rows = c.execute("SELECT count(*) FROM expense_record").fetchone()[0]
        e_heap, e_index, e_rows = c.execute(
            "SELECT pg_table_size('enrollee'), pg_indexes_size('enrollee'), (SELECT count(*) FROM enrollee)").fetchone()
        db = c.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"expense_rows": rows, "expense_heap_per_row": heap / rows, "expense_index_per_row": index / rows,
            "enrollee_rows": e_rows, "enrollee_heap_per_row": e_heap / e_rows,
            "enrollee_index_per_row": e_index / e_rows, "database_bytes": db}


# --------------------------------------------------------------------------- figures


def measure(cl, db: str, rounds: int) -> dict:
    """Scan vs hand SQL, interleaved ``rounds`` times, with both hit sets."""
    import statistics

    from core.db import make_engine
    from core.policy import load_pack
    from core.rules.monitoring import Month

    policy = load_pack()
    month = Month.of(TODAY).shift(-1)
    engine = make_engine(cl.url(db))
    times: dict[str, list[float]] = {"casedesk": [], "hand": []}
    hits: dict[str, set] = {}
    try:
        for _ in range(rounds):
            for side, fn in (("casedesk", lambda: casedesk_scan(engine, policy, month)),
                             ("hand", lambda: hand_scan(cl.conninfo(db), policy, month))):
                t = time.perf_counter()
                hits[side] = fn()
                times[side].append(time.perf_counter() - t)
        read, total = partitions_read(engine, policy, month)
    finally:
        engine.dispose()
    return {"casedesk_s": statistics.median(times["casedesk"]), "hand_s": statistics.median(times["hand"]),
            "runs": times, "hits": len(hits["casedesk"]), "same_hits": hits["casedesk"] == hits["hand"],
            "only_casedesk": len(hits["casedesk"] - hits["hand"]), "only_hand": len(hits["hand"] - hits["casedesk"]),
            "partitions_read": sorted(read), "partitions": total, "month": month.label}


def run(quick: bool, data_dir: Path, log=print, rounds: int = 3) -> dict:
    sets = [(100_000, 1_000_000)] if quick else [(100_000, 1_000_000), (1_000_000, 10_000_000)]
    cl = cluster(data_dir)
    out: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "sets": {}}
    try:
        for n, m in sets:
            db, built = dataset(cl, n, m, log=log)
            r = measure(cl, db, rounds=rounds)
            r["build_s"] = built
            r.update(sizes(cl.conninfo(db)))
            out["sets"][f"{n}/{m}"] = r
            log(f"scan_pg {n:,}/{m:,}: {json.dumps({k: v for k, v in r.items() if k != 'runs'}, default=str)}")
    finally:
        cl.stop(remove=False)
    return out


def expected_partitions(month_label: str) -> set[str]:
    """The month partitions the scan of ``month_label`` needs: from the
    earlier of its windows' starts (benefit year, visits window) to the month."""
    from core.policy import load_pack
    from core.rules import monitoring as rules

    month = rules.parse_month(month_label)
    w = rules.scan_windows(month, load_pack())
    m, out = rules.Month.of(w.earliest), set()
    while m <= month:
        out.add(f"expense_record_y{m.year:04d}m{m.month:02d}")
        m = m.shift(1)
    return out


def figures(run_: "bench.figure.Run") -> list:  # noqa: F821
    """The PostgreSQL figures for ``python -m bench`` (quick: 100k/1M only)."""
    from bench.figure import Figure
    from tests.pg_cluster import pg_bin

    if pg_bin() is None:
        run_.log("scan_pg: no PostgreSQL 15 server binaries (/usr/lib/postgresql/15/bin); PostgreSQL figures skipped")
        return []
    res = run(run_.quick, run_.data_dir, log=run_.log, rounds=max(1, run_.reps))
    figs = []
    keys = list(res["sets"])
    for key in keys:
        r = res["sets"][key]
        n, m = (int(x) for x in key.split("/"))
        label = f"{n // 1000}k/{m // 1_000_000}M" if n < 1_000_000 else f"{n // 1_000_000}M/{m // 1_000_000}M"
        if r["build_s"] is not None:
            figs.append(Figure(f"PG build {label} (COPY)", r["build_s"], None, "s", "few minutes"))
        figs.append(Figure(f"PG bytes per expense row (table+PK), {label}",
                           r["expense_heap_per_row"] + r["expense_index_per_row"], None, "B/row", "<= 200 B/row")
                    .check(max_value=200))
        figs.append(Figure(f"PG scan {r['month']} vs hand SQL, {label}", r["casedesk_s"], r["hand_s"], "s", "<= 1.2x",
                           note=f"{r['hits']} hits, {'same' if r['same_hits'] else 'DIFFERENT'} hit sets")
                    .check(max_ratio=1.2))
        figs[-1].met = figs[-1].met and r["same_hits"]
        wanted = expected_partitions(r["month"])
        read = set(r["partitions_read"])
        figs.append(Figure(f"PG partitions the scan reads (of {r['partitions']}), {label}", len(read), None,
                           "partitions", f"only its windows' {len(wanted)}", met=read == wanted,
                           note=f"{min(read, default='-')[-7:]}..{max(read, default='-')[-7:]}"))
    if len(keys) == 2:
        a, b = res["sets"][keys[0]], res["sets"][keys[1]]
        figs.append(Figure("PG scan growth 1M -> 10M rows", b["casedesk_s"] / a["casedesk_s"],
                           b["hand_s"] / a["hand_s"], "x", "<= 11x").check(max_value=11))
    return figs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k enrollees / 1M expenses only")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench" / ".data")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    res = run(a.quick, a.data_dir)
    if a.json:
        print(json.dumps(res, default=str, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
