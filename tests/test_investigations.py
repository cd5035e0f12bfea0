"""Investigation and suspension of bookkeeping (SZ-MT Art. 14, 15; RULES.md §11).

Deadlines are worked out here by hand from the 2026 calendar in RULES.md §11,
not recomputed with core.calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from core.audit import history
from core.db import read_session, write_session
from core.errors import DomainError, PermissionDenied, StaleRecord
from core.models import Enrollee, ExpenseRecord, InvestigationCase, MonitoringFlag, Settlement
from core.rules import investigations as rules
from core.services import investigations as inv
from core.services import monitoring
from tests.conftest import db_fingerprint


def flag_for(engine, clerk, policy, enrollee, trigger="T12-reported-violation", on=date(2026, 9, 1)):
    with write_session(engine) as s:
        return monitoring.record_manual_trigger(s, clerk, policy, enrollee_id=enrollee.id, trigger=trigger,
                                                detail="Reported by a pharmacy", on=on)


def notice(engine, clerk, policy, enrollee, on: date, trigger="T12-reported-violation") -> InvestigationCase:
    flag = flag_for(engine, clerk, policy, enrollee, trigger, on=on)
    with write_session(engine) as s:
        return inv.send_notice_for_flag(s, clerk, policy, flag_id=flag.id, on=on)


def act(engine, fn, *args, **kw):
    with write_session(engine) as s:
        return fn(s, *args, **kw)


def refused(engine, fn, *args, **kw) -> DomainError:
    """Run a service that must refuse; prove the database did not change."""
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as exc:
        act(engine, fn, *args, **kw)
    assert db_fingerprint(engine) == before
    return exc.value


def enrollee_of(engine, person) -> Enrollee:
    with read_session(engine) as s:
        e = s.get(Enrollee, person.id)
        s.expunge(e)
        return e


def case_of(engine, case) -> InvestigationCase:
    with read_session(engine) as s:
        c = s.get(InvestigationCase, case.id)
        s.expunge(c)
        return c


def suspended_case(engine, build, clerk, reviewer, policy, on=date(2026, 9, 1)):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, on)
    act(engine, inv.record_no_show, reviewer, policy, case_id=case.id, on=case.notice_due + timedelta(days=1))
    return p, case_of(engine, case)


# --------------------------------------------------------------------------- notice deadlines


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (date(2026, 9, 25), date(2026, 10, 15)),  # Mid-Autumn + National Day; Sep 20 / Oct 10 make-up days
        (date(2026, 11, 22), date(2026, 12, 4)),  # a Sunday; no holidays
    ],
)
def test_sz_mt_art_14_notice_deadline_ten_working_days(engine, build, clerk, policy, sent, due):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, sent)
    assert (case.notice_on, case.notice_due, case.notice_due_provisional) == (sent, due, False)
    assert case.status == "notice_sent" and case.assigned_to == "clerk1"


def test_sz_mt_art_14_notice_deadline_past_calendar_data_is_provisional(engine, build, clerk, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2031, 3, 3))  # a Monday; no holiday data for 2031
    assert case.notice_due == date(2031, 3, 17)  # weekends only
    assert case.notice_due_provisional is True


def test_sz_mt_art_14_case_numbers_are_readable_and_unique(engine, build, clerk, policy):
    import re

    cases = [notice(engine, clerk, policy, build.enrollee(), date(2026, 9, 1)) for _ in range(5)]
    later = notice(engine, clerk, policy, build.enrollee(), date(2027, 1, 4))
    numbers = [c.number for c in cases]
    assert len(set(numbers)) == 5
    # Crockford base32 (no I, L, O, U), year of the notice: unique across offline branches too
    assert all(re.fullmatch(r"INV-2026-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", n) for n in numbers)
    assert later.number.startswith("INV-2027-")
    with read_session(engine) as s:
        typed = " " + numbers[1].lower() + " "
        assert inv.get_case(s, typed).id == cases[1].id


def test_sz_mt_art_14_notice_from_flag_links_the_flag(engine, build, clerk, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 1))
    with read_session(engine) as s:
        flag = s.exec(select(MonitoringFlag).where(MonitoringFlag.enrollee_id == p.id)).one()
        flag_id, linked = flag.id, flag.case_id
        events = [e.action for e in history(s, enrollee_id=p.id)]
    assert linked == case.id
    assert "investigation.notice" in events and "monitoring.flag_case" in events
    err = refused(engine, inv.send_notice_for_flag, clerk, policy, flag_id=flag_id, on=date(2026, 9, 2))
    assert err.field == "flag"


def test_sz_mt_art_14_notice_from_scan_hit(engine, build, clerk, policy):
    p = build.enrollee()
    with write_session(engine) as s:
        for i in range(16):
            s.add(ExpenseRecord(enrollee_id=p.id, occurred_at=datetime(2026, 10, 1, 9) + timedelta(days=i),
                                visit_kind="general_outpatient", amount_fen=100))
    case = act(engine, inv.send_notice_for_hit, clerk, policy, enrollee_id=p.id, trigger="T01-visits-month",
               month="2026-10", on=date(2026, 11, 2))
    assert case.trigger == "T01-visits-month" and case.trigger_month == "2026-10"
    assert "16 visits" in case.trigger_detail
    with read_session(engine) as s:
        flag = s.exec(select(MonitoringFlag).where(MonitoringFlag.case_id == case.id)).one()
        assert flag.source == "scan"
    err = refused(engine, inv.send_notice_for_hit, clerk, policy, enrollee_id=p.id, trigger="T03-cost-month",
                  month="2026-10", on=date(2026, 11, 2))
    assert (err.field, err.article) == ("trigger", "SZ-MT Art. 13")


def test_sz_mt_art_14_one_open_case_per_enrollee_per_trigger(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    first = notice(engine, clerk, policy, p, date(2026, 9, 1))
    flag = flag_for(engine, clerk, policy, p)
    err = refused(engine, inv.send_notice_for_flag, clerk, policy, flag_id=flag.id, on=date(2026, 9, 2))
    assert (err.field, err.article) == ("trigger", "SZ-MT Art. 14")
    # another trigger is another case
    other = notice(engine, clerk, policy, p, date(2026, 9, 2), trigger="T11-card-left")
    assert other.number != first.number
    # once the first case is closed, the same trigger may open a new one
    act(engine, inv.record_explanation, clerk, policy, case_id=first.id, note="Visited for a sick parent",
        on=date(2026, 9, 3))
    act(engine, inv.judge_explanation, reviewer, policy, case_id=first.id, sufficient=True, on=date(2026, 9, 4))
    again = act(engine, inv.send_notice_for_flag, clerk, policy, flag_id=flag.id, on=date(2026, 9, 5))
    assert again.status == "notice_sent"


# --------------------------------------------------------------------------- explanation and no-show


def test_sz_mt_art_14_sufficient_explanation_closes_the_case(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 1))
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="Brought receipts", on=date(2026, 9, 8))
    done = act(engine, inv.judge_explanation, reviewer, policy, case_id=case.id, sufficient=True,
               on=date(2026, 9, 9))
    assert (done.status, done.closed_on, done.explanation_sufficient) == ("closed_explained", date(2026, 9, 9), True)
    assert enrollee_of(engine, p).account_state == "normal"


def test_sz_mt_art_14_insufficient_explanation_opens_case_and_suspends(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 1))
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="No receipts", on=date(2026, 9, 8))
    opened = act(engine, inv.judge_explanation, reviewer, policy, case_id=case.id, sufficient=False,
                 on=date(2026, 9, 10))
    assert (opened.status, opened.opened_on, opened.open_reason) == ("suspended", date(2026, 9, 10), "insufficient")
    assert opened.verification_due == date(2026, 12, 9)  # 90 calendar days
    e = enrollee_of(engine, p)
    assert (e.account_state, e.account_state_since) == ("suspended", date(2026, 9, 10))
    with read_session(engine) as s:
        actions = {ev.action: ev.article for ev in history(s, enrollee_id=p.id)}
    assert actions["enrollee.suspend"] == "SZ-MT Art. 14"


def test_sz_mt_art_14_suspended_account_settles_in_cash(engine, build, clerk, reviewer, policy):
    p, _ = suspended_case(engine, build, clerk, reviewer, policy)
    q = build.enrollee()
    with read_session(engine) as s:
        assert inv.settlement_of(s, p.id) == Settlement.CASH
        assert inv.settlement_of(s, q.id) == Settlement.BOOKKEEPING
    assert rules.settlement_for("suspended") == "cash"


def test_sz_mt_art_14_no_show_refused_before_the_deadline(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 25))
    err = refused(engine, inv.record_no_show, reviewer, policy, case_id=case.id, on=date(2026, 10, 15))
    assert (err.field, err.article) == ("on", "SZ-MT Art. 14")
    opened = act(engine, inv.record_no_show, reviewer, policy, case_id=case.id, on=date(2026, 10, 16))
    assert (opened.status, opened.open_reason, opened.opened_on) == ("suspended", "no_show", date(2026, 10, 16))
    assert enrollee_of(engine, p).account_state == "suspended"


def test_sz_mt_art_14_no_show_refused_after_an_explanation(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 1))
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="Came", on=date(2026, 9, 2))
    err = refused(engine, inv.record_no_show, reviewer, policy, case_id=case.id, on=date(2026, 10, 1))
    assert err.field == "explanation_on"


def test_sz_mt_art_14_explanation_refusals(engine, build, clerk, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 10))
    assert refused(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="  ", on=date(2026, 9, 11)).field == "note"
    assert refused(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="x", on=date(2026, 9, 9)).field == "on"
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="x", on=date(2026, 9, 11))
    assert refused(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="y",
                   on=date(2026, 9, 12)).field == "explanation_on"


def test_sz_mt_art_14_judging_needs_an_explanation(engine, build, clerk, reviewer, policy):
    case = notice(engine, clerk, policy, build.enrollee(), date(2026, 9, 1))
    err = refused(engine, inv.judge_explanation, reviewer, policy, case_id=case.id, sufficient=True,
                  on=date(2026, 9, 2))
    assert err.field == "explanation_on"


# --------------------------------------------------------------------------- roles


def test_sz_mt_art_14_clerk_may_not_decide(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    case = notice(engine, clerk, policy, p, date(2026, 9, 1))
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="x", on=date(2026, 9, 2))
    err = refused(engine, inv.judge_explanation, clerk, policy, case_id=case.id, sufficient=False, on=date(2026, 9, 3))
    assert isinstance(err, PermissionDenied) and err.field == "role"
    _, opened = suspended_case(engine, build, clerk, reviewer, policy)
    for fn, kw in (
        (inv.record_no_show, dict(policy=policy, case_id=case.id, on=date(2026, 10, 1))),
        (inv.record_verification, dict(policy=policy, case_id=opened.id, outcome="no_violation", on=date(2026, 11, 2))),
        (inv.deliver_decision, dict(policy=policy, case_id=opened.id, on=date(2026, 11, 2))),
        (inv.resume, dict(policy=policy, case_id=opened.id, on=date(2026, 11, 2))),
    ):
        pol = kw.pop("policy", None)
        args = (clerk, pol) if pol is not None else (clerk,)
        assert isinstance(refused(engine, fn, *args, **kw), PermissionDenied)


def test_sz_mt_art_14_notice_needs_record_role(engine, build, policy, clerk):
    from core.auth import Actor

    flag = flag_for(engine, clerk, policy, build.enrollee())
    err = refused(engine, inv.send_notice_for_flag, Actor("x", "nobody"), policy, flag_id=flag.id, on=date(2026, 9, 1))
    assert isinstance(err, PermissionDenied)


def test_sz_mt_art_14_stale_version_refused(engine, build, clerk, policy):
    case = notice(engine, clerk, policy, build.enrollee(), date(2026, 9, 1))
    act(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="x", on=date(2026, 9, 2),
        expected_version=case.version)
    err = refused(engine, inv.record_explanation, clerk, policy, case_id=case.id, note="y", on=date(2026, 9, 2),
                  expected_version=case.version)
    assert isinstance(err, StaleRecord)


# --------------------------------------------------------------------------- verification and outcome


def test_sz_mt_art_14_verification_sets_decision_and_resumption_deadlines(engine, build, clerk, reviewer, policy):
    _, case = suspended_case(engine, build, clerk, reviewer, policy, on=date(2026, 8, 3))
    verified = act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="no_violation",
                   on=date(2026, 9, 28), note="Visits were for dressing changes")
    # 10 working days after Mon 2026-09-28: Sep 29, 30, Oct 8, 9, 10 (make-up Sat), 12, 13, 14, 15, 16
    assert (verified.decision_due, verified.decision_due_provisional) == (date(2026, 10, 16), False)
    assert (verified.resumption_due, verified.resumption_due_provisional) == (date(2026, 10, 10), False)
    assert verified.status == "verified" and verified.outcome == "no_violation"


def test_sz_mt_art_14_verification_late_in_the_year_is_provisional(engine, build, clerk, reviewer, policy):
    _, case = suspended_case(engine, build, clerk, reviewer, policy, on=date(2026, 11, 2))
    verified = act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="no_violation",
                   on=date(2026, 12, 28))
    assert verified.decision_due.year == 2027 and verified.decision_due_provisional is True
    assert verified.resumption_due == date(2027, 1, 4) and verified.resumption_due_provisional is True


def test_sz_mt_art_14_verification_refusals(engine, build, clerk, reviewer, policy):
    case = notice(engine, clerk, policy, build.enrollee(), date(2026, 9, 1))
    assert refused(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="no_violation",
                   on=date(2026, 10, 1)).field == "status"
    _, opened = suspended_case(engine, build, clerk, reviewer, policy)
    assert refused(engine, inv.record_verification, reviewer, policy, case_id=opened.id, outcome="fine",
                   on=date(2026, 10, 1)).field == "outcome"
    assert refused(engine, inv.record_verification, reviewer, policy, case_id=opened.id, outcome="violation",
                   on=opened.opened_on - timedelta(days=1)).field == "on"


def test_sz_mt_art_15_resuming_without_verification_refused(engine, build, clerk, reviewer, policy):
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    err = refused(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 10, 20))
    assert (err.field, err.article) == ("verified_on", "SZ-MT Art. 15")
    assert enrollee_of(engine, p).account_state == "suspended"


def test_sz_mt_art_15_no_violation_resumes_bookkeeping(engine, build, clerk, reviewer, policy):
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="no_violation",
        on=date(2026, 11, 2))
    resumed = act(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 11, 4))
    # resumed before the decision: the case stays verified (open) until the decision closes it
    assert (resumed.status, resumed.resumed_on, resumed.closed_on) == ("verified", date(2026, 11, 4), None)
    e = enrollee_of(engine, p)
    assert (e.account_state, e.account_state_since) == ("normal", date(2026, 11, 4))
    with read_session(engine) as s:
        assert inv.settlement_of(s, p.id) == Settlement.BOOKKEEPING
    decided = act(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 6))
    assert (decided.status, decided.closed_on) == ("resumed", date(2026, 11, 6))
    assert refused(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 11, 7)).field == "resumed_on"
    assert refused(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 7)).field == "decided_on"


def test_sz_mt_art_15_decision_before_resumption(engine, build, clerk, reviewer, policy):
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="no_violation",
        on=date(2026, 11, 2))
    decided = act(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 3))
    assert (decided.status, decided.closed_on) == ("decided", None)
    resumed = act(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 11, 4))
    assert (resumed.status, resumed.closed_on) == ("resumed", date(2026, 11, 4))


def test_sz_mt_art_15_violation_keeps_the_account_suspended(engine, build, clerk, reviewer, policy):
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="violation",
        on=date(2026, 11, 2))
    err = refused(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 11, 3))
    assert (err.field, err.article) == ("outcome", "SZ-MT Art. 15")
    decided = act(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 3))
    assert (decided.status, decided.closed_on) == ("violation", date(2026, 11, 3))
    assert decided.resumption_due is None
    assert enrollee_of(engine, p).account_state == "suspended"


def test_sz_mt_art_15_suspected_crime_is_referred(engine, build, clerk, reviewer, policy):
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    act(engine, inv.record_verification, reviewer, policy, case_id=case.id, outcome="crime", on=date(2026, 11, 2))
    assert refused(engine, inv.resume, reviewer, policy, case_id=case.id, on=date(2026, 11, 3)).field == "outcome"
    decided = act(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 3))
    assert decided.status == "referred"
    assert enrollee_of(engine, p).account_state == "suspended"


def test_sz_mt_art_15_decision_needs_verification(engine, build, clerk, reviewer, policy):
    _, case = suspended_case(engine, build, clerk, reviewer, policy)
    assert refused(engine, inv.deliver_decision, reviewer, policy, case_id=case.id, on=date(2026, 11, 3)).field == "verified_on"


def test_sz_mt_art_15_account_stays_suspended_while_another_case_holds_it(engine, build, clerk, reviewer, policy):
    p = build.enrollee()
    a = notice(engine, clerk, policy, p, date(2026, 9, 1))
    b = notice(engine, clerk, policy, p, date(2026, 9, 1), trigger="T11-card-left")
    act(engine, inv.record_no_show, reviewer, policy, case_id=a.id, on=date(2026, 9, 20))
    act(engine, inv.record_no_show, reviewer, policy, case_id=b.id, on=date(2026, 9, 21))
    assert enrollee_of(engine, p).account_state_since == date(2026, 9, 20)
    act(engine, inv.record_verification, reviewer, policy, case_id=a.id, outcome="no_violation", on=date(2026, 10, 12))
    act(engine, inv.resume, reviewer, policy, case_id=a.id, on=date(2026, 10, 13))
    assert enrollee_of(engine, p).account_state == "suspended"
    act(engine, inv.record_verification, reviewer, policy, case_id=b.id, outcome="no_violation", on=date(2026, 10, 14))
    act(engine, inv.resume, reviewer, policy, case_id=b.id, on=date(2026, 10, 15))
    assert enrollee_of(engine, p).account_state == "normal"


def test_sz_mt_art_14_cli_case_show_and_list(engine, build, clerk, reviewer, policy, db_path, monkeypatch, tmp_path, me):
    import json

    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    p, case = suspended_case(engine, build, clerk, reviewer, policy)
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db_path), "case", "show", case.number, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["status"] == "suspended" and data["open_reason"] == "no_show"
    res = runner.invoke(app, ["--db", str(db_path), "case", "list", p.card_number])
    assert res.exit_code == 0 and "settlement cash" in res.stdout and case.number in res.stdout
    res = runner.invoke(app, ["--db", str(db_path), "case", "show", "INV-1999-000001"])
    assert res.exit_code == 2 and "case" in res.stderr
