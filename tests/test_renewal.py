"""Re-application inside the window keeps benefits with no gap (SZ-MD Art. 12),
end to end through the services: draft, sign, seal, confirm, then the
renewal drafted and confirmed inside the window. The quick check
(``eligibility.check``), the enrollee view, the live certificates and the
replacement of a lost certificate agree on every day from the old
certificate's first day through the renewal's last (issue 7)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from certificate_world import make_world
from core.db import read_session, write_session
from core.rules.certificates import renewal_window
from core.services import certificates as svc
from core.services import eligibility, overview, replacements, worklist
from core.services.steps import steps_for
from core.workflows import step

D = date(2026, 3, 10)
DISEASE = "MD-I-01"


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _renewed(w, policy):
    old = w.recognise(D)
    opens, closes = renewal_window(old, policy)
    new = w.draft(opens, renewal_of=old.number)
    w.sign(new, opens)
    w.seal(new, opens)
    new = w.confirm(new, opens + timedelta(days=3))
    return w.get(old.id), new, opens, closes


def _entitled_days(engine, policy, enrollee_id, first: date, last: date) -> list[date]:
    """The days in first..last on which the quick check says NOT entitled."""
    gaps = []
    with read_session(engine) as s:
        day = first
        while day <= last:
            if not eligibility.check(s, enrollee_id, DISEASE, on=day, policy=policy).entitled:
                gaps.append(day)
            day += timedelta(days=1)
    return gaps


def test_sz_md_art_12_renewal_in_the_window_entitled_every_day_no_gap(w, engine, policy):
    old, new, opens, closes = _renewed(w, policy)
    assert (old.status, old.ended_on) == ("superseded", None)
    assert new.valid_from == closes + timedelta(days=1)
    assert _entitled_days(engine, policy, w.enrollee.id, old.valid_from, new.valid_until) == []
    # and not a day beyond either end
    with read_session(engine) as s:
        assert not eligibility.check(s, w.enrollee.id, DISEASE, on=old.valid_from - timedelta(days=1),
                                     policy=policy).entitled
        assert not eligibility.check(s, w.enrollee.id, DISEASE, on=new.valid_until + timedelta(days=1),
                                     policy=policy).entitled


@pytest.mark.parametrize("offset", [0, 1, 45])
def test_sz_md_art_12_views_agree_in_the_overlap(w, engine, policy, offset):
    """Between the renewal's confirmation and the old certificate's last day:
    the check names the old certificate, the enrollee view shows it valid,
    live_certificates lists it, the worklist asks for no renewal."""
    old, new, opens, closes = _renewed(w, policy)
    day = min(opens + timedelta(days=3 + offset), closes)
    with read_session(engine) as s:
        result = eligibility.check(s, w.enrollee.id, DISEASE, on=day, policy=policy)
        assert result.entitled and any(old.number in r.message() for r in result.reasons)
        view = overview.enrollee_overview(s, w.enrollee.id, on=day, policy=policy)
        standing = {c.number: c.standing for c in view.certificates}
        assert standing[old.number] == "valid" and standing[new.number] == "not_yet"
        assert [c.id for c in svc.live_certificates(s, w.enrollee.id, day)] == [old.id]
        items = worklist.alerts(s, w.enrollee.id, day, policy)
        assert not [i for i in items if i.record == old.number]


def test_sz_md_art_5_12_lost_renewed_certificate_replaced_and_still_gives_benefits(w, engine, policy, clerk):
    old, new, opens, closes = _renewed(w, policy)
    lost_on = opens + timedelta(days=10)
    with write_session(engine) as s:
        cert = s.get(type(old), old.id)
        answer = step(steps_for(s, cert, clerk, lost_on, policy=policy, today=lost_on), "replace")
        assert answer.allowed, answer.reasons
    with write_session(engine) as s:
        repl = replacements.replace_certificate(s, clerk, policy=policy, number=old.number, place="hospital",
                                                card_presented=True, id_card_presented=True, on=lost_on,
                                                institution_id=w.hospital.id, today=lost_on)
    with read_session(engine) as s:
        copy = svc.find_certificate(s, repl.new_number)
        assert (copy.status, copy.valid_from, copy.valid_until) == ("superseded", old.valid_from, closes)
    assert _entitled_days(engine, policy, w.enrollee.id, lost_on, new.valid_until) == []
