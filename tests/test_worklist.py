"""The worklist: everything due, sorted by due date (SZ-MT Art. 14, 15; SZ-MD Art. 4, 12)."""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from core.db import read_session, write_session
from core.models import Certificate, MonthlyBatch
from core.rules import worklist as rules
from core.rules.certificates import renewal_window
from core.services import investigations as inv
from core.services import monitoring
from core.services import worklist as wl
from tests.test_monitoring import pg_engine  # noqa: F401  (fixture)

ON = date(2026, 10, 20)
_n = itertools.count(1)


def act(engine, fn, *args, **kw):
    with write_session(engine) as s:
        return fn(s, *args, **kw)


def notice(engine, actor, policy, enrollee, on: date, trigger="T12-reported-violation"):
    flag = act(engine, monitoring.record_manual_trigger, actor, policy, enrollee_id=enrollee.id, trigger=trigger,
               detail="Reported", on=on)
    return act(engine, inv.send_notice_for_flag, actor, policy, flag_id=flag.id, on=on)


def cert(engine, build, enrollee, hospital, *, valid_until: date | None, confirmed_on: date | None = date(2025, 1, 2),
         status: str = "confirmed", previous_id=None, batch_id=None) -> Certificate:
    doc = build.physician(hospital)
    c = Certificate(number=f"C-WL-{next(_n):05d}", enrollee_id=enrollee.id, disease_code="MD-I-01", category=1,
                    policy_pack="shenzhen-2008", status=status, institution_id=hospital.id, physician_id=doc.id,
                    drafted_on=date(2024, 12, 20), drafted_by="clerk1", confirmed_on=confirmed_on,
                    valid_from=confirmed_on, valid_until=valid_until, previous_id=previous_id, batch_id=batch_id)
    with write_session(engine) as s:
        s.add(c)
    return c


def batch(engine, hospital, month: str, received_on: date | None) -> MonthlyBatch:
    b = MonthlyBatch(institution_id=hospital.id, month=month, received_on=received_on,
                     received_by="clerk1" if received_on else None)
    with write_session(engine) as s:
        s.add(b)
    return b


def get(engine, policy, **kw) -> wl.Worklist:
    kw.setdefault("on", ON)
    with read_session(engine) as s:
        return wl.worklist(s, policy, **kw)


@pytest.fixture
def world(engine, build, clerk, clerk2, reviewer, policy):
    return make_world(engine, build, clerk, clerk2, reviewer, policy)


def make_world(engine, build, clerk, clerk2, reviewer, policy):
    """One item of every kind (and near misses), on 2026-10-20."""
    people = {k: build.enrollee(name=f"P {k}", branch="futian" if k != "nanshan" else "nanshan") for k in
              ("notice", "explained", "suspended", "verified", "renewal", "nanshan", "quiet")}
    # notice 2026-09-25, due 2026-10-15, no explanation: overdue
    notice(engine, clerk, policy, people["notice"], date(2026, 9, 25))
    # a notice still running (due 2026-10-30): not listed
    notice(engine, clerk2, policy, people["quiet"], date(2026, 10, 16))
    c = notice(engine, clerk2, policy, people["explained"], date(2026, 10, 12))
    act(engine, inv.record_explanation, clerk2, policy, case_id=c.id, note="Came with receipts", on=date(2026, 10, 14))
    c = notice(engine, clerk, policy, people["suspended"], date(2026, 8, 3))
    act(engine, inv.record_no_show, reviewer, policy, case_id=c.id, on=date(2026, 8, 18))  # verify by 11-16
    c = notice(engine, clerk, policy, people["verified"], date(2026, 7, 1))
    act(engine, inv.record_no_show, reviewer, policy, case_id=c.id, on=date(2026, 7, 20))
    act(engine, inv.record_verification, reviewer, policy, case_id=c.id, outcome="no_violation",
        on=date(2026, 9, 28))  # decision by 10-16, resumption by 10-10
    notice(engine, clerk, policy, people["nanshan"], date(2026, 9, 1))  # due 09-15, other branch
    # certificates
    h1 = build.institution(code="H-ONE", name="First Hospital")
    h2 = build.institution(code="H-TWO", name="Second Hospital")
    r = people["renewal"]
    batch(engine, h1, "2025-01", date(2025, 2, 3))  # the renewal certificates' originals were received
    cert(engine, build, r, h1, valid_until=date(2026, 12, 31))  # window opened 10-01: listed
    cert(engine, build, r, h1, valid_until=date(2027, 1, 19))  # window opens 10-20: listed
    cert(engine, build, r, h1, valid_until=date(2027, 1, 20))  # opens 10-21: not yet
    cert(engine, build, r, h1, valid_until=date(2026, 10, 19))  # expired: not listed
    renewed = cert(engine, build, r, h1, valid_until=date(2026, 11, 30))
    cert(engine, build, r, h1, valid_until=None, status="draft", confirmed_on=None, previous_id=renewed.id)
    withdrawn_renewal = cert(engine, build, r, h1, valid_until=date(2026, 11, 15))
    cert(engine, build, r, h1, valid_until=None, status="withdrawn", confirmed_on=None,
         previous_id=withdrawn_renewal.id)  # a withdrawn renewal does not count: listed
    # batches: h1 September not received (2 certs), h2 September received, October is not past
    p = people["quiet"]
    cert(engine, build, p, h1, valid_until=date(2028, 9, 3), confirmed_on=date(2026, 9, 4))
    pending = batch(engine, h1, "2026-09", None)
    cert(engine, build, p, h1, valid_until=date(2028, 9, 9), confirmed_on=date(2026, 9, 10), batch_id=pending.id)
    done = batch(engine, h2, "2026-09", date(2026, 10, 8))
    cert(engine, build, p, h2, valid_until=date(2028, 9, 3), confirmed_on=date(2026, 9, 4), batch_id=done.id)
    cert(engine, build, p, h2, valid_until=date(2028, 10, 3), confirmed_on=date(2026, 10, 4))
    return people


