"""Start-up figures: shell command start (no Textual), TUI import, and the
time until the first screen is painted, on an empty and on a demo database.

    python bench/bench_startup.py [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def shell(cmd: list[str], reps: int = 5) -> float:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


async def first_paint(db: Path) -> float:
    from core.auth import Actor
    from core.db import open_engine
    from core.policy import load_pack
    from tui.app import create_app

    t = time.perf_counter()
    app = create_app(open_engine(str(db)), Actor("bench", "reviewer", "futian"), load_pack(), "en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        ms = (time.perf_counter() - t) * 1000
    return ms


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    py = sys.executable
    help_ms = shell([py, "-m", "cli", "--help"])
    core_ms = shell([py, "-c", "import cli.main"])
    tui_ms = shell([py, "-c", "import tui.app"])
    print(f"casedesk --help           {help_ms:7.0f} ms (median of 5)")
    print(f"import cli.main (no TUI)  {core_ms:7.0f} ms")
    print(f"import tui.app            {tui_ms:7.0f} ms")
    with tempfile.TemporaryDirectory() as d:
        from core.db import init_database
        from core.demo import fill_demo
        from core.policy import load_pack

        empty, demo = Path(d) / "empty.db", Path(d) / "demo.db"
        init_database(str(empty))[0].dispose()
        fill_demo(init_database(str(demo), demo=True)[0], load_pack(), enrollees=300)
        for label, db in (("empty", empty), ("demo", demo)):
            ms = asyncio.run(first_paint(db))
            print(f"first paint, {label:<5} db     {ms:7.0f} ms (headless, in-process)")
    if args.check and (help_ms > 3000 or tui_ms > 5000):
        print("bound missed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
