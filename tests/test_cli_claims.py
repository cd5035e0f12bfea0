"""``casedesk claim`` from the shell (issue 13 item 5): real ``python -m cli``
processes on a real SQLite file; register with receipts, decide, approve by
a second caseworker, show, list, the month's payment list as CSV; a
duplicate receipt exits 1, an unreadable receipt exits 2, nothing changes."""

from __future__ import annotations

import csv
import json
from datetime import date

from conftest import db_fingerprint
from test_cli_workflows import cli, ok, refused, w  # noqa: F401  (fixtures)

ON = date(2026, 3, 10)


def _oncology(engine, build, policy, clerk, reviewer):
    from certificate_world import make_world

    o = make_world(engine, build, policy, clerk, reviewer, specialty="oncology")
    o.recognise(ON, "MD-II-03", physician=o.attending)
    return o


def test_claim_register_decide_approve_show_and_pay(cli, engine, build, policy, clerk, reviewer, tmp_path):  # noqa: F811
    o = _oncology(engine, build, policy, clerk, reviewer)
    spec = f"{o.hospital.code}/INV-9/2026-04-02: chemotherapy drugs=1,000.00; PET-CT=2000@le; drug B=100@supp"
    data = ok(cli("clerk1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt", spec, "--decide",
                  "--on", "2026-04-03", "--json"))
    claim = data["claim"]
    # SZ-MD Art. 7: 90 % of the 3,000 basic cost, 80 % of the 100 supplementary; the PET-CT counts for a
    # Category II disease (SZ-MD Art. 6 leaves large equipment out of Category I only)
    assert claim["status"] == "decided" and claim["paid"] == "2780.00"
    (r,) = claim["receipts"]
    assert r["pays"] is True and r["counted"] == "3100.00"
    number = claim["number"]
    shown = ok(cli("rev1", "claim", "show", number, "--on", "2026-04-03", "--json"))
    assert {s["event"]: s["allowed"] for s in shown["allowed_steps"]}["approve"] is True
    assert any(x["article"] == "SZ-MD Art. 10" for x in shown["receipts"][0]["reasons"])
    ok(cli("rev1", "claim", "approve", number, "--on", "2026-04-05", "--json"))
    listed = ok(cli("clerk1", "claim", "list", o.enrollee.id_number, "--json"))
    assert [c["status"] for c in listed] == ["approved"]
    out = tmp_path / "pay.csv"
    res = cli("clerk1", "claim", "payments", "2026-04", "--csv", str(out))
    assert res.returncode == 0 and "1 claim(s), total 2780.00" in res.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(x["claim"], x["paid"]) for x in rows] == [(number, "2780.00")]


def test_claim_duplicate_receipt_exit_1_and_bad_receipt_exit_2(cli, engine, build, policy, clerk, reviewer):  # noqa: F811
    o = _oncology(engine, build, policy, clerk, reviewer)
    spec = f"{o.hospital.code}/INV-10/2026-04-02: drugs=100"
    ok(cli("clerk1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt", spec, "--on", "2026-04-03",
           "--json"))
    before = db_fingerprint(engine)
    refused(cli("clerk1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt", spec, "--on",
                "2026-04-03", "--json"), 1, "SZ-MD Art. 10", "receipt_number")
    r = cli("clerk1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt", "no receipt here", "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["reasons"][0]["field"] == "receipt"
    r = cli("clerk1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt",
            f"{o.hospital.code}/X/2026-04-02: drugs=1e9", "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["reasons"][0]["field"] == "amount"
    assert db_fingerprint(engine) == before


def test_claim_four_eyes_from_the_shell(cli, engine, build, policy, clerk, reviewer):  # noqa: F811
    o = _oncology(engine, build, policy, clerk, reviewer)
    data = ok(cli("rev1", "claim", "register", o.enrollee.id_number, "MD-II-03", "--receipt",
                  f"{o.hospital.code}/INV-11/2026-04-02: drugs=100", "--decide", "--on", "2026-04-03", "--json"))
    refused(cli("rev1", "claim", "approve", data["claim"]["number"], "--on", "2026-04-03", "--json"), 1,
            "SZ-MD Art. 10", "approved_by")
    refused(cli("clerk1", "claim", "approve", data["claim"]["number"], "--on", "2026-04-03", "--json"), 1,
            "SZ-MD Art. 10", "role")


def test_settlement_month_as_csv_from_the_shell(cli, engine, build, policy, clerk, reviewer, tmp_path):  # noqa: F811
    from datetime import datetime

    from core.db import write_session
    from core.services import registry

    o = _oncology(engine, build, policy, clerk, reviewer)
    with write_session(engine) as s:
        registry.add_expense(s, clerk, enrollee_id=o.enrollee.id, occurred_at=datetime(2026, 10, 5, 9), amount_fen=100_000,
                             visit_kind="major_disease_outpatient", institution_id=o.hospital.id,
                             disease_code="MD-II-03", policy=policy)
    out = tmp_path / "settle.csv"
    r = cli("clerk1", "settlement", "2026-10", "--csv", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(x["institution"], x["booked"], x["basic_pooling"], x["article"]) for x in rows] == [
        (o.hospital.code, "1000.00", "900.00", "SZ-MD Art. 11")]
    bad = cli("clerk1", "settlement", "2026-13", "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["reasons"][0]["field"] == "month"
