"""core.services.overview: the one-screen enrollee view and its alerts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.db import read_session, write_session
from core.errors import NotFound
from core.models import BookEntry, Certificate, InvestigationCase, RecordBook
from core.rules.certificates import add_months
from core.services.overview import enrollee_overview, standing
from tui_support import TODAY, WANG_ID, build_scene


def overview(engine, ref, on, policy):
    with read_session(engine) as s:
        return enrollee_overview(s, ref, on=on, policy=policy)


def kinds(ov) -> list[str]:
    return [a.kind for a in ov.alerts]


@pytest.fixture
def person(build, engine):
    hospital = build.institution(code="H-1")
    doctor = build.physician(hospital)
    e = build.enrollee(name="Alert Person")
    return e, hospital, doctor


def add_cert(build, e, hospital, doctor, *, number="C-1", valid_from=date(2024, 7, 1),
             valid_until: date | None = date(2026, 6, 30), status="confirmed", previous_id=None, code="MD-I-09"):
    return build._add(Certificate(
        number=number, enrollee_id=e.id, disease_code=code, category=1, policy_pack="shenzhen-2008",
        status=status, institution_id=hospital.id, physician_id=doctor.id, drafted_on=valid_from,
        drafted_by="clerk1", confirmed_on=valid_from if status == "confirmed" else None,
        valid_from=valid_from if status == "confirmed" else None,
        valid_until=valid_until if status == "confirmed" else None, previous_id=previous_id,
    ))


def test_overview_of_an_unknown_enrollee_is_not_found(engine, policy):
    with pytest.raises(NotFound):
        overview(engine, "SZ404", TODAY, policy)


def test_overview_gathers_facts_documents_filing_and_case(engine, build, clerk, policy):
    build_scene(build, engine)
    ov = overview(engine, WANG_ID, TODAY, policy)
    assert ov.suspended and ov.account_state_since == date(2026, 3, 2)
    assert [c.number for c in ov.certificates] == ["C-2025-0002", "C-2024-0001"]
    assert [c.standing for c in ov.certificates] == ["valid", "valid"]
    assert ov.certificates[1].disease_label("zh_CN") == policy.disease("MD-I-09").name_zh
    assert ov.book.number == "B-2024-0001" and ov.book.diseases == ["MD-I-09", "MD-II-03"]
    assert [(i.position, i.place.code) for i in ov.filing.institutions] == [(1, "GZ-001"), (2, "GZ-002"), (3, "GZ-003")]
    assert ov.health_centre.place.code == "CHC-FT-01" and ov.health_centre.applicant == "employer"
    assert ov.investigation.number == "INV-2026-0001"
    # the same ref by ID number and by card number
    assert overview(engine, ov.id_number, TODAY, policy).id == str(WANG_ID)
    assert overview(engine, ov.card_number, TODAY, policy).id == str(WANG_ID)


def test_sz_md_art_12_standing_of_a_certificate(person, build):
    e, hospital, doctor = person
    cert = add_cert(build, e, hospital, doctor)
    assert standing(cert, date(2024, 6, 30)) == "not_yet"
    assert standing(cert, date(2024, 7, 1)) == "valid"
    assert standing(cert, date(2026, 6, 30)) == "valid"
    assert standing(cert, date(2026, 7, 1)) == "expired"
    draft = add_cert(build, e, hospital, doctor, number="C-2", status="draft")
    assert standing(draft, TODAY) == "pending"


def test_sz_md_art_12_renewal_soon_alert_on_both_sides_of_the_look_ahead(engine, person, build, policy):
    e, hospital, doctor = person
    add_cert(build, e, hospital, doctor)
    opens = add_months(date(2026, 6, 30), -policy.validity.renewal_window_months) + timedelta(days=1)
    days = policy.deadlines.renewal_alert_days
    assert "renewal_soon" in kinds(overview(engine, e.id, opens - timedelta(days=days), policy))
    assert "renewal_soon" not in kinds(overview(engine, e.id, opens - timedelta(days=days + 1), policy))
    # from the day the window opens, the worklist's renewal item takes over
    on_open = overview(engine, e.id, opens, policy)
    assert "renewal_soon" not in kinds(on_open) and "certificate_renewal" in kinds(on_open)
    assert "certificate_renewal" not in kinds(overview(engine, e.id, opens - timedelta(days=1), policy))
    alert = next(a for a in on_open.alerts if a.kind == "certificate_renewal")
    assert alert.due == date(2026, 6, 30) and alert.article == "SZ-MD Art. 12" and not alert.overdue


def test_sz_md_art_12_expired_recognition_alert_after_the_last_valid_day(engine, person, build, policy):
    e, hospital, doctor = person
    add_cert(build, e, hospital, doctor)
    assert "certificate_expired" not in kinds(overview(engine, e.id, date(2026, 6, 30), policy))
    after = overview(engine, e.id, date(2026, 7, 1), policy)
    expired = next(a for a in after.alerts if a.kind == "certificate_expired")
    assert expired.overdue and expired.due == date(2026, 6, 30)
    assert "recognised again" in expired.message("en")


def test_sz_md_art_12_a_drafted_renewal_silences_the_alerts(engine, person, build, policy):
    e, hospital, doctor = person
    old = add_cert(build, e, hospital, doctor)
    add_cert(build, e, hospital, doctor, number="C-2", status="draft", previous_id=old.id)
    for on in (date(2026, 3, 15), date(2026, 5, 1), date(2026, 7, 1)):
        assert not {"renewal_soon", "certificate_renewal", "certificate_expired"} & set(kinds(
            overview(engine, e.id, on, policy)))


def test_sz_md_art_5_recognised_without_a_record_book_is_flagged(engine, person, build, policy):
    e, hospital, doctor = person
    add_cert(build, e, hospital, doctor)
    assert "book_missing" in kinds(overview(engine, e.id, TODAY, policy))
    build._add(RecordBook(number="B-1", enrollee_id=e.id, status="active", issued_on=date(2024, 7, 2),
                          issued_by="clerk1"))
    assert "book_missing" not in kinds(overview(engine, e.id, TODAY, policy))


def test_sz_md_art_5_a_confirmed_disease_not_in_the_book_is_flagged(engine, person, build, policy):
    e, hospital, doctor = person
    cert = add_cert(build, e, hospital, doctor)
    book = build._add(RecordBook(number="B-1", enrollee_id=e.id, status="active", issued_on=date(2024, 7, 2),
                                 issued_by="clerk1"))
    ov = overview(engine, e.id, TODAY, policy)
    missing = [a for a in ov.alerts if a.kind == "book_entry_missing"]
    assert [a.params["number"] for a in missing] == ["C-1"] and missing[0].article == "SZ-MD Art. 5"
    assert "B-1" in missing[0].message("en")
    build._add(BookEntry(book_id=book.id, certificate_id=cert.id, disease_code=cert.disease_code,
                         added_on=date(2024, 7, 2)))
    assert "book_entry_missing" not in kinds(overview(engine, e.id, TODAY, policy))


def test_closed_cases_and_earlier_books_are_kept_for_the_history_line(engine, build, clerk, policy):
    build_scene(build, engine)
    ov = overview(engine, WANG_ID, TODAY, policy)
    assert ov.closed_cases == [] and ov.earlier_books == []
    assert ov.investigation is not None and ov.investigation.closed_on is None


def test_sz_mt_art_4_health_centre_missing_only_for_inpatient_and_migrant(engine, build, policy):
    for scheme, flagged in (("inpatient", True), ("migrant", True), ("comprehensive", False)):
        e = build.enrollee(scheme=scheme)
        assert ("health_centre_missing" in kinds(overview(engine, e.id, TODAY, policy))) is flagged, scheme


def test_sz_mt_art_14_notice_alert_runs_to_its_due_day_then_is_overdue(engine, person, build, policy):
    e, _h, _d = person
    due = date(2026, 5, 20)
    build._add(InvestigationCase(number="INV-1", enrollee_id=e.id, trigger="T01-visits-month",
                                 trigger_month="2026-04", status="notice_sent", notice_on=date(2026, 5, 6),
                                 notice_due=due, notice_due_provisional=True))
    on_due = overview(engine, e.id, due, policy)
    running = next(a for a in on_due.alerts if a.kind == "notice_running")
    assert running.due == due and running.provisional and not running.overdue
    assert running.article == policy.deadlines.article_notice
    after = overview(engine, e.id, due + timedelta(days=1), policy)
    assert "notice_running" not in kinds(after)
    overdue = next(a for a in after.alerts if a.kind == "notice_overdue")
    assert overdue.overdue and overdue.provisional
    # overdue items come first
    assert after.alerts[0].overdue


def test_overview_reads_only_and_changes_nothing(engine, build, clerk, policy):
    from conftest import db_fingerprint

    build_scene(build, engine)
    before = db_fingerprint(engine)
    overview(engine, WANG_ID, TODAY, policy)
    with write_session(engine):
        pass
    assert db_fingerprint(engine) == before
