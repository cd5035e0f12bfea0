"""Screenshots of the enrollee view for the docs, in English and Chinese.

Builds the demo (seed 2026, business date 2026-11-22) in a temporary SQLite
file, opens a suspended enrollee who holds certificates and a record book,
and writes ``docs/enrollee-en.svg`` / ``docs/enrollee-zh_CN.svg`` (plus PNGs
when ``rsvg-convert`` is installed).

    python tools/screenshots.py [--size 100x32]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 22)


async def shoot(engine, enrollee_card: str, lang: str, size: tuple[int, int], out: Path) -> None:
    from core.auth import Actor
    from core.policy import load_pack
    from tui.app import create_app

    app = create_app(engine, Actor("li.review", "reviewer", "futian", "Li Ming"), load_pack(), lang, today=TODAY)
    async with app.run_test(size=size) as pilot:
        await pilot.press(*enrollee_card)
        deadline = time.monotonic() + 10
        while getattr(app.screen, "page", None) is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.press("enter")
        while getattr(app.screen, "overview", None) is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="100x32")
    args = ap.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    from sqlalchemy import text

    from core.db import init_database
    from core.demo import fill_demo
    from core.policy import load_pack

    with tempfile.TemporaryDirectory() as d:
        engine, _ = init_database(str(Path(d) / "demo.db"), demo=True)
        fill_demo(engine, load_pack(), seed=2026, enrollees=300, today=TODAY)
        with engine.connect() as c:
            card = c.execute(text(
                "SELECT e.card_number FROM enrollee e JOIN record_book b ON b.enrollee_id = e.id "
                "WHERE e.account_state = 'suspended' ORDER BY e.card_number LIMIT 1")).scalar_one()
        docs = ROOT / "docs"
        for lang in ("en", "zh_CN"):
            svg = docs / f"enrollee-{lang}.svg"
            asyncio.run(shoot(engine, card, lang, (w, h), svg))
            print(f"wrote {svg.relative_to(ROOT)}")
            if shutil.which("rsvg-convert"):
                png = svg.with_suffix(".png")
                subprocess.run(["rsvg-convert", "-w", str(w * 10), str(svg), "-o", str(png)], check=True)
                print(f"wrote {png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
