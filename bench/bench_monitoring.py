"""Monitoring at city scale: fill a temporary SQLite file with N enrollees and
M expense rows (generated inside SQLite with INSERT ... SELECT, so filling is
quick), then time the monthly scan (SZ-MT Art. 13) and print the figures.

    python bench/bench_monitoring.py                       # small: about a minute
    python bench/bench_monitoring.py --enrollees 200000 --visits 5000000

The data: expenses spread over the benefit year up to the scanned month;
general outpatient visits are 60% of rows, major-disease outpatient 25%
(with disease codes, some kidney-transplant certificates), pharmacy 10%,
emergency 5%. One enrollee in a hundred is a heavy user who gets 30% of the
rows, so the scan has hits and chains of visits a few hours apart.
``--check SECONDS`` exits 1 when the scan takes longer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from core.db import make_engine, read_session, upgrade  # noqa: E402
from core.models import ExpenseRecord  # noqa: E402
from core.policy import load_pack  # noqa: E402
from core.rules.monitoring import parse_month, scan_windows  # noqa: E402
from core.services.monitoring import scan  # noqa: E402

NOW = "2026-11-22 00:00:00.000000"

ENROLLEE_SQL = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :n)
INSERT INTO enrollee (id, version, created_at, updated_at, id_number, card_number, name, sex, birth_date,
    scheme, supplementary, city_household, employment, disabled_grade, employer, phone, address,
    residence_city, residence_province, residence_mainland, stationed_elsewhere, health_centre_id,
    account_state, account_state_since, individual_account_fen, branch, is_demo)
SELECT lower(hex(randomblob(16))), 1, :now, :now, printf('B%017d', n), printf('BC%010d', n), 'Bench ' || n, '',
    NULL, CASE WHEN n % 10 = 0 THEN 'inpatient' WHEN n % 10 = 1 THEN 'migrant' ELSE 'comprehensive' END,
    0, 1, 'employed', NULL, '', '', '', 'Shenzhen', '', 1, 0, NULL, 'normal', NULL, 0,
    CASE n % 3 WHEN 0 THEN 'futian' WHEN 1 THEN 'nanshan' ELSE 'luohu' END, 0
FROM seq
"""

# rowid r of enrollee: heavy users are the rowids divisible by 100
EXPENSE_SQL = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :m),
raw AS MATERIALIZED (
    SELECT n,
           abs(random()) % 100 AS kind_draw,
           CASE WHEN abs(random()) % 10 < 3 THEN ((abs(random()) % :heavy) + 1) * 100
                ELSE (abs(random()) % :n) + 1 END AS who,
           abs(random()) % :span AS offset_s,
           abs(random()) % 17 AS disease_draw
    FROM seq
)
INSERT INTO expense_record (id, enrollee_id, occurred_at, institution_id, visit_kind, disease_code, amount_fen,
    settlement, large_equipment, source, created_at)
SELECT lower(hex(randomblob(16))), e.id,
       strftime('%Y-%m-%d %H:%M:%S', :start, '+' || raw.offset_s || ' seconds') || '.000000',
       NULL,
       CASE WHEN kind_draw < 60 THEN 'general_outpatient' WHEN kind_draw < 85 THEN 'major_disease_outpatient'
            WHEN kind_draw < 95 THEN 'pharmacy' ELSE 'emergency' END,
       CASE WHEN kind_draw >= 60 AND kind_draw < 85 THEN
            CASE WHEN disease_draw < 14 THEN printf('MD-I-%02d', disease_draw + 1)
                 ELSE printf('MD-II-%02d', disease_draw - 13) END END,
       CASE WHEN kind_draw >= 60 AND kind_draw < 85 THEN 5000 + abs(random()) % 400000
            ELSE 1000 + abs(random()) % 49000 END,
       'bookkeeping', 0, 'bench', :now
FROM raw JOIN enrollee e ON e.rowid = raw.who
"""

INSTITUTION_SQL = """
INSERT INTO institution (id, version, created_at, updated_at, code, name, name_zh, kind, level, public, city,
    province, mainland, designated, diagnostic_hospital, dialysis_centre, offsite_on_record,
    run_by_hospital_level, active)
