"""A picker never offers what the step then refuses (issue 7, item 6): each
picker query in core.queries keeps exactly what the step's rule accepts, and
every option it offers goes through the real service. Reached through the
services, never by writing statuses."""

from __future__ import annotations

from datetime import date

import pytest

from certificate_world import make_world
from core import gateway
from core.db import write_session
from core.errors import DomainError
from core.queries import documents, places
from core.rules import books as book_rules
from core.rules import certificates as cert_rules
from core.rules import offsite as offsite_rules
from core.services import books, replacements
from core.services import certificates as svc
from core.services import offsite
from core.services.offsite import FilingForm, _candidate

D = date(2026, 3, 2)
PLACE = "Wuhan"


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _fields_refused(engine, fn) -> set[str]:
    """The fields ``fn(session)`` is refused on (empty: accepted); rolled back either way."""
    try:
        with write_session(engine) as s:
            fn(s)
            raise _Rollback
    except _Rollback:
        return set()
    except DomainError as exc:
        return {r.field for r in exc.reasons}


class _Rollback(Exception):
    pass


def test_sz_md_art_4_hospital_picker_offers_what_the_draft_accepts(w, engine, build, policy, clerk):
    city = policy.pack.city
    bad = [build.institution(city=city, active=False), build.institution(city=city, designated=False),
           build.institution(city=city, diagnostic_hospital=False), build.institution(city="Elsewhere")]
    good = [w.hospital, build.institution(city=city)]
    everything = good + bad
    offered = gateway.read(engine, lambda s: places.diagnostic_hospitals(s, "", 500, policy=policy))
    ids = {i.id for i in offered}
    assert {i.id for i in good} <= ids and not ids & {i.id for i in bad}
    for inst in everything:  # the same answer as the rule, both ways
        assert (inst.id in ids) == (not cert_rules.hospital_reasons(inst, policy)), inst.code
    for inst in offered:
        if inst.id not in {i.id for i in everything}:
            continue
        doc = build.physician(inst, title="attending", specialty="cardiology")
        enrollee = build.enrollee()
        refused = _fields_refused(engine, lambda s: svc.draft_certificate(
            s, clerk, policy=policy, enrollee_id=enrollee.id, disease_code="MD-I-01", institution_id=inst.id,
            physician_id=doc.id, on=D, criteria_acknowledged=True))
        assert refused == set(), (inst.code, refused)


def test_sz_md_art_4_physician_picker_offers_only_who_may_draft(w, engine, build, policy):
    resident = build.physician(w.hospital, title="resident", specialty="cardiology")
    offered = gateway.read(engine, lambda s: places.physicians(s, "", 100, institution_id=w.hospital.id,
                                                               specialty="cardiology", policy=policy))
    assert w.attending.id in {p.id for p in offered} and resident.id not in {p.id for p in offered}
    assert all(not cert_rules.drafter_title_reasons(p, policy) for p in offered)


def test_sz_md_art_4_2_offsite_issuer_picker_follows_the_filing(w, engine, build, policy, clerk):
    e = build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed",
                       employer="Shenzhen Metro Co.", residence_city=PLACE)
    filed = [build.institution(city=PLACE, level=lvl) for lvl in (3, 2, 2)]
    codes = tuple(i.code for i in filed)
    with write_session(engine) as s:
        offsite.file_filing(s, clerk, e.id, FilingForm(place_city=PLACE, institution_codes=codes,
                                                       stamped_codes=frozenset(codes), form_copies=3,
                                                       local_ss_stamp=True, filed_by="self"),
                            on=D, policy=policy)
    good = build.institution(city=PLACE, level=3, offsite_on_record=True)
    bad = [build.institution(city=PLACE, level=3, offsite_on_record=False),
           build.institution(city="Beijing", level=3, offsite_on_record=True),
           build.institution(city=PLACE, level=1, offsite_on_record=True)]
    offered = gateway.read(engine, lambda s: places.offsite_issuers(s, "", 100, policy=policy, enrollee_id=e.id,
                                                                    on=D))
    ids = {i.id for i in offered}
    assert good.id in ids and not ids & {i.id for i in bad}
    filing = gateway.read(engine, lambda s: places.active_filing(s, e.id, D))
    assert all(not cert_rules.offsite_issuer_reasons(i, filing, policy) for i in offered)
    # no filing: nothing to offer (the draft refuses every off-site issuer)
    assert gateway.read(engine, lambda s: places.offsite_issuers(s, "", 100, policy=policy,
                                                                 enrollee_id=w.enrollee.id, on=D)) == ()


