"""Record book (SZ-MD Art. 5): one per enrollee, issued against the cards and
a confirmed certificate, renewed against the old book."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from certificate_world import make_world, one_event_per_change, refused
from core.db import write_session
from core.models import BookEntry, RecordBook
from core.services import books as svc

D = date(2026, 3, 10)
ART = "SZ-MD Art. 5"


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _issue_fn(w, cert, *, card=True, id_card=True, on=D, issued_at=None):
    return lambda s: svc.issue_book(s, w.clerk, policy=w.policy, certificate_number=cert.number,
                                    card_presented=card, id_card_presented=id_card, on=on,
                                    issued_at_id=issued_at.id if issued_at else None)


def _add_fn(w, book, cert, *, card=True, id_card=True, on=D):
    return lambda s: svc.add_to_book(s, w.clerk, policy=w.policy, book_number=book.number, certificate_number=cert.number,
                                     card_presented=card, id_card_presented=id_card, on=on)


def _renew_fn(w, book, *, on=D, card=True, id_card=True):
    return lambda s: svc.renew_book(s, w.clerk, policy=w.policy, book_number=book.number,
                                    card_presented=card, id_card_presented=id_card, on=on)


def _entries(engine, book):
    with write_session(engine) as s:
        return sorted(e.disease_code for e in s.exec(select(BookEntry).where(BookEntry.book_id == book.id)))


def test_sz_md_art_5_book_issued_by_agency_against_cards_and_certificate(w, engine):
    cert = w.recognise(D)
    with one_event_per_change(engine, expect=2, article=ART):
        book = w.run(_issue_fn(w, cert))
    assert re.fullmatch(r"B-2026-[0-9A-Z]{5}-[0-9A-Z]{5}", book.number)
    assert (book.status, book.issued_by, book.issued_on, book.issued_at_id) == ("active", "clerk1", D, None)
    assert _entries(engine, book) == ["MD-I-01"]


def test_sz_md_art_5_book_issued_by_city_diagnostic_hospital(w, engine):
    cert = w.recognise(D)
    assert w.run(_issue_fn(w, cert, issued_at=w.hospital)).issued_at_id == w.hospital.id


def test_sz_md_art_5_book_issuer_must_be_agency_or_city_diagnostic_hospital(w, engine, build):
    cert = w.recognise(D)
    clinic = build.institution(kind="clinic", diagnostic_hospital=False)
    refused(engine, _issue_fn(w, cert, issued_at=clinic), article=ART, field="issued_at_id")
    elsewhere = build.institution(city="Guangzhou")
    refused(engine, _issue_fn(w, cert, issued_at=elsewhere), article=ART, field="issued_at_id")


@pytest.mark.parametrize("card,id_card,field", [(False, True, "card_presented"), (True, False, "id_card_presented")])
def test_sz_md_art_5_book_needs_both_cards(w, engine, card, id_card, field):
    cert = w.recognise(D)
    refused(engine, _issue_fn(w, cert, card=card, id_card=id_card), article=ART, field=field)


def test_sz_md_art_5_book_needs_confirmed_certificate(w, engine):
    cert = w.draft(D)
    refused(engine, _issue_fn(w, cert), article=ART, field="certificate_number")


def test_sz_md_art_5_book_certificate_last_day_of_validity(w, engine):
    cert = w.recognise(D)
    refused(engine, _issue_fn(w, cert, on=cert.valid_until + timedelta(days=1)), article=ART,
            field="certificate_number")
    assert w.run(_issue_fn(w, cert, on=cert.valid_until)).status == "active"


def test_sz_md_art_5_second_active_book_refused_second_disease_goes_into_existing(w, engine):
    first = w.recognise(D)
    second = w.recognise(D, "MD-I-02")
    book = w.run(_issue_fn(w, first))
    err = refused(engine, _issue_fn(w, second), article=ART, field="enrollee_id")
    assert book.number in err.reasons[0].message_en
    with one_event_per_change(engine, expect=1, article=ART):
        w.run(_add_fn(w, book, second))
    assert _entries(engine, book) == ["MD-I-01", "MD-I-02"]
    with write_session(engine) as s:
        assert len(s.exec(select(RecordBook)).all()) == 1


def test_sz_md_art_5_same_disease_not_added_twice(w, engine):
    cert = w.recognise(D)
    book = w.run(_issue_fn(w, cert))
    refused(engine, _add_fn(w, book, cert), article=ART, field="certificate_number")


def test_sz_md_art_5_add_needs_own_certificate_and_cards(w, engine, build):
    book = w.run(_issue_fn(w, w.recognise(D)))
    stranger = build.enrollee()
    theirs = w.recognise(D, "MD-I-02", enrollee=stranger)
    refused(engine, _add_fn(w, book, theirs), article=ART, field="certificate_number")
    mine = w.recognise(D, "MD-I-03")
    refused(engine, _add_fn(w, book, mine, card=False), article=ART, field="card_presented")


def test_sz_md_art_5_used_up_book_renewed_against_old(w, engine):
    book = w.run(_issue_fn(w, w.recognise(D)))
    w.run(_add_fn(w, book, w.recognise(D, "MD-I-02")))
    later = D + timedelta(days=200)
    # old book changed, new book created, two entries copied
    with one_event_per_change(engine, expect=4, article=ART):
        new = w.run(_renew_fn(w, book, on=later))
    with write_session(engine) as s:
        old = s.get(RecordBook, book.id)
    assert (old.status, old.ended_on) == ("used_up", later)
    assert (new.status, new.previous_id, new.issued_on) == ("active", book.id, later)
    assert new.number != book.number
    assert _entries(engine, new) == ["MD-I-01", "MD-I-02"]


def test_sz_md_art_5_used_up_book_number_refused_naming_its_successor(w, engine):
    book = w.run(_issue_fn(w, w.recognise(D)))
    new = w.run(_renew_fn(w, book))
    err = refused(engine, _renew_fn(w, book), article=ART, field="book_number")
    assert new.number in err.reasons[0].message_en
    refused(engine, _add_fn(w, book, w.recognise(D, "MD-I-02")), article=ART, field="book_number")


def test_sz_md_art_5_renewal_needs_cards(w, engine):
    book = w.run(_issue_fn(w, w.recognise(D)))
    refused(engine, _renew_fn(w, book, id_card=False), article=ART, field="id_card_presented")

