"""Printed documents (SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5): each kind built from
demo records through the services, drawn as PDF, read back with poppler's
``pdftotext``, its QR code decoded from a ``pdftoppm`` page image."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import init_database, read_session, write_session
from core.demo import fill_demo
from core.documents import KINDS, build, render
from core.errors import DomainError
from core.policy import load_pack
from core.services.documents import print_document
from tests.conftest import db_fingerprint

TODAY = date(2026, 12, 1)
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")

def _has_font() -> bool:
    from core.documents import find_font

    try:
        find_font()
    except DomainError:
        return False
    return True


HAS_FONT = _has_font()
needs_font = pytest.mark.skipif(not HAS_FONT, reason="no CJK font (Debian's fonts-noto-cjk; .ci/run installs it)")
needs_poppler = pytest.mark.skipif(not (POPPLER and HAS_FONT),
                                   reason="poppler-utils or the CJK font not installed (.ci/run installs them)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("docs") / "demo.db"
    eng, _ = init_database(str(path), demo=True)
    fill_demo(eng, load_pack(), seed=2026, enrollees=120, today=TODAY)
    yield eng, path
    eng.dispose()


def _one(eng, sql: str) -> tuple:
    with eng.connect() as c:
        row = c.execute(text(sql)).first()
    assert row is not None, sql
    return tuple(row)


def _samples(eng) -> dict[str, tuple[str, str]]:
    """kind -> (record number, the enrollee's name) from the demo (states reached by the demo's services)."""
    case = "SELECT c.number, e.name FROM investigation_case c JOIN enrollee e ON e.id = c.enrollee_id WHERE "
    filing = "SELECT f.voucher_number, e.name FROM offsite_filing f JOIN enrollee e ON e.id = f.enrollee_id WHERE "
    return {
        "notice": _one(eng, case + "c.status = 'notice_sent' ORDER BY c.number"),
        "suspension": _one(eng, case + "c.opened_on IS NOT NULL ORDER BY c.number"),
        "decision": _one(eng, case + "c.outcome = 'no_violation' ORDER BY c.number"),
        "filing-form": _one(eng, filing + "f.status = 'active' ORDER BY f.voucher_number"),
        "voucher": _one(eng, filing + "f.voucher_number IS NOT NULL ORDER BY f.voucher_number"),
        "certificate": _one(eng, "SELECT c.number, e.name FROM certificate c JOIN enrollee e ON e.id = c.enrollee_id "
                                 "WHERE c.status = 'confirmed' ORDER BY c.number"),
        "book-receipt": _one(eng, "SELECT r.new_number, e.name FROM replacement r JOIN enrollee e ON e.id = r.enrollee_id "
                                  "WHERE r.item_kind = 'book' ORDER BY r.new_number"),
        "batch": _one(eng, "SELECT i.code || '/' || b.month, '' FROM monthly_batch b JOIN institution i "
                           "ON i.id = b.institution_id ORDER BY b.month DESC, i.code"),
    }


def _actor(eng, username: str = "wang.clerk"):
    from core.auth import actor_for

    with read_session(eng) as s:
        return actor_for(s, username)


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _qr(path: Path, tmp: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp / "page")],
                   check=True, capture_output=True)
    page = next(tmp.glob("page*.png"))
    return [r.text for r in zxingcpp.read_barcodes(Image.open(page))]


def test_every_kind_has_a_demo_sample(demo):
    assert set(_samples(demo[0])) == set(KINDS)


@needs_poppler
@pytest.mark.parametrize("kind", KINDS)
def test_document_prints_from_demo_record_in_chinese(demo, kind, tmp_path):
    eng, _ = demo
    number, name = _samples(eng)[kind]
    out = tmp_path / f"{kind}.pdf"
    with write_session(eng) as s:
        printed = print_document(s, _actor(eng), load_pack(), kind, number, lang="zh_CN", on=TODAY, out=out)
    assert printed.path == out and oct(out.stat().st_mode & 0o777) == "0o600"
    body = _pdftotext(out)
    flat = " ".join(body.split())
    assert number in flat
    if name:
        assert name in flat
    assert TODAY.isoformat() in flat  # the print date in the footer
    tag = {"notice": "SZ-MT Art. 14", "suspension": "SZ-MT Art. 14", "decision": "SZ-MT Art. 15",
           "filing-form": "SZ-MT Art. 10", "voucher": "SZ-MT Art. 10", "certificate": "SZ-MD Art. 4",
           "book-receipt": "SZ-MD Art. 5", "batch": "SZ-MD Art. 4"}[kind]
    assert tag in flat
    assert "Notice" not in body and "Enrollee" not in body  # Chinese labels, not English
    assert _qr(out, tmp_path) == [number]
    # the print is in the audit trail: who printed what, when
    with eng.connect() as c:
        ev = c.execute(text("SELECT actor, action, article, after FROM audit_event WHERE action = 'document.print' "
                            "ORDER BY at DESC LIMIT 1")).one()
    assert ev.actor == "wang.clerk" and ev.article == tag
    assert json.loads(ev.after)["number"] == number and json.loads(ev.after)["sha256"] == printed.sha256


@needs_poppler
def test_sz_mt_art_14_notice_states_deadline_and_what_to_bring(demo, tmp_path):
    eng, _ = demo
    number, _name = _samples(eng)["notice"]
    with read_session(eng) as s:
        due = s.exec(text("SELECT notice_due FROM investigation_case WHERE number = :n").bindparams(n=number)).one()[0]
        doc = build(s, load_pack(), "notice", number, lang="en", on=TODAY)
    out = tmp_path / "n.pdf"
    out.write_bytes(render(doc))
    flat = " ".join(_pdftotext(out).split())
    assert str(due)[:10] in flat
    for item in ("social security card", "resident identity card", "medical records", "receipts"):
        assert item in flat
    assert "within 10 working days" in flat  # the pack's number, not a constant


@needs_poppler
def test_sz_mt_art_10_filing_form_in_triplicate_with_a_stamp_box_per_institution(demo, tmp_path):
    eng, _ = demo
    number, _ = _samples(eng)["filing-form"]
    with read_session(eng) as s:
        doc = build(s, load_pack(), "filing-form", number, lang="en", on=TODAY)
    out = tmp_path / "f.pdf"
    out.write_bytes(render(doc))
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert len(doc.copies) == load_pack().offsite.form_copies == 3
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages"))) >= 3
    body = _pdftotext(out)
    for i in (1, 2, 3):
        assert f"Copy {i} of 3" in body
    assert body.count("Local social security institution stamp") == 3


@needs_font
def test_both_languages_and_the_same_bytes_every_time(demo):
    eng, _ = demo
    number, _ = _samples(eng)["certificate"]
    with read_session(eng) as s:
        doc = build(s, load_pack(), "certificate", number, lang="both", on=TODAY)
        again = build(s, load_pack(), "certificate", number, lang="both", on=TODAY)
    assert "诊断证明书摘要及材料收据" in doc.title and "Diagnosis certificate summary" in doc.title
    assert render(doc) == render(again)


def test_book_receipt_names_the_void_number(demo):
    eng, _ = demo
    number, _ = _samples(eng)["book-receipt"]
    old = _one(eng, f"SELECT old_number FROM replacement WHERE new_number = '{number}'")[0]
    with read_session(eng) as s:
        doc = build(s, load_pack(), "book-receipt", number, lang="en", on=TODAY)
    assert old in doc.text() and "void" in doc.text()


@pytest.mark.parametrize(("kind", "number", "field"), [
    ("notice", "INV-2026-NOSUCH-00000", "case"),
    ("parcel", "X", "kind"),
    ("batch", "SZH001", "batch"),
])
def test_bad_print_request_names_the_field_and_changes_nothing(demo, tmp_path, kind, number, field):
    eng, _ = demo
    before = db_fingerprint(eng)
    with pytest.raises(DomainError) as err, write_session(eng) as s:
        print_document(s, _actor(eng), load_pack(), kind, number, lang="en", on=TODAY, out=tmp_path / "x.pdf")
    assert err.value.reasons[0].field == field
    assert db_fingerprint(eng) == before
    assert not (tmp_path / "x.pdf").exists()


def test_missing_font_is_a_clear_refusal(demo, monkeypatch):
    eng, _ = demo
    monkeypatch.setenv("CASEDESK_PDF_FONT", "/nonexistent/font.ttf")
    number, _ = _samples(eng)["notice"]
    with read_session(eng) as s:
        doc = build(s, load_pack(), "notice", number, lang="en", on=TODAY)
    with pytest.raises(DomainError) as err:
        render(doc)
    assert err.value.reasons[0].field == "pdf_font"


@needs_font
def test_cli_print_json_and_exit_codes(demo, tmp_path):
    eng, path = demo
    number, _ = _samples(eng)["voucher"]
    env = {**os.environ, "CASEDESK_DB": str(path), "CASEDESK_LANG": "zh_CN"}
    out = tmp_path / "v.pdf"
    base = [sys.executable, "-m", "cli", "--as", "wang.clerk", "print"]
    r = subprocess.run([*base, "voucher", number, "--out", str(out), "--on", TODAY.isoformat(), "--json"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["number"] == number and out.exists()
    bad = subprocess.run([*base, "voucher", "OF2099-999999", "--out", str(tmp_path / "n.pdf")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("kind", ["notice", "filing-form", "certificate", "book-receipt"])
def test_the_number_on_the_sheet_opens_the_record_in_the_lookup(demo, kind):
    """What the QR code holds, scanned or typed at the counter, finds the record and its enrollee."""
    from core.services.lookup import search

    eng, _ = demo
    number, name = _samples(eng)[kind]
    with read_session(eng) as s:
        doc = build(s, load_pack(), kind, number, lang="en", on=TODAY)
        page = search(s, doc.number, on=TODAY)
    assert page.kind == "document"
    assert [h.number for h in page.hits] == [doc.number]
    assert [r.name for r in page.rows] == [name]