VALUES (:id, 1, :now, :now, 'BENCH-H', 'Bench Hospital', '', 'hospital', 3, 1, 'Shenzhen', '', 1, 1, 1, 0, 0, 0, 1)
"""

PHYSICIAN_SQL = """
INSERT INTO physician (id, version, created_at, updated_at, code, name, institution_id, title, specialty, active)
VALUES (:id, 1, :now, :now, 'BENCH-P', 'Dr Bench', :inst, 'deputy_chief', 'transplant', 1)
"""

# a kidney-transplant certificate for one enrollee in 50
CERTIFICATE_SQL = """
INSERT INTO certificate (id, version, created_at, updated_at, number, enrollee_id, disease_code, organ, category,
    policy_pack, status, institution_id, offsite, continuation, cont_recent_record, cont_original_papers,
    cont_originals_seen, cont_copies_kept, criteria_acknowledged, diagnosis_note, physician_id, drafted_on,
    drafted_by, confirmed_on, valid_from, end_reason)
SELECT lower(hex(randomblob(16))), 1, :now, :now, 'BENCH-' || e.rowid, e.id, 'MD-II-02', 'kidney', 2,
    'shenzhen-2008', 'confirmed', :inst, 0, 0, 0, 0, 0, 0, 1, '', :phys, '2025-01-02', 'bench', '2025-01-10',
    '2025-01-10', ''
FROM enrollee e WHERE e.rowid % 50 = 7
"""


def fill(path: Path, enrollees: int, visits: int, month: str) -> dict[str, float]:
    pol = load_pack("shenzhen-2008")
    w = scan_windows(parse_month(month), pol)
    start = w.earliest
    span = int((w.end - start).total_seconds())
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    times: dict[str, float] = {}
    index_names = [ix.name for ix in ExpenseRecord.__table__.indexes]  # type: ignore[attr-defined]
    with eng.begin() as c:
        t = time.perf_counter()
        c.execute(text(ENROLLEE_SQL), {"n": enrollees, "now": NOW})
        times["enrollees"] = time.perf_counter() - t
        inst, phys = "b" * 32, "c" * 32
        c.execute(text(INSTITUTION_SQL), {"id": inst, "now": NOW})
        c.execute(text(PHYSICIAN_SQL), {"id": phys, "inst": inst, "now": NOW})
        c.execute(text(CERTIFICATE_SQL), {"inst": inst, "phys": phys, "now": NOW})
        for name in index_names:
            c.exec_driver_sql(f'DROP INDEX IF EXISTS "{name}"')
        t = time.perf_counter()
        c.execute(text(EXPENSE_SQL), {"m": visits, "n": enrollees, "heavy": max(enrollees // 100, 1),
                                      "span": span, "start": start.isoformat(sep=" "), "now": NOW})
        times["expenses"] = time.perf_counter() - t
        t = time.perf_counter()
        for ix in ExpenseRecord.__table__.indexes:  # type: ignore[attr-defined]
            ix.create(c)
        c.exec_driver_sql("ANALYZE")
        times["indexes"] = time.perf_counter() - t
    eng.dispose()
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enrollees", type=int, default=20_000)
    ap.add_argument("--visits", type=int, default=500_000, help="expense rows")
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--repeat", type=int, default=2, help="time the scan this many times")
    ap.add_argument("--keep", help="write the database here instead of a temporary file")
    ap.add_argument("--check", type=float, help="exit 1 if the scan takes more than this many seconds")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.db"
        if path.exists():
            path.unlink()
        print(f"filling {path}: {args.enrollees:,} enrollees, {args.visits:,} expense rows …", flush=True)
        times = fill(path, args.enrollees, args.visits, args.month)
        print("  " + ", ".join(f"{k} {v:.1f}s" for k, v in times.items()))
        pol = load_pack("shenzhen-2008")
        eng = make_engine(f"sqlite:///{path}")
        scan_times = []
        result = None
        for _ in range(max(args.repeat, 1)):
            with read_session(eng) as s:
                t = time.perf_counter()
                result = scan(s, pol, args.month)
                scan_times.append(time.perf_counter() - t)
        eng.dispose()
        assert result is not None
        by_trigger = Counter(h.number for h in result.hits)
        print(f"scan {args.month}: {len(result.hits):,} hits, {len(result.enrollee_ids):,} enrollees")
        print("  by trigger: " + ", ".join(f"T{n}={by_trigger[n]:,}" for n in sorted(by_trigger)))
        print("  scan time: " + ", ".join(f"{t:.2f}s" for t in scan_times)
              + f"  (best {min(scan_times):.2f}s)")
        if args.check is not None and min(scan_times) > args.check:
            print(f"FAIL: scan took {min(scan_times):.2f}s > {args.check}s")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
