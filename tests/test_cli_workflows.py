"""Every workflow step from the command line (issue 7, item 7): real
``python -m cli`` processes on a real SQLite file, JSON output, and the exit
codes ``check`` uses: 0 done, 1 refused by a rule or a role, 2 bad input. A
refusal changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from certificate_world import make_world
from conftest import db_fingerprint

D = date(2026, 3, 2)


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


@pytest.fixture
def cli(engine, db_path, tmp_path):
    """``cli(user, *args)`` runs ``python -m cli --db DB --as USER --lang en ARGS``
    (a demo database: the only kind where one login may act as several caseworkers)."""
    from core.db import set_meta, write_session

    with write_session(engine) as s:
        set_meta(s, "demo", "1")

    def run(user: str, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "CASEDESK_CONFIG": str(tmp_path / "none.toml"), "LANG": "C.UTF-8",
               "CASEDESK_LOG_DIR": str(tmp_path / "logs")}
        env.pop("CASEDESK_DB", None)
        r = subprocess.run([sys.executable, "-m", "cli", "--db", str(db_path), "--as", user, "--lang", "en",
                            "--policy", "shenzhen-2008", *args], capture_output=True, text=True, env=env)
        assert "Traceback" not in r.stderr, r.stderr
        return r
    return run


def ok(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    data = json.loads(r.stdout)
    if isinstance(data, dict) and "ok" in data:
        assert data["ok"] is True
    return data


def refused(r: subprocess.CompletedProcess, code: int, article: str, field: str) -> dict:
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    data = json.loads(r.stdout)
    assert data["ok"] is False and data["exit"] == code
    assert (article, field) in [(x["article"], x["field"]) for x in data["reasons"]], data["reasons"]
    assert r.stderr.strip() and (not article or f"[{article}]" in r.stderr)  # the reasons on stderr too
    return data


def test_sz_md_art_4_and_5_certificate_book_replacement_batch_through_the_cli(w, engine, cli):
    day = D.isoformat()
    draft = ok(cli("clerk1", "certificate", "draft", w.enrollee.id_number, "MD-I-01", "--hospital", w.hospital.code,
                   "--physician", w.attending.code, "--criteria-acknowledged", "--on", day, "--json"))
    number = draft["number"]
    assert draft["status"] == "draft" and draft["record"]["drafted_by"] == "clerk1"

    # refused by a rule: exit 1, the reasons as JSON, nothing written
    before = db_fingerprint(engine)
    refused(cli("rev1", "certificate", "confirm", number, "--on", day, "--json"), 1, "SZ-MD Art. 4", "status")
    # bad input: exit 2
    r = cli("clerk1", "certificate", "seal", number, "--seal-ref", "S-1", "--on", "2026-13-01", "--json")
    refused(r, 2, "", "on")
    r = cli("clerk1", "certificate", "show", "C-1999-NOPE")
    assert r.returncode == 2 and "C-1999-NOPE" in r.stderr
    assert db_fingerprint(engine) == before

    signed = ok(cli("clerk1", "certificate", "sign", number, "--signature", w.head.code,
                    "--signature", f"{w.member.code}@{day}", "--on", day, "--json"))
    assert signed["status"] == "signed"
    assert ok(cli("clerk1", "certificate", "seal", number, "--seal-ref", "SEAL-7", "--on", day,
                  "--json"))["status"] == "sealed"
    # a clerk may not confirm: refused by the role rule, exit 1
    r = cli("clerk1", "certificate", "confirm", number, "--on", day, "--json")
    assert r.returncode == 1 and "role" in [x["field"] for x in json.loads(r.stdout)["reasons"]]
    confirmed = ok(cli("rev1", "certificate", "confirm", number, "--on", day, "--json"))
    assert (confirmed["status"], confirmed["record"]["valid_from"]) == ("confirmed", day)

    shown = ok(cli("rev1", "certificate", "show", number, "--on", day, "--json"))
    assert shown["status"] == "confirmed" and [s["done"] for s in shown["steps"]][:4] == [True, True, True, True]
    steps = {s["event"]: s for s in shown["allowed_steps"]}
    assert steps and not steps.get("sign", {"allowed": False})["allowed"]  # already signed
    assert any(s["allowed"] for s in steps.values())
    text = cli("rev1", "certificate", "show", number, "--on", day)
    assert text.returncode == 0 and "steps:" in text.stdout and "allowed" in text.stdout

    # record book, then the certificate reported lost and replaced at its hospital
    book = ok(cli("clerk1", "book", "issue", number, "--card", "--id-card", "--on", day, "--json"))
    assert book["status"] == "active"
    r = cli("clerk1", "book", "issue", number, "--card", "--id-card", "--on", day, "--json")
    assert r.returncode == 1  # one active book per enrollee (SZ-MD Art. 5)
    entries = ok(cli("clerk1", "book", "show", book["number"], "--json"))["entries"]
    assert [e["disease_code"] for e in entries] == ["MD-I-01"]
    second = w.recognise(D, "MD-II-02", organ="kidney")
    r = cli("clerk1", "book", "add", book["number"], second.number, "--card", "--on", day, "--json")
    refused(r, 1, "SZ-MD Art. 5", "id_card_presented")
    ok(cli("clerk1", "book", "add", book["number"], second.number, "--card", "--id-card", "--on", day, "--json"))
    renewed = ok(cli("clerk1", "book", "renew", book["number"], "--card", "--id-card", "--on", day, "--json"))
    assert renewed["number"] != book["number"]
    shown_book = ok(cli("clerk1", "book", "show", renewed["number"], "--json"))
    assert sorted(e["disease_code"] for e in shown_book["entries"]) == ["MD-I-01", "MD-II-02"]
    assert ok(cli("clerk1", "book", "show", book["number"], "--json"))["status"] == "used_up"

    lost = (D + timedelta(days=20)).isoformat()
    repl = ok(cli("clerk1", "replacement", "certificate", number, "--place", "hospital", "--office",
                  w.hospital.code, "--card", "--id-card", "--on", lost, "--json"))
    assert repl["old_number"] == number and repl["new_number"] != number
    assert ok(cli("clerk1", "certificate", "show", number, "--json"))["status"] == "void"
    archived = ok(cli("clerk1", "replacement", "archive", repl["record"]["id"], "--on", lost, "--json"))
    assert archived["record"]["archived"] is True
    assert cli("clerk1", "replacement", "archive", "not-a-key").returncode == 2
    lost_book = ok(cli("clerk1", "replacement", "book", renewed["number"], "--place", "agency", "--card",
                       "--id-card", "--on", lost, "--json"))
    assert ok(cli("clerk1", "book", "show", lost_book["new_number"], "--json"))["status"] == "active"
    assert [r["old_number"] for r in ok(cli("clerk1", "replacement", "list", w.enrollee.card_number, "--json"))] \
        == [renewed["number"], number]

    # the monthly batch of originals
    month = D.strftime("%Y-%m")
    ok(cli("clerk1", "batch", "assemble", w.hospital.code, month, "--on", lost, "--json"))
    assert number in ok(cli("clerk1", "batch", "list", w.hospital.code, month, "--json"))["certificates"]
    received = ok(cli("clerk1", "batch", "receive", w.hospital.code, month, "--on", lost, "--json"))
    assert received["record"]["received_on"] == lost
    refused(cli("clerk1", "batch", "receive", w.hospital.code, month, "--on", lost, "--json"), 1,
            "SZ-MD Art. 4", "month")


def test_sz_md_art_4_withdraw_and_invalidate_through_the_cli(w, cli):
    day = D.isoformat()
    draft = ok(cli("clerk1", "certificate", "draft", w.enrollee.card_number, "MD-I-01", "--hospital",
                   w.hospital.code, "--physician", w.attending.code, "--criteria-acknowledged", "--on", day,
                   "--json"))
    r = cli("clerk1", "certificate", "withdraw", draft["number"], "--reason", "", "--on", day, "--json")
    assert r.returncode == 1 and "reason" in [x["field"] for x in json.loads(r.stdout)["reasons"]]
    assert ok(cli("clerk1", "certificate", "withdraw", draft["number"], "--reason", "entered twice", "--on", day,
                  "--json"))["status"] == "withdrawn"
    cert = w.recognise(D)
    r = cli("clerk1", "certificate", "invalidate", cert.number, "--reason", "false claim", "--on", day, "--json")
    assert r.returncode == 1  # a reviewer's step
    assert ok(cli("rev1", "certificate", "invalidate", cert.number, "--reason", "false claim", "--on", day,
                  "--json"))["status"] == "invalidated"


def test_sz_mt_art_14_15_case_from_notice_to_resumption_through_the_cli(build, clerk, reviewer, cli):
    p = build.enrollee()
    sent = date(2026, 9, 1)
    case = ok(cli("clerk1", "case", "notice", p.card_number, "T12-reported-violation", "--month", "2026-09",
                  "--detail", "Reported by a pharmacy", "--on", sent.isoformat(), "--json"))
    number, due = case["number"], date.fromisoformat(case["record"]["notice_due"])
    assert case["status"] == "notice_sent"
    # a no-show before the deadline is refused (exit 1)
    r = cli("rev1", "case", "no-show", number, "--on", sent.isoformat(), "--json")
    assert r.returncode == 1
    after = (due + timedelta(days=1)).isoformat()
    assert ok(cli("rev1", "case", "no-show", number, "--on", after, "--json"))["status"] == "suspended"
    shown = ok(cli("rev1", "case", "show", number, "--on", after, "--json"))
    assert {s["event"] for s in shown["allowed_steps"] if s["allowed"]} >= {"verify"}
    r = cli("rev1", "case", "verify", number, "--outcome", "maybe", "--on", "2026-11-02", "--json")
    assert r.returncode == 1 and "outcome" in [x["field"] for x in json.loads(r.stdout)["reasons"]]
    assert ok(cli("rev1", "case", "verify", number, "--outcome", "no_violation", "--on", "2026-11-02",
                  "--json"))["status"] == "verified"
    assert ok(cli("rev1", "case", "decide", number, "--on", "2026-11-03", "--json"))["status"] == "decided"
    resumed = ok(cli("rev1", "case", "resume", number, "--on", "2026-11-04", "--json"))
    assert (resumed["status"], resumed["record"]["closed_on"]) == ("resumed", "2026-11-04")
    listing = ok(cli("rev1", "case", "list", p.card_number, "--json"))
    assert listing["account_state"] == "normal"
    assert cli("rev1", "case", "show", "INV-1999-000001").returncode == 2


def test_sz_mt_art_14_explanation_judged_through_the_cli(build, clerk, reviewer, cli):
    p = build.enrollee()
    case = ok(cli("clerk1", "case", "notice", p.card_number, "T12-reported-violation", "--month", "2026-09",
                  "--detail", "Reported", "--on", "2026-09-01", "--json"))
    ok(cli("clerk1", "case", "explain", case["number"], "--note", "Receipts shown", "--on", "2026-09-03",
           "--json"))
    judged = ok(cli("rev1", "case", "judge", case["number"], "--sufficient", "--on", "2026-09-04", "--json"))
    assert (judged["status"], judged["record"]["closed_on"]) == ("closed_explained", "2026-09-04")


def test_sz_mt_art_4_health_centre_select_through_the_cli(build, clerk, policy, cli):
    centre = build.institution(kind="community_health_centre", city=policy.pack.city, diagnostic_hospital=False)
    p = build.enrollee(scheme="inpatient", employment="unemployed")
    r = cli("clerk1", "health-centre", "select", p.card_number, centre.code, "--applicant", "nobody",
            "--on", "2026-03-02", "--json")
    assert r.returncode == 1
    sel = ok(cli("clerk1", "health-centre", "select", p.card_number, centre.code, "--applicant", "self",
                 "--on", "2026-03-02", "--json"))
    assert sel["record"]["selected_on"] == "2026-03-02"
    shown = ok(cli("clerk1", "health-centre", "show", p.card_number, "--json"))
    assert [s["centre"] for s in shown["selections"]] == [centre.code]
    r = cli("clerk1", "health-centre", "select", p.card_number, "NO-SUCH", "--applicant", "self", "--json")
    assert r.returncode == 2


def test_success_is_printed_only_after_the_commit(w, db_path, tmp_path, monkeypatch):
    """The commit fails (the transaction ends in an error): no success is printed."""
    from contextlib import contextmanager

    from typer.testing import CliRunner

    from cli.main import app
    from core import db, gateway

    @contextmanager
    def failing_commit(engine, **kw):
        with db.write_session(engine, **kw) as s:
            yield s
            s.rollback()
        raise RuntimeError("commit failed")

    from core.db import set_meta
    from core.db import write_session as opened

    with opened(w.engine) as s:
        set_meta(s, "demo", "1")
    monkeypatch.setattr(gateway, "write_session", failing_commit)
    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("CASEDESK_LOG_DIR", str(tmp_path / "logs"))
    r = CliRunner().invoke(app, ["--db", str(db_path), "--as", "clerk1", "certificate", "draft", w.enrollee.id_number, "MD-I-01",
                                 "--hospital", w.hospital.code, "--physician", w.attending.code,
                                 "--criteria-acknowledged", "--on", D.isoformat()])
    assert isinstance(r.exception, RuntimeError)
    assert "drafted" not in r.output