def test_sz_mt_art_10_filing_picker_offers_what_the_filing_accepts(engine, build, policy):
    good = [build.institution(city=PLACE, level=lvl, kind=kind)
            for lvl, kind in ((3, "hospital"), (1, "community_health_centre"), (2, "clinic"))]
    bad = [build.institution(city=PLACE, public=False), build.institution(city=PLACE, designated=False),
           build.institution(city=PLACE, active=False), build.institution(city=PLACE, kind="pharmacy"),
           build.institution(city="Beijing")]
    offered = gateway.read(engine, lambda s: places.filing_candidates(s, PLACE, "", 100, policy=policy))
    ids = {i.id for i in offered}
    assert {i.id for i in good} <= ids and not ids & {i.id for i in bad}
    assert all(not offsite_rules.institution_reasons(1, i.code, _candidate(i), PLACE, policy) for i in offered)


def test_sz_md_art_5_book_picker_offers_the_certificates_the_book_takes(w, engine, build, policy, clerk):
    confirmed = w.recognise(D)
    drafted = w.draft(D, "MD-II-02", organ="kidney")  # in process: not offered
    offered = gateway.read(engine, lambda s: documents.book_certificates(s, w.enrollee.id, D, policy))
    assert [c.number for c in offered] == [confirmed.number]
    assert drafted.number not in {c.number for c in offered}
    assert all(not book_rules.certificate_reasons(c, w.enrollee.id, D, policy) for c in offered)
    issuers = gateway.read(engine, lambda s: places.book_issuers(s, "", 100, policy=policy))
    assert w.hospital.id in {i.id for i in issuers}
    assert all(not book_rules.issuer_reasons(i, policy) for i in issuers)
    for c in offered:
        assert _fields_refused(engine, lambda s: books.issue_book(
            s, clerk, policy=policy, certificate_number=c.number, card_presented=True, id_card_presented=True,
            on=D, issued_at_id=w.hospital.id)) == set()


def test_sz_md_art_5_replacement_pickers_offer_what_the_replacement_accepts(w, engine, build, clerk, policy):
    cert = w.recognise(D)
    ended = w.draft(D, "MD-II-02", organ="kidney")
    w.run(lambda s: svc.withdraw_certificate(s, clerk, policy=policy, number=ended.number, on=D, reason="entered twice"))
    agency = build.institution(kind="social_security", diagnostic_hospital=False, designated=False)
    other = build.institution()
    lost_on = date(2026, 4, 1)
    offered = gateway.read(engine, lambda s: documents.replaceable_certificates(s, w.enrollee.id, lost_on, policy))
    assert [c.number for c in offered] == [cert.number]
    offices = gateway.read(engine, lambda s: places.replacement_offices(s, "", 100, place="hospital",
                                                                        original_id=cert.institution_id,
                                                                        policy=policy))
    assert [i.id for i in offices] == [w.hospital.id] and other.id not in {i.id for i in offices}
    agency_offices = gateway.read(engine, lambda s: places.replacement_offices(s, "", 100, place="agency",
                                                                               original_id=cert.institution_id,
                                                                               policy=policy))
    assert agency.id in {i.id for i in agency_offices} and w.hospital.id not in {i.id for i in agency_offices}
    for c in offered:
        for place, office in [("hospital", i) for i in offices] + [("agency", i) for i in agency_offices]:
            assert _fields_refused(engine, lambda s: replacements.replace_certificate(
                s, clerk, policy=policy, number=c.number, place=place, card_presented=True, id_card_presented=True, on=lost_on,
                institution_id=office.id)) == set(), (place, office.code)
