"""Certificate workflow (SZ-MD Art. 2, 3, 4, 4(2), 12, 13; ZZ §3, §4)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import select

from certificate_world import make_world, one_event_per_change, refused
from core.db import write_session
from core.errors import PermissionDenied
from core.models import AuditEvent, Certificate, MonthlyBatch, OffsiteFiling, TeamMembership
from core.rules.certificates import add_months, last_valid_day, renewal_window
from core.services import certificates as svc
from core.services.numbering import PREFIX_CERTIFICATE, candidates, new_number

D = date(2026, 3, 10)


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _draft_fn(w, on=D, disease="MD-I-01", **kw):
    kw.setdefault("criteria_acknowledged", True)
    physician = kw.pop("physician", w.transplant_attending if disease == "MD-II-02" else w.attending)
    enrollee = kw.pop("enrollee", w.enrollee)
    institution = kw.pop("institution", w.hospital)
    actor = kw.pop("actor", w.clerk)
    return lambda s: svc.draft_certificate(s, actor, policy=w.policy, enrollee_id=enrollee.id,
                                           disease_code=disease, institution_id=institution.id,
                                           physician_id=physician.id, on=on, **kw)


def _sign_fn(w, cert, pairs, on=D):
    return lambda s: svc.sign_certificate(s, w.clerk, policy=w.policy, number=cert.number,
                                          signatures=[(p.id, d) for p, d in pairs], on=on)


# --------------------------------------------------------------------------- the whole path


def test_sz_md_art_4_steps_record_who_and_when_with_one_event_each(w, engine):
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        cert = w.draft(D)
    assert re.fullmatch(r"C-2026-[0-9A-Z]{5}-[0-9A-Z]{5}", cert.number)
    assert (cert.status, cert.drafted_by, cert.drafted_on, cert.category) == ("draft", "clerk1", D, 1)
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        cert = w.sign(cert, D + timedelta(days=1))
    assert (cert.status, cert.signatures_by, cert.signer1_id, cert.signed2_on) == (
        "signed", "clerk1", w.head.id, D + timedelta(days=1))
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        cert = w.seal(cert, D + timedelta(days=2))
    assert (cert.status, cert.sealed_by, cert.seal_ref) == ("sealed", "clerk1", "SEAL-1")
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        cert = w.confirm(cert, D + timedelta(days=3))
    assert (cert.status, cert.confirmed_by, cert.confirmed_on) == ("confirmed", "rev1", D + timedelta(days=3))


def test_sz_md_art_12_category_1_valid_two_years_from_confirmation(w):
    cert = w.recognise(D)
    assert cert.valid_from == D
    assert cert.valid_until == date(2028, 3, 9)  # last valid day: the day before the anniversary


def test_sz_md_art_12_category_2_has_no_end_date(w):
    onc_head = w.build.physician(w.hospital, title="chief", specialty="oncology")
    onc_member = w.build.physician(w.hospital, title="deputy_chief", specialty="oncology")
    onc_att = w.build.physician(w.hospital, title="attending", specialty="oncology")
    w.build.team(w.hospital, "oncology", onc_head, [onc_member])
    cert = w.draft(D, "MD-II-03", physician=onc_att)
    w.sign(cert, D, [onc_head, onc_member])
    w.seal(cert, D)
    cert = w.confirm(cert, D)
    assert cert.valid_from == D and cert.valid_until is None and cert.category == 2


def test_last_valid_day_leap_day_start():
    assert last_valid_day(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert last_valid_day(date(2024, 3, 1), 2) == date(2026, 2, 28)
    assert last_valid_day(date(2026, 1, 1), None) is None
    assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)


# --------------------------------------------------------------------------- confirmation


def test_sz_md_art_4_confirming_unsigned_certificate_refused(w, engine):
    cert = w.draft(D)
    refused(engine, lambda s: svc.confirm_certificate(s, w.reviewer, policy=w.policy, number=cert.number, on=D),
            article="SZ-MD Art. 4", field="status")


def test_sz_md_art_4_clerk_confirming_refused(w, engine):
    cert = w.draft(D)
    w.sign(cert, D)
    w.seal(cert, D)
    err = refused(engine, lambda s: svc.confirm_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=D),
                  article="SZ-MD Art. 4", field="role")
    assert isinstance(err, PermissionDenied)


def test_sz_md_art_4_drafting_caseworker_confirming_refused(w, engine):
    cert = w.draft(D, actor=w.reviewer)  # reviewers may do clerk work
    w.sign(cert, D)
    w.seal(cert, D)
    refused(engine, lambda s: svc.confirm_certificate(s, w.reviewer, policy=w.policy, number=cert.number, on=D),
            article="SZ-MD Art. 4", field="confirmed_by")


def test_sz_md_art_4_seal_needs_signatures_and_reference(w, engine):
    cert = w.draft(D)
    refused(engine, lambda s: svc.seal_certificate(s, w.clerk, policy=w.policy, number=cert.number, seal_ref="S", on=D),
            article="SZ-MD Art. 4", field="status")
    w.sign(cert, D)
    refused(engine, lambda s: svc.seal_certificate(s, w.clerk, policy=w.policy, number=cert.number, seal_ref="  ", on=D),
            article="SZ-MD Art. 4", field="seal_ref")


def test_stale_version_refused(w, engine):
    cert = w.draft(D)
    refused(engine, lambda s: svc.withdraw_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=D, reason="x",
                                                       expected_version=cert.version + 1),
            article="", field="version")


# --------------------------------------------------------------------------- signatures


def _end_membership(w, physician, until):
    with write_session(w.engine) as s:
        m = s.exec(select(TeamMembership).where(TeamMembership.physician_id == physician.id)).one()
        m.until = until


def test_sz_md_art_4_signer_off_team_on_signing_date_refused(w, engine):
    _end_membership(w, w.member, D - timedelta(days=1))  # left the team the day before
    cert = w.draft(D - timedelta(days=5))
    refused(engine, _sign_fn(w, cert, [(w.head, D), (w.member, D)]), article="SZ-MD Art. 4", field="signer")


def test_sz_md_art_4_signer_on_last_day_of_membership_accepted(w, engine):
    _end_membership(w, w.member, D)
    cert = w.draft(D - timedelta(days=5))
    cert = w.run(_sign_fn(w, cert, [(w.head, D), (w.member, D)]))
    assert cert.status == "signed"


def test_sz_md_art_4_signer_before_membership_refused(w, engine, build):
    newcomer = build.physician(w.hospital, title="deputy_chief", specialty="cardiology")
    with write_session(engine) as s:
        team_id = s.exec(select(TeamMembership.team_id).where(TeamMembership.physician_id == w.head.id)).one()
        s.add(TeamMembership(team_id=team_id, physician_id=newcomer.id, since=D))
    cert = w.draft(D - timedelta(days=5))
    refused(engine, _sign_fn(w, cert, [(w.head, D), (newcomer, D - timedelta(days=1))]),
            article="SZ-MD Art. 4", field="signer")
    assert w.run(_sign_fn(w, cert, [(w.head, D), (newcomer, D)])).status == "signed"


def test_sz_md_art_4_two_signatures_by_same_person_refused(w, engine):
    cert = w.draft(D)
    refused(engine, _sign_fn(w, cert, [(w.head, D), (w.head, D)]), article="SZ-MD Art. 4", field="signatures")


def test_sz_md_art_4_one_signature_refused(w, engine):
    cert = w.draft(D)
    refused(engine, _sign_fn(w, cert, [(w.head, D)]), article="SZ-MD Art. 4", field="signatures")


def test_sz_md_art_4_head_must_sign(w, engine):
    cert = w.draft(D)
    err = refused(engine, _sign_fn(w, cert, [(w.member, D), (w.member2, D)]),
                  article="SZ-MD Art. 4", field="signatures")
    assert "head" in err.reasons[0].message_en


def test_sz_md_art_4_attending_title_signer_refused(w, engine):
    with write_session(engine) as s:
        team_id = s.exec(select(TeamMembership.team_id).where(TeamMembership.physician_id == w.head.id)).one()
        s.add(TeamMembership(team_id=team_id, physician_id=w.attending.id, since=date(2020, 1, 1)))
    cert = w.draft(D)
    err = refused(engine, _sign_fn(w, cert, [(w.head, D), (w.attending, D)]),
                  article="SZ-MD Art. 4", field="signer")
    assert [r.field for r in err.reasons] == ["signer"]


def test_sz_md_art_4_signature_dated_before_draft_refused(w, engine):
    cert = w.draft(D)
    refused(engine, _sign_fn(w, cert, [(w.head, D - timedelta(days=1)), (w.member, D)]),
            article="SZ-MD Art. 4", field="signed_on")


def test_sz_md_art_4_signer_of_other_hospital_refused(w, engine, build):
    other = build.institution()
    doc = build.physician(other, title="chief", specialty="cardiology")
    cert = w.draft(D)
    refused(engine, _sign_fn(w, cert, [(w.head, D), (doc, D)]), article="SZ-MD Art. 4", field="signer")


def test_sz_md_art_4_signing_twice_refused(w, engine):
    cert = w.draft(D)
    w.sign(cert, D)
    refused(engine, _sign_fn(w, cert, [(w.head, D), (w.member, D)]), article="SZ-MD Art. 4", field="status")


# --------------------------------------------------------------------------- drafting


def test_sz_md_art_3_category_1_for_inpatient_scheme_refused(w, engine, build):
    e = build.enrollee(scheme="inpatient")
    refused(engine, _draft_fn(w, enrollee=e), article="SZ-MD Art. 3", field="scheme")


def test_sz_md_art_3_category_2_open_to_inpatient_scheme(w, build):
    e = build.enrollee(scheme="inpatient", supplementary=False)
    cert = w.draft(D, "MD-II-02", enrollee=e, organ="kidney")
    assert cert.status == "draft" and cert.organ == "kidney"


def test_sz_md_art_3_heart_transplant_without_supplementary_refused(w, engine, build):
    e = build.enrollee(scheme="comprehensive", supplementary=False)
    refused(engine, _draft_fn(w, disease="MD-II-02", enrollee=e, organ="heart"),
            article="SZ-MD Art. 3", field="supplementary")
    refused(engine, _draft_fn(w, disease="MD-II-02", enrollee=e, organ="liver"),
            article="SZ-MD Art. 3", field="supplementary")


def test_sz_md_art_3_kidney_transplant_without_supplementary_accepted(w, build):
    e = build.enrollee(scheme="comprehensive", supplementary=False)
    assert w.draft(D, "MD-II-02", enrollee=e, organ="kidney").status == "draft"


def test_sz_md_art_3_heart_transplant_with_supplementary_accepted(w):
    assert w.draft(D, "MD-II-02", organ="heart").organ == "heart"


def test_sz_md_art_2_transplant_needs_an_organ_from_the_list(w, engine):
    refused(engine, _draft_fn(w, disease="MD-II-02"), article="SZ-MD Art. 2", field="organ")
    refused(engine, _draft_fn(w, disease="MD-II-02", organ="lung"), article="SZ-MD Art. 2", field="organ")
    refused(engine, _draft_fn(w, organ="kidney"), article="SZ-MD Art. 2", field="organ")


def test_sz_md_art_2_unknown_disease_refused(w, engine):
    refused(engine, _draft_fn(w, disease="MD-I-99"), article="SZ-MD Art. 2", field="disease_code")


def test_sz_md_art_4_admission_criteria_must_be_acknowledged(w, engine):
    refused(engine, _draft_fn(w, criteria_acknowledged=False), article="SZ-MD Art. 4",
            field="criteria_acknowledged")


def test_sz_md_art_4_continuation_needs_all_four_checklist_items(w, engine):
    items = dict(cont_recent_record=True, cont_original_papers=True, cont_originals_seen=True, cont_copies_kept=True)
    for missing in items:
        partial = {**items, missing: False}
        refused(engine, _draft_fn(w, continuation=True, **partial), article="SZ-MD Art. 4", field=missing)
    cert = w.draft(D, continuation=True, **items)
    assert cert.continuation and cert.cont_copies_kept


def test_sz_md_art_4_drafter_must_be_attending_of_the_specialty(w, engine, build):
    resident = build.physician(w.hospital, title="resident", specialty="cardiology")
    refused(engine, _draft_fn(w, physician=resident), article="SZ-MD Art. 4", field="physician_id")
    neuro = build.physician(w.hospital, title="chief", specialty="neurology")
    refused(engine, _draft_fn(w, physician=neuro), article="SZ-MD Art. 4", field="physician_id")
    other = build.institution()
    outsider = build.physician(other, title="attending", specialty="cardiology")
    refused(engine, _draft_fn(w, physician=outsider), article="SZ-MD Art. 4", field="physician_id")


def test_sz_md_art_4_only_designated_diagnostic_hospital_of_the_city(w, engine, build):
    plain = build.institution(diagnostic_hospital=False)
    doc = build.physician(plain, title="attending", specialty="cardiology")
    refused(engine, _draft_fn(w, institution=plain, physician=doc), article="SZ-MD Art. 4", field="institution_id")
    elsewhere = build.institution(city="Guangzhou")
    doc2 = build.physician(elsewhere, title="attending", specialty="cardiology")
    refused(engine, _draft_fn(w, institution=elsewhere, physician=doc2), article="SZ-MD Art. 4",
            field="institution_id")


def test_sz_md_art_4_second_concurrent_certificate_refused(w, engine):
    cert = w.draft(D)
    refused(engine, _draft_fn(w), article="SZ-MD Art. 4", field="disease_code")
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        w.run(lambda s: svc.withdraw_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=D, reason="entered twice"))
    assert w.draft(D).status == "draft"
    # another disease is not concurrent
    assert w.draft(D, "MD-I-02").status == "draft"


def test_sz_md_art_4_withdraw_needs_reason_and_unconfirmed(w, engine):
    cert = w.recognise(D)
    refused(engine, lambda s: svc.withdraw_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=D, reason="x"),
            article="SZ-MD Art. 4", field="status")
    other = w.draft(D, "MD-I-02")
    refused(engine, lambda s: svc.withdraw_certificate(s, w.clerk, policy=w.policy, number=other.number, on=D, reason=" "),
            article="SZ-MD Art. 4", field="reason")


# --------------------------------------------------------------------------- off-site (Art. 4(2))


def _offsite(w, build, engine, *, level=2, on_record=True, city="Chengdu", filing_city="Chengdu", filing=True):
    inst = build.institution(city=city, level=level, offsite_on_record=on_record, designated=False,
                             diagnostic_hospital=False)
    doc = build.physician(inst, title="attending", specialty="cardiology")
    head = build.physician(inst, title="chief", specialty="cardiology")
    mem = build.physician(inst, title="deputy_chief", specialty="cardiology")
    build.team(inst, "cardiology", head, [mem])
    if filing:
        with write_session(engine) as s:
            s.add(OffsiteFiling(enrollee_id=w.enrollee.id, basis="retired", place_city=filing_city,
                                filed_by="self", filed_on=D - timedelta(days=30), status="active",
                                recorded_by="clerk1"))
    return inst, doc, head, mem


def test_sz_md_art_4_2_offsite_issue_in_filed_place_accepted(w, engine, build):
    inst, doc, head, mem = _offsite(w, build, engine)
    cert = w.draft(D, institution=inst, physician=doc, offsite=True)
    w.sign(cert, D, [head, mem])
    w.seal(cert, D)
    assert w.confirm(cert, D).offsite


def test_sz_md_art_4_2_offsite_without_active_filing_refused(w, engine, build):
    inst, doc, *_ = _offsite(w, build, engine, filing=False)
    refused(engine, _draft_fn(w, institution=inst, physician=doc, offsite=True),
            article="SZ-MD Art. 4(2)", field="offsite")


def test_sz_md_art_4_2_offsite_level_boundary(w, engine, build, policy):
    low, doc, *_ = _offsite(w, build, engine, level=policy.certificates.offsite_min_level - 1)
    refused(engine, _draft_fn(w, institution=low, physician=doc, offsite=True),
            article="SZ-MD Art. 4(2)", field="institution_id")
    ok, doc2, *_ = _offsite(w, build, engine, level=policy.certificates.offsite_min_level, filing=False)
    assert w.draft(D, institution=ok, physician=doc2, offsite=True).offsite


def test_sz_md_art_4_2_offsite_not_on_record_or_elsewhere_refused(w, engine, build):
    inst, doc, *_ = _offsite(w, build, engine, on_record=False)
    refused(engine, _draft_fn(w, institution=inst, physician=doc, offsite=True),
            article="SZ-MD Art. 4(2)", field="institution_id")
    inst2, doc2, *_ = _offsite(w, build, engine, city="Wuhan", filing=False)
    refused(engine, _draft_fn(w, institution=inst2, physician=doc2, offsite=True),
            article="SZ-MD Art. 4(2)", field="institution_id")


# --------------------------------------------------------------------------- renewal (Art. 12)


def test_renewal_window_boundaries(w, policy):
    cert = w.recognise(D)
    opens, closes = renewal_window(cert, policy)
    assert closes == cert.valid_until == date(2028, 3, 9)
    assert opens == date(2027, 12, 10)  # valid_until - 3 months + 1 day
    assert renewal_window(Certificate(valid_until=None), policy) is None


def test_sz_md_art_12_reapplication_day_before_window_refused(w, engine, policy):
    old = w.recognise(D)
    opens, _ = renewal_window(old, policy)
    err = refused(engine, _draft_fn(w, on=opens - timedelta(days=1), renewal_of=old.number),
                  article="SZ-MD Art. 12", field="renewal_of")
    assert opens.isoformat() in err.reasons[0].message_en


def test_sz_md_art_12_reapplication_first_day_of_window_accepted_without_gap(w, engine, policy):
    old = w.recognise(D)
    opens, closes = renewal_window(old, policy)
    new = w.draft(opens, renewal_of=old.number)
    assert new.previous_id == old.id
    w.sign(new, opens)
    w.seal(new, opens)
    with one_event_per_change(engine, expect=2, article="SZ-MD Art. 12"):
        new = w.confirm(new, opens + timedelta(days=1))
    assert new.valid_from == closes + timedelta(days=1)
    assert new.valid_until == date(2030, 3, 9)
    old = w.get(old.id)
    # renewed, not ended: no end date while it still gives benefits
    assert old.status == "superseded" and old.ended_on is None
    # no gap: the old certificate gives benefits to its last day, the new one from the next
    with write_session(engine) as s:
        assert [c.id for c in svc.live_certificates(s, w.enrollee.id, closes)] == [old.id]
        assert [c.id for c in svc.live_certificates(s, w.enrollee.id, closes + timedelta(days=1))] == [new.id]


def test_sz_md_art_12_reapplication_last_day_of_validity_accepted_day_after_refused(w, engine, policy):
    old = w.recognise(D)
    refused(engine, _draft_fn(w, on=old.valid_until + timedelta(days=1), renewal_of=old.number),
            article="SZ-MD Art. 12", field="renewal_of")
    assert w.draft(old.valid_until, renewal_of=old.number).previous_id == old.id


def test_sz_md_art_12_fresh_draft_in_window_must_be_a_renewal(w, engine, policy):
    old = w.recognise(D)
    opens, _ = renewal_window(old, policy)
    refused(engine, _draft_fn(w, on=opens), article="SZ-MD Art. 12", field="renewal_of")
    refused(engine, _draft_fn(w, on=opens - timedelta(days=1)), article="SZ-MD Art. 4", field="disease_code")
    # after expiry a fresh application is open again
    assert w.draft(old.valid_until + timedelta(days=1)).previous_id is None


def test_sz_md_art_12_second_pending_renewal_refused(w, engine, policy):
    old = w.recognise(D)
    opens, _ = renewal_window(old, policy)
    w.draft(opens, renewal_of=old.number)
    refused(engine, _draft_fn(w, on=opens, renewal_of=old.number), article="SZ-MD Art. 4", field="disease_code")


def test_sz_md_art_12_live_certificate_last_day_of_validity(w, engine):
    cert = w.recognise(D)
    with write_session(engine) as s:
        assert [c.id for c in svc.live_certificates(s, w.enrollee.id, cert.valid_until)] == [cert.id]
        assert svc.live_certificates(s, w.enrollee.id, cert.valid_until + timedelta(days=1)) == []
        assert svc.live_certificates(s, w.enrollee.id, D - timedelta(days=1)) == []


# --------------------------------------------------------------------------- false claims (Art. 13)


def test_sz_md_art_13_invalidation_needs_reviewer_and_reason(w, engine):
    cert = w.recognise(D)
    refused(engine, lambda s: svc.invalidate_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=D, reason="false"),
            article="SZ-MD Art. 13", field="role")
    refused(engine, lambda s: svc.invalidate_certificate(s, w.reviewer, policy=w.policy, number=cert.number, on=D, reason="  "),
            article="SZ-MD Art. 13", field="reason")
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 13"):
        cert = w.run(lambda s: svc.invalidate_certificate(s, w.reviewer, policy=w.policy, number=cert.number, on=D,
                                                          reason="forged lab report"))
    assert (cert.status, cert.ended_by, cert.end_reason) == ("invalidated", "rev1", "forged lab report")
    with write_session(engine) as s:
        assert svc.live_certificates(s, w.enrollee.id, D) == []


def test_sz_md_art_13_invalidated_then_renewal_refused(w, engine, policy):
    old = w.recognise(D)
    opens, _ = renewal_window(old, policy)
    w.run(lambda s: svc.invalidate_certificate(s, w.reviewer, policy=w.policy, number=old.number, on=D + timedelta(days=5),
                                               reason="false claim"))
    refused(engine, _draft_fn(w, on=opens, renewal_of=old.number), article="SZ-MD Art. 13", field="number")
    # starting again from step 1 is allowed
    assert w.draft(opens).previous_id is None


def test_sz_md_art_13_renewal_draft_of_invalidated_certificate_cannot_be_confirmed(w, engine, policy):
    old = w.recognise(D)
    opens, _ = renewal_window(old, policy)
    new = w.draft(opens, renewal_of=old.number)
    w.sign(new, opens)
    w.seal(new, opens)
    w.run(lambda s: svc.invalidate_certificate(s, w.reviewer, policy=w.policy, number=old.number, on=opens, reason="false claim"))
    refused(engine, lambda s: svc.confirm_certificate(s, w.reviewer, policy=policy, number=new.number, on=opens),
            article="SZ-MD Art. 13", field="previous_id")


# --------------------------------------------------------------------------- ZZ pack


@pytest.fixture
def zz(engine, build, zz_policy, clerk, reviewer):
    return make_world(engine, build, zz_policy, clerk, reviewer, specialty="cardiology", city=zz_policy.pack.city)


def _zz_recognise(zz, disease, on=D):
    cert = zz.draft(on, disease)
    zz.sign(cert, on, [zz.member])  # one signature, no head needed (ZZ §3 via the pack)
    zz.seal(cert, on)
    return zz.confirm(cert, on)


def test_zz_3_single_deputy_chief_signature_accepted_attending_refused(zz, engine):
    assert _zz_recognise(zz, "ZZ-02").status == "confirmed"
    cert = zz.draft(D, "ZZ-05")
    refused(engine, _sign_fn(zz, cert, [(zz.member, D), (zz.head, D)]), article="ZZ §3", field="signatures")
    with write_session(engine) as s:
        team_id = s.exec(select(TeamMembership.team_id).where(TeamMembership.physician_id == zz.head.id)).one()
        s.add(TeamMembership(team_id=team_id, physician_id=zz.attending.id, since=date(2020, 1, 1)))
    refused(engine, _sign_fn(zz, cert, [(zz.attending, D)]), article="ZZ §3", field="signer")


def _zz_endocrinologist(zz):
    return zz.build.physician(zz.hospital, title="attending", specialty="endocrinology")


def test_zz_4_third_designated_disease_refused(zz, engine, zz_policy):
    assert zz_policy.benefits.max_diseases == 2
    _zz_recognise(zz, "ZZ-02")
    zz.draft(D, "ZZ-05")  # a second, still in process, counts
    err = refused(engine, _draft_fn(zz, disease="ZZ-01", physician=_zz_endocrinologist(zz)),
                  article="ZZ §4", field="disease_code")
    assert len(err.reasons) == 1


def test_zz_4_expired_certificate_frees_a_place(zz, engine):
    first = _zz_recognise(zz, "ZZ-02")
    _zz_recognise(zz, "ZZ-05")
    doc = _zz_endocrinologist(zz)
    refused(engine, _draft_fn(zz, disease="ZZ-01", physician=doc, on=first.valid_until),
            article="ZZ §4", field="disease_code")
    assert zz.draft(first.valid_until + timedelta(days=1), "ZZ-01", physician=doc).status == "draft"


# --------------------------------------------------------------------------- monthly batch


def test_sz_md_art_4_monthly_batch_of_originals(w, engine, build):
    march1 = w.recognise(date(2026, 3, 2))
    march2 = w.recognise(date(2026, 3, 31), "MD-I-02")
    april = w.recognise(date(2026, 4, 1), "MD-I-03")
    other_hospital = build.institution()
    on = date(2026, 4, 2)
    with one_event_per_change(engine, expect=3, article="SZ-MD Art. 4"):
        batch = w.run(lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03", on=on))
    assert {w.get(c.id).batch_id for c in (march1, march2)} == {batch.id}
    assert w.get(april.id).batch_id is None
    refused(engine, lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03", on=on),
            article="SZ-MD Art. 4", field="month")
    refused(engine, lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=other_hospital.id, month="2026-03",
                                                 on=on), article="SZ-MD Art. 4", field="month")
    refused(engine, lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-05", on=on),
            article="SZ-MD Art. 4", field="month")
    refused(engine, lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-13", on=on),
            article="SZ-MD Art. 4", field="month")
    with one_event_per_change(engine, expect=1, article="SZ-MD Art. 4"):
        batch = w.run(lambda s: svc.receive_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03",
                                                  on=date(2026, 4, 10)))
    assert (batch.received_on, batch.received_by) == (date(2026, 4, 10), "clerk1")
    refused(engine, lambda s: svc.receive_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03",
                                                on=date(2026, 4, 11)), article="SZ-MD Art. 4", field="month")


def test_sz_md_art_4_batch_late_confirmation_added_until_received(w, engine):
    w.recognise(date(2026, 3, 2))
    w.run(lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03",
                                       on=date(2026, 3, 20)))
    late = w.recognise(date(2026, 3, 25), "MD-I-02")
    with one_event_per_change(engine, expect=1):
        w.run(lambda s: svc.assemble_batch(s, w.clerk, policy=w.policy, institution_id=w.hospital.id, month="2026-03",
                                           on=date(2026, 3, 26)))
    with write_session(engine) as s:
        assert len(s.exec(select(MonthlyBatch)).all()) == 1
    assert w.get(late.id).batch_id is not None


# --------------------------------------------------------------------------- read helpers, numbers


def test_certificate_timeline_lists_steps_with_who_and_when(w, engine, policy):
    cert = w.draft(D)
    with write_session(engine) as s:
        steps = svc.certificate_timeline(s, s.get(Certificate, cert.id), policy)
    assert [(st.step, st.done) for st in steps] == [
        ("drafted", True), ("signature1", False), ("signature2", False), ("sealed", False), ("confirmed", False)]
    cert = w.recognise(D, "MD-I-02")
    with write_session(engine) as s:
        steps = svc.certificate_timeline(s, s.get(Certificate, cert.id), policy)
    assert all(st.done for st in steps)
    assert steps[-1].by == "rev1" and steps[-1].detail == "2026-03-10..2028-03-09"
    assert w.head.code in steps[1].detail


def test_audit_events_name_actor_and_article(w, engine):
    cert = w.recognise(D)
    with write_session(engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_id == str(cert.id))).all()
    assert sorted(e.action for e in events) == sorted(
        ["certificate.draft", "certificate.sign", "certificate.seal", "certificate.confirm"])
    assert {e.actor for e in events} == {"clerk1", "rev1"}
    assert all(e.enrollee_id == w.enrollee.id for e in events)


def test_numbers_are_unique_checked(w, engine):
    seed = uuid.uuid4()
    first = next(candidates(PREFIX_CERTIFICATE, D, seed))
    taken = w.draft(D)
    with write_session(engine) as s:
        s.get(Certificate, taken.id).number = first
    with write_session(engine) as s:
        number = new_number(s, Certificate, PREFIX_CERTIFICATE, D, seed)
    assert number != first and number.startswith("C-2026-")


def test_present_unknown_number_refused(w, engine):
    refused(engine, lambda s: svc.present_certificate(s, "C-2026-NOPE", D, w.policy), article="SZ-MD Art. 4", field="number")


def test_present_accepts_typed_number(w, engine):
    cert = w.draft(D)
    with write_session(engine) as s:
        assert svc.present_certificate(s, f"  {cert.number.lower()} ", D, w.policy).id == cert.id


# --------------------------------------------------------------------------- CLI


def test_cli_certificate_show_and_batch_list(w, db_path, me):
    from typer.testing import CliRunner

    from cli.main import app

    cert = w.recognise(date(2026, 3, 2))
    runner = CliRunner()
    out = runner.invoke(app, ["--db", str(db_path), "certificate", "show", cert.number])
    assert out.exit_code == 0, out.output
    assert cert.number in out.output and "rev1" in out.output and "2028-03-01" in out.output
    out = runner.invoke(app, ["--db", str(db_path), "batch", "list", w.hospital.code, "2026-03", "--json"])
    assert out.exit_code == 0, out.output
    assert '"waiting": [\n    "' + cert.number in out.output
    out = runner.invoke(app, ["--db", str(db_path), "certificate", "show", "C-2026-NONE"])
    assert out.exit_code == 2 and "SZ-MD Art. 4" in out.output


def test_timeline_gives_physician_title_as_a_code_for_translation(w, engine):
    cert = w.recognise(D)
    with write_session(engine) as s:
        steps = svc.certificate_timeline(s, svc.find_certificate(s, cert.number), w.policy)
    assert steps[0].title == w.attending.title and steps[0].detail == f"{w.attending.name} ({w.attending.code})"
    assert steps[1].title == w.head.title
