"""Page images of printed documents for the docs (issue: the paper the rules require).

Builds the demo (seed 2026, business date 2026-12-01) in a temporary SQLite
file, prints the written notice to explain (SZ-MT Art. 14) and the off-site
filing registration form (SZ-MT Art. 10) in Chinese through the same service
the counter uses, and writes the first page of each as a PNG with poppler's
``pdftoppm``:

    python tools/document_pictures.py   # docs/notice-zh_CN.png, docs/filing-form-zh_CN.png
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 12, 1)


def main() -> int:
    from sqlalchemy import text

    from core.auth import actor_for
    from core.db import init_database, read_session, write_session
    from core.demo import fill_demo
    from core.policy import load_pack
    from core.services.documents import print_document

    if not shutil.which("pdftoppm"):
        print("pdftoppm not found: install Debian's poppler-utils", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        eng, _ = init_database(str(Path(tmp) / "demo.db"), demo=True)
        fill_demo(eng, load_pack(), seed=2026, today=TODAY)
        with eng.connect() as c:
            case = c.execute(text("SELECT number FROM investigation_case WHERE status = 'notice_sent' "
                                  "ORDER BY number")).scalars().first() or ""
            voucher = c.execute(text("SELECT voucher_number FROM offsite_filing WHERE status = 'active' "
                                     "ORDER BY voucher_number")).scalars().first() or ""
        with read_session(eng) as s:
            who = actor_for(s, "wang.clerk")
        for kind, number in (("notice", case), ("filing-form", voucher)):
            pdf = Path(tmp) / f"{kind}.pdf"
            with write_session(eng) as s:
                print_document(s, who, load_pack(), kind, number, lang="zh_CN", on=TODAY, out=pdf)
            stem = ROOT / "docs" / f"{kind}-zh_CN"
            subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                            str(stem)], check=True)
            print(f"{stem}.png")
        eng.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
