"""Property (issue 7): random sequences of certificate steps on random
enrollees, taken through the services; afterwards the quick check
(``eligibility.check``), the enrollee view, the worklist and ``allowed_steps``
agree on every date looked at, and ``allowed_steps`` agreed with the service
on every step before it was taken."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certificate_world import make_world
from core.db import read_session, write_session
from core.errors import DomainError
from core.models import Certificate
from core.services import certificates as svc
from core.services import eligibility, overview, replacements, worklist
from core.services.steps import steps_for
from core.workflows import step

D = date(2026, 3, 10)
DISEASE = "MD-I-01"
ACTIONS = ("sign", "seal", "confirm", "renew", "replace", "withdraw", "invalidate", "draft")

steps_strategy = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=240)),
                          min_size=1, max_size=9)


def _latest(engine, enrollee_id) -> Certificate | None:
    with read_session(engine) as s:
        certs = svc.enrollee_certificates(s, enrollee_id)
        for c in certs:
            s.expunge(c)
    return max(certs, key=lambda c: (c.drafted_on, c.created_at)) if certs else None


def _service(w, action, cert, on):
    if action == "sign":
        return w.sign(cert, on)
    if action == "seal":
        return w.seal(cert, on)
    if action == "confirm":
        return w.confirm(cert, on)
    if action == "replace":
        return w.run(lambda s: replacements.replace_certificate(
            s, w.clerk, policy=w.policy, number=cert.number, place="hospital", card_presented=True, id_card_presented=True, on=on,
            institution_id=w.hospital.id, today=on))
    actor = w.reviewer if action == "invalidate" else w.clerk
    fn = svc.invalidate_certificate if action == "invalidate" else svc.withdraw_certificate
    return w.run(lambda s: fn(s, actor, policy=w.policy, number=cert.number, on=on, reason="property", today=on))


def _take(w, engine, policy, enrollee, action, on) -> None:
    cert = _latest(engine, enrollee.id)
    if action == "draft" or (action == "renew" and cert is None):
        try:
            w.draft(on, DISEASE, enrollee=enrollee)
        except DomainError:
            pass
        return
    if action == "renew":
        try:
            new = w.draft(on, DISEASE, enrollee=enrollee, renewal_of=cert.number)
            w.sign(new, on)
            w.seal(new, on)
            w.confirm(new, on)
        except DomainError:
            pass
        return
    if cert is None:
        return
    actor = w.reviewer if action in ("confirm", "invalidate") else w.clerk
    with write_session(engine) as s:
        row = s.get(Certificate, cert.id)
        answer = step(steps_for(s, row, actor, on, policy=policy, today=on,
                                inputs={"reason": "property", "place": "hospital", "card_presented": True,
                                        "id_card_presented": True}), action)
    try:
        _service(w, action, cert, on)
        done = True
    except DomainError:
        done = False
    if action not in ("sign",):  # signing's guard needs the signatures typed; the rest is fully pre-checked
        assert answer.allowed == done, (action, cert.status, answer.reasons)
    elif answer.allowed is False:
        assert not done, (action, cert.status, answer.reasons)


def _agree(engine, policy, enrollee_id, reviewer, day: date, pre_check: bool) -> None:
    with read_session(engine) as s:
        result = eligibility.check(s, enrollee_id, DISEASE, on=day, policy=policy)
        view = overview.enrollee_overview(s, enrollee_id, on=day, policy=policy)
        standing = {c.number: c.standing for c in view.certificates if c.disease_code == DISEASE}
        live = [c.number for c in svc.live_certificates(s, enrollee_id, day)]
        items = worklist.alerts(s, enrollee_id, day, policy)
        assert result.entitled == ("valid" in standing.values()), (day, standing, result.reasons)
        assert set(live) == {n for n, v in standing.items() if v == "valid"}, (day, live, standing)
        for item in items:
            if item.kind == "certificate_renewal":
                assert result.entitled and standing.get(item.record) == "valid", (day, item.record, standing)
        if not pre_check:
            return
        for cert in svc.enrollee_certificates(s, enrollee_id):
            answer = step(steps_for(s, cert, reviewer, day, policy=policy, today=day,
                                    inputs={"place": "hospital", "card_presented": True,
                                            "id_card_presented": True, "institution": None}), "replace")
            # a lost certificate is replaced while it is valid or still to start, never after
            assert answer.allowed == (standing[cert.number] in ("valid", "not_yet")), (
                day, cert.number, cert.status, standing, answer.reasons)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(actions=steps_strategy)
def test_check_view_worklist_and_allowed_steps_agree(engine, build, policy, clerk, reviewer, actions):
    w = make_world(engine, build, policy, clerk, reviewer) if not hasattr(build, "_world") else build._world
    build._world = w
    enrollee = build.enrollee(scheme="comprehensive", supplementary=True)
    on = D
    w.draft(on, DISEASE, enrollee=enrollee)
    for action, gap in actions:
        on += timedelta(days=gap)
        _take(w, engine, policy, enrollee, action, on)
    last_step = on
    day, end = D - timedelta(days=1), on + timedelta(days=800)
    while day <= end:
        _agree(engine, policy, enrollee.id, reviewer, day, pre_check=day >= last_step)
        day += timedelta(days=23)