EXPECTED_WORLD = [
    ("notice_overdue", date(2026, 9, 15), "P nanshan"),
    ("batch_missing", date(2026, 9, 30), ""),
    ("resumption_due", date(2026, 10, 10), "P verified"),
    ("explanation_to_judge", date(2026, 10, 14), "P explained"),
    ("notice_overdue", date(2026, 10, 15), "P notice"),
    ("decision_due", date(2026, 10, 16), "P verified"),
    ("certificate_renewal", date(2026, 11, 15), "P renewal"),
    ("verification_due", date(2026, 11, 16), "P suspended"),
    ("certificate_renewal", date(2026, 12, 31), "P renewal"),
    ("certificate_renewal", date(2027, 1, 19), "P renewal"),
]


def test_sz_mt_art_14_worklist_includes_each_kind_sorted_by_due_date(engine, policy, world):
    result = get(engine, policy)
    got = [(i.kind, i.due, i.enrollee_name) for i in result.items]
    assert got == EXPECTED_WORLD
    # a refused branch operation is the one kind this world has none of (tests/test_sync_push.py)
    assert set(rules.KINDS) - {rules.SYNC_CONFLICT} == {k for k, _, _ in got}
    assert result.total == 10 and result.more == 0
    assert [i.due for i in result.items] == sorted(i.due for i in result.items)


def test_sz_mt_art_14_worklist_item_shape(engine, policy, world):
    items = {}
    for i in get(engine, policy).items:
        items.setdefault(i.kind, i)  # the first (earliest) of each kind
    notice_item = items["notice_overdue"]
    assert notice_item.overdue is True and notice_item.provisional is False
    assert notice_item.article == "SZ-MT Art. 14" and notice_item.record.startswith("INV-2026-")
    assert "record the no-show" in notice_item.message()
    assert items["resumption_due"].article == "SZ-MT Art. 15"
    assert items["verification_due"].overdue is False
    renewal = items["certificate_renewal"]  # valid until 2026-11-15
    assert renewal.article == "SZ-MD Art. 12" and renewal.params["opens"] == "2026-08-16"
    assert renewal.overdue is False
    b = items["batch_missing"]
    assert b.article == "SZ-MD Art. 4" and b.params["count"] == 2 and b.record == "H-ONE 2026-09"
    assert b.overdue is True and b.enrollee_id is None
    d = notice_item.as_dict()
    assert set(d) >= {"kind", "due", "provisional", "overdue", "enrollee_id", "enrollee_name", "record", "article",
                      "msgid", "params", "message"}


def test_sz_mt_art_14_worklist_limit_reports_the_rest(engine, policy, world):
    result = get(engine, policy, limit=3)
    assert [i.due for i in result.items] == [date(2026, 9, 15), date(2026, 9, 30), date(2026, 10, 10)]
    assert (result.total, result.more) == (10, 7)


def test_sz_mt_art_14_worklist_due_before_is_inclusive(engine, policy, world):
    result = get(engine, policy, due_before=date(2026, 10, 15))
    assert [i.due for i in result.items] == [date(2026, 9, 15), date(2026, 9, 30), date(2026, 10, 10),
                                             date(2026, 10, 14), date(2026, 10, 15)]
    assert result.total == 5
    assert [i.kind for i in get(engine, policy, due_before=date(2026, 9, 29)).items] == ["notice_overdue"]


