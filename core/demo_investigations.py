"""Demo investigations at every stage of SZ-MT Art. 13-15: a notice within
its deadline, one past it, an explanation waiting for judgement, a case
closed on a sufficient explanation, suspensions awaiting verification and
decision, a resumed account, a violation and a judicial referral; plus the
month's scan hits of the heavy users the demo expenses created."""

from __future__ import annotations

from datetime import date, timedelta

from core.services import investigations as inv
from core.services import monitoring

# (stage, days ago the notice went out)
STAGES = [
    ("notice", 3),
    ("notice_overdue", 30),
    ("explained", 8),
    ("closed", 25),
    ("suspended", 40),
    ("verified", 130),
    ("resumed", 150),
    ("violation", 160),
    ("referred", 170),
]


def walk(w) -> None:
    today = w.today
    policy = w.policy
    manual = [t.code for t in policy.monitoring.triggers if t.kind == "manual"]
    # enrollees who hold certificates and books, so their view shows everything
    people = [e for e in w.people if e.scheme == "comprehensive"][20:20 + len(STAGES)]
    for k, ((stage, ago), e) in enumerate(zip(STAGES, people)):
        notice_on = today - timedelta(days=ago)
        trigger = manual[k % len(manual)]
        flag = w.run(lambda s: monitoring.record_manual_trigger(
            s, w.clerk, policy, enrollee_id=e.id, trigger=trigger, on=notice_on,
            detail="reported at the counter by an institution (demo)"))
        case = w.run(lambda s: inv.send_notice_for_flag(s, w.clerk, policy, flag_id=flag.id, on=notice_on))
        w.bump("investigation notices")
        _advance(w, case, stage, notice_on, today)
    # scan hits of the heavy users: notices sent for last month's hits
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    result = w.run(lambda s: monitoring.scan(s, policy, last_month))
    seen = set()
    for hit in result.hits[:2]:
        if hit.enrollee_id in seen:
            continue
        seen.add(hit.enrollee_id)
        w.run(lambda s: inv.send_notice_for_hit(s, w.clerk, policy, enrollee_id=hit.enrollee_id, trigger=hit.trigger,
                                                month=last_month, on=today - timedelta(days=1)))
        w.bump("investigation notices from the scan")


def _advance(w, case, stage: str, notice_on: date, today: date) -> None:
    policy, rev, clerk = w.policy, w.reviewer, w.clerk
    if stage in ("notice", "notice_overdue"):
        return
    if stage in ("explained", "closed"):
        w.run(lambda s: inv.record_explanation(s, clerk, policy, case_id=case.id, on=notice_on + timedelta(days=2),
                                               note="brought receipts and medical records (demo)"))
        if stage == "closed":
            w.run(lambda s: inv.judge_explanation(s, rev, policy, case_id=case.id, sufficient=True,
                                                  on=notice_on + timedelta(days=3)))
        return
    fresh = w.run(lambda s: inv.get_case(s, case.id))
    no_show_on = fresh.notice_due + timedelta(days=1)
    w.run(lambda s: inv.record_no_show(s, rev, policy, case_id=case.id, on=no_show_on))
    w.bump("accounts suspended")
    if stage == "suspended":
        return
    verified_on = min(today - timedelta(days=2), no_show_on + timedelta(days=60))
    outcome = {"verified": "no_violation", "resumed": "no_violation", "violation": "violation",
               "referred": "crime"}[stage]
    w.run(lambda s: inv.record_verification(s, rev, policy, case_id=case.id, outcome=outcome, on=verified_on,
                                            note="records checked with the institution (demo)"))
    if stage == "verified":
        return
    w.run(lambda s: inv.deliver_decision(s, rev, policy, case_id=case.id, on=verified_on + timedelta(days=1)))
    if stage == "resumed":
        w.run(lambda s: inv.resume(s, rev, policy, case_id=case.id, on=verified_on + timedelta(days=2)))
        w.bump("accounts resumed")
