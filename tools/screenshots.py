"""Screenshots for the docs: the enrollee view and the investigation screen,
in English and Chinese, named with their size.

Builds the demo (seed 2026, business date 2026-11-22) in a temporary SQLite
file, opens a suspended enrollee who holds certificates, a record book and
an open case, and writes ``docs/enrollee-80x24-en.svg``,
``docs/investigation-80x24-zh_CN.svg`` ... (plus PNGs when ``rsvg-convert``
from Debian's librsvg2-bin is installed).

    python tools/screenshots.py [--size 80x24] [--size 160x50]
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


async def shoot(engine, enrollee_card: str, lang: str, size: tuple[int, int], screen: str, out: Path) -> None:
    """Keys only: the card number in the lookup, Enter, then ``i`` for the investigation screen."""
    from core.auth import Actor
    from core.policy import load_pack
    from tui.app import create_app

    app = create_app(engine, Actor("li.review", "reviewer", "futian", "Li Ming"), load_pack(), lang, today=TODAY)
    async with app.run_test(size=size) as pilot:
        async def until(condition) -> None:
            deadline = time.monotonic() + 20
            while not condition():
                if time.monotonic() > deadline:
                    raise SystemExit(f"{out.name}: the screen did not come up")
                await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            await pilot.pause()

        await until(lambda: app.focused is not None)
        await pilot.press(*enrollee_card)
        await until(lambda: getattr(app.screen, "page", None) is not None
                    and getattr(app.screen.page, "query", "") == enrollee_card)
        await pilot.press("enter")
        await until(lambda: getattr(app.screen, "overview", None) is not None)
        if screen == "investigation":
            await pilot.press("i")
            await until(lambda: getattr(app.screen, "subject", None) is not None)
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", action="append", help="WIDTHxHEIGHT (default 80x24); may be repeated")
    args = ap.parse_args()
    sizes = [tuple(int(x) for x in size.split("x")) for size in (args.size or ["80x24"])]
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
        rsvg = shutil.which("rsvg-convert")
        for w, h in sizes:
            for screen in ("enrollee", "investigation"):
                for lang in ("en", "zh_CN"):
                    svg = docs / f"{screen}-{w}x{h}-{lang}.svg"
                    asyncio.run(shoot(engine, card, lang, (w, h), screen, svg))
                    print(f"wrote {svg.relative_to(ROOT)}")
                    if rsvg:
                        png = svg.with_suffix(".png")
                        subprocess.run([rsvg, "-w", str(w * 12), str(svg), "-o", str(png)], check=True)
                        print(f"wrote {png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
