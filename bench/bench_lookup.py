"""Lookup at city scale: build N enrollees in a temporary SQLite file and time
ID-number, card-number and name-prefix lookups (first page) and the CLI's
start-up. Prints figures; ``--check`` exits 1 when a generous bound is missed.

    python bench/bench_lookup.py --enrollees 2000000
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import make_engine, read_session, upgrade  # noqa: E402
from core.ids import compute_check_digit  # noqa: E402
from core.services.lookup import search  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞"


def build(path: Path, n: int, seed: int = 1) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    raw = eng.raw_connection()
    cur = raw.cursor()
    cur.execute("BEGIN")
    samples: list[tuple[str, str, str]] = []
    batch = []
    now = "2026-11-22 00:00:00.000000"
    for i in range(n):
        first17 = f"4403{rng.randint(3, 8):02d}{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{i % 1000:03d}"
        idn = first17 + compute_check_digit(first17)
        card = f"SZ{i:010d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        batch.append((uuid.uuid4().hex, 1, now, now, idn, card, name, "", None, "comprehensive", 0, 0,
                      "employed", None, "", "", "", "", "", 1, 0, None, "normal", None, 0, "", 0))
        if i % 997 == 0:
            samples.append((idn, card, name[:2]))
        if len(batch) >= 50_000:
            _flush(cur, batch)
    _flush(cur, batch)
    raw.commit()
    raw.close()
    eng.dispose()
    return samples


def _flush(cur, batch):
    if not batch:
        return
    cols = ("id, version, created_at, updated_at, id_number, card_number, name, sex, birth_date, scheme, "
            "supplementary, city_household, employment, disabled_grade, employer, phone, address, residence_city, "
            "residence_province, residence_mainland, stationed_elsewhere, health_centre_id, "
            "account_state, account_state_since, individual_account_fen, branch, is_demo")
    cur.executemany(f"INSERT OR IGNORE INTO enrollee ({cols}) VALUES ({','.join('?' * len(batch[0]))})", batch)
    batch.clear()


def timed(fn, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enrollees", type=int, default=200_000)
    ap.add_argument("--check", action="store_true", help="exit 1 if a generous bound is missed")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.db"
        t = time.perf_counter()
        samples = build(path, args.enrollees)
        print(f"built {args.enrollees:,} enrollees in {time.perf_counter() - t:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
        eng = make_engine(f"sqlite:///{path}")
        rng = random.Random(2)
        picks = [rng.choice(samples) for _ in range(200)]
        results = {}
        with read_session(eng) as s:
            for label, idx in (("id number", 0), ("card number", 1), ("name prefix", 2)):
                it = iter(picks)
                ms = timed(lambda: search(s, next(it)[idx]), len(picks))
                results[label] = ms
                print(f"lookup by {label:<12} p50 {statistics.median(ms):6.2f} ms   "
                      f"p95 {sorted(ms)[int(len(ms) * .95)]:6.2f} ms   max {max(ms):6.2f} ms")
        eng.dispose()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli", "--help"], capture_output=True, check=True)
    startup = (time.perf_counter() - t) * 1000
    print(f"CLI start-up (--help): {startup:.0f} ms")
    if args.check:
        worst = max(sorted(v)[int(len(v) * .95)] for v in results.values())
        if worst > 100 or startup > 3000:
            print("bound missed: p95 lookup must stay under 100 ms, CLI start-up under 3 s")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