def test_sz_mt_art_14_worklist_for_a_branch(engine, policy, world):
    futian = get(engine, policy, branch="futian")
    assert "P nanshan" not in {i.enrollee_name for i in futian.items}
    assert "batch_missing" not in {i.kind for i in futian.items}  # agency work
    assert futian.total == 8
    nanshan = get(engine, policy, branch="nanshan")
    assert [(i.kind, i.enrollee_name) for i in nanshan.items] == [("notice_overdue", "P nanshan")]


def test_sz_mt_art_14_worklist_for_a_caseworker(engine, policy, world):
    mine = get(engine, policy, caseworker="clerk2")
    assert [(i.kind, i.enrollee_name) for i in mine.items] == [("explanation_to_judge", "P explained")]


def test_sz_mt_art_14_worklist_provisional_deadline_shown(engine, build, clerk, policy):
    p = build.enrollee()
    notice(engine, clerk, policy, p, date(2031, 3, 3))
    result = get(engine, policy, on=date(2031, 3, 20))
    assert [(i.kind, i.due, i.provisional, i.overdue) for i in result.items] == [
        ("notice_overdue", date(2031, 3, 17), True, True)]


def test_sz_mt_art_14_worklist_clears_when_the_work_is_done(engine, policy, world, reviewer):
    with read_session(engine) as s:
        case_id = inv.cases_of(s, world["verified"].id)[0].id
    act(engine, inv.deliver_decision, reviewer, policy, case_id=case_id, on=ON)
    kinds = [i.kind for i in get(engine, policy).items]
    assert "resumption_due" in kinds and "decision_due" not in kinds
    act(engine, inv.resume, reviewer, policy, case_id=case_id, on=ON)
    kinds = [i.kind for i in get(engine, policy).items]
    assert "resumption_due" not in kinds and "decision_due" not in kinds


def test_sz_mt_art_14_alerts_for_one_enrollee(engine, policy, world):
    with read_session(engine) as s:
        verified = wl.alerts(s, world["verified"].id, ON, policy)
        renewal = wl.alerts(s, world["renewal"].id, ON, policy)
        quiet = wl.alerts(s, world["quiet"].id, ON, policy)
    assert [i.kind for i in verified] == ["resumption_due", "decision_due"]
    assert [i.due for i in renewal] == [date(2026, 11, 15), date(2026, 12, 31), date(2027, 1, 19)]
    assert quiet == []  # the notice is still running; batches are not the enrollee's


def test_sz_md_art_12_renewal_bound_matches_the_certificate_window(policy):
    """on <= valid_until <= bound  <=>  on is inside renewal_window(valid_until)."""
    from types import SimpleNamespace

    months = policy.validity.renewal_window_months
    start = date(2027, 1, 1)
    for d in range(0, 800, 1):
        on = start + timedelta(days=d)
        bound = rules.renewal_latest_valid_until(on, months)
        for v in (bound, bound + timedelta(days=1), on, on - timedelta(days=1)):
            opens, closes = renewal_window(SimpleNamespace(valid_until=v), policy)
            assert (opens <= on <= closes) == (on <= v <= bound), (on, v, bound)


def test_sz_mt_art_14_worklist_cli(engine, build, clerk, policy, db_path, monkeypatch, tmp_path, me):
    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    notice(engine, clerk, policy, build.enrollee(name="Late Comer"), date(2026, 9, 25))
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db_path), "worklist", "--on", "2026-10-20", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["total"] == 1 and data["items"][0]["kind"] == "notice_overdue"
    assert data["items"][0]["due"] == "2026-10-15"
    res = runner.invoke(app, ["--db", str(db_path), "worklist", "--on", "2026-10-20", "--branch", "nanshan"])
    assert res.exit_code == 0 and "Late Comer" not in res.stdout and "0 of 0" in res.stdout
    res = runner.invoke(app, ["--db", str(db_path), "worklist", "--on", "2026-10-20"])
    assert res.exit_code == 0 and "Late Comer" in res.stdout and "1 of 1" in res.stdout
    res = runner.invoke(app, ["--db", str(db_path), "worklist", "--due-before", "2026-13-01"])
    assert res.exit_code == 2 and "due_before" in res.stderr
    res = runner.invoke(app, ["--db", str(db_path), "worklist", "--on", "yesterday"])
    assert res.exit_code == 2 and "on" in res.stderr


@pytest.mark.postgres
def test_sz_mt_art_14_worklist_sql_postgresql(pg_engine, policy):
    from core.auth import Actor
    from tests.conftest import Build

    make_world(pg_engine, Build(pg_engine), Actor("clerk1", "clerk", "futian"), Actor("clerk2", "clerk", "futian"),
               Actor("rev1", "reviewer", "futian"), policy)
    with read_session(pg_engine) as s:
        result = wl.worklist(s, policy, on=ON)
    assert [(i.kind, i.due, i.enrollee_name) for i in result.items] == EXPECTED_WORLD
