"""Replacement of a lost certificate or record book (SZ-MD Art. 5)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from certificate_world import make_world, one_event_per_change, refused
from core.db import write_session
from core.models import BookEntry, Certificate, RecordBook, Replacement
from core.rules.certificates import renewal_window
from core.services import books
from core.services import certificates as certs
from core.services import replacements as svc

D = date(2026, 3, 10)
LOST = date(2026, 6, 1)
ART = "SZ-MD Art. 5"


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _replace_cert_fn(w, cert, *, place="hospital", institution="same", card=True, id_card=True, on=LOST):
    inst = w.hospital if institution == "same" else institution
    return lambda s: svc.replace_certificate(s, w.clerk, policy=w.policy, number=cert.number, place=place, card_presented=card,
                                             id_card_presented=id_card, on=on,
                                             institution_id=inst.id if inst else None)


def _replace_book_fn(w, book, *, place="agency", institution=None, card=True, id_card=True, on=LOST):
    return lambda s: svc.replace_book(s, w.clerk, policy=w.policy, book_number=book.number, place=place, card_presented=card,
                                      id_card_presented=id_card, on=on,
                                      institution_id=institution.id if institution else None)


def _issue_book(w, cert, issued_at=None, on=D):
    return w.run(lambda s: books.issue_book(s, w.clerk, policy=w.policy, certificate_number=cert.number,
                                            card_presented=True, id_card_presented=True, on=on,
                                            issued_at_id=issued_at.id if issued_at else None))


# --------------------------------------------------------------------------- certificates


def test_sz_md_art_5_lost_certificate_replaced_at_original_hospital(w, engine):
    old = w.recognise(D)
    # old voided, new certificate created, replacement record created
    with one_event_per_change(engine, expect=3, article=ART):
        repl = w.run(_replace_cert_fn(w, old))
    old_now, new = w.get(old.id), w.get(repl.new_id)
    assert (old_now.status, old_now.ended_on, old_now.replaced_by_id) == ("void", LOST, new.id)
    assert new.status == "confirmed" and new.number != old.number
    for f in ("enrollee_id", "disease_code", "category", "institution_id", "valid_from", "valid_until",
              "confirmed_on", "confirmed_by", "signer1_id", "signer2_id", "drafted_by", "seal_ref"):
        assert getattr(new, f) == getattr(old, f), f
    assert (repl.item_kind, repl.old_number, repl.new_number, repl.place, repl.archived) == (
        "certificate", old.number, new.number, "hospital", False)
    with write_session(engine) as s:
        assert [c.id for c in certs.live_certificates(s, w.enrollee.id, LOST)] == [new.id]


def test_sz_md_art_5_certificate_replaced_at_agency(w, engine):
    old = w.recognise(D)
    repl = w.run(_replace_cert_fn(w, old, place="agency", institution=None))
    assert repl.place == "agency" and repl.institution_id is None


def test_sz_md_art_5_certificate_replaced_only_at_issuing_hospital(w, engine, build):
    old = w.recognise(D)
    other = build.institution()
    refused(engine, _replace_cert_fn(w, old, institution=other), article=ART, field="institution_id")
    refused(engine, _replace_cert_fn(w, old, place="pharmacy"), article=ART, field="place")
    refused(engine, _replace_cert_fn(w, old, place="agency", institution=other), article=ART,
            field="institution_id")


@pytest.mark.parametrize("card,id_card,field", [(False, True, "card_presented"), (True, False, "id_card_presented")])
def test_sz_md_art_5_certificate_replacement_needs_both_cards(w, engine, card, id_card, field):
    old = w.recognise(D)
    refused(engine, _replace_cert_fn(w, old, card=card, id_card=id_card), article=ART, field=field)


def test_sz_md_art_5_only_valid_confirmed_certificate_replaced(w, engine):
    draft = w.draft(D, "MD-I-02")
    refused(engine, _replace_cert_fn(w, draft), article=ART, field="number")
    old = w.recognise(D)
    refused(engine, _replace_cert_fn(w, old, on=old.valid_until + timedelta(days=1)), article=ART, field="number")
    assert w.run(_replace_cert_fn(w, old, on=old.valid_until)).new_number


def test_sz_md_art_5_void_certificate_number_refused_wherever_presented(w, engine, policy):
    old = w.recognise(D)
    repl = w.run(_replace_cert_fn(w, old))
    err = refused(engine, lambda s: certs.present_certificate(s, old.number, LOST, w.policy), article=ART, field="number")
    assert repl.new_number in err.reasons[0].message_en
    refused(engine, _replace_cert_fn(w, old), article=ART, field="number")
    refused(engine, lambda s: books.issue_book(s, w.clerk, policy=policy, certificate_number=old.number,
                                               card_presented=True, id_card_presented=True, on=LOST),
            article=ART, field="number")
    opens, _ = renewal_window(old, policy)
    refused(engine, lambda s: certs.draft_certificate(
        s, w.clerk, policy=policy, enrollee_id=w.enrollee.id, disease_code="MD-I-01",
        institution_id=w.hospital.id, physician_id=w.attending.id, on=opens, criteria_acknowledged=True,
        renewal_of=old.number), article=ART, field="number")
    refused(engine, lambda s: certs.invalidate_certificate(s, w.reviewer, policy=w.policy, number=old.number, on=LOST, reason="x"),
            article=ART, field="number")
    # the day before the loss the number was still good
    with write_session(engine) as s:
        assert certs.present_certificate(s, old.number, LOST - timedelta(days=1), w.policy).id == old.id


def test_sz_md_art_5_replacement_renewed_by_its_new_number(w, engine, policy):
    old = w.recognise(D)
    repl = w.run(_replace_cert_fn(w, old))
    opens, closes = renewal_window(old, policy)
    new = w.draft(opens, renewal_of=repl.new_number)
    w.sign(new, opens)
    w.seal(new, opens)
    new = w.confirm(new, opens)
    assert new.valid_from == closes + timedelta(days=1)
    assert w.get(repl.new_id).status == "superseded"


def test_sz_md_art_5_pending_renewal_follows_the_replacement(w, engine, policy):
    old = w.recognise(D)
    opens, closes = renewal_window(old, policy)
    new = w.draft(opens, renewal_of=old.number)
    repl = w.run(_replace_cert_fn(w, old, on=opens + timedelta(days=1)))
    w.sign(new, opens + timedelta(days=2))
    w.seal(new, opens + timedelta(days=2))
    new = w.confirm(new, opens + timedelta(days=3))
    assert new.previous_id == repl.new_id and new.valid_from == closes + timedelta(days=1)
    assert w.get(repl.new_id).status == "superseded" and w.get(old.id).status == "void"


def test_sz_md_art_5_replacement_copy_not_batched_again(w, engine):
    old = w.recognise(date(2026, 3, 2))
    w.run(_replace_cert_fn(w, old, on=date(2026, 3, 20)))
    with write_session(engine) as s:
        assert [c.id for c in certs.batch_candidates(s, w.hospital.id, "2026-03")] == [old.id]


# --------------------------------------------------------------------------- books


def test_sz_md_art_5_lost_book_replaced_with_same_entries(w, engine):
    book = _issue_book(w, w.recognise(D))
    w.run(lambda s: books.add_to_book(s, w.clerk, policy=w.policy, book_number=book.number,
                                      certificate_number=w.recognise(D, "MD-I-02").number,
                                      card_presented=True, id_card_presented=True, on=D))
    # old voided, new book, two entries, replacement record
    with one_event_per_change(engine, expect=5, article=ART):
        repl = w.run(_replace_book_fn(w, book))
    with write_session(engine) as s:
        old = s.get(RecordBook, book.id)
        new = s.get(RecordBook, repl.new_id)
        codes = sorted(e.disease_code for e in s.exec(select(BookEntry).where(BookEntry.book_id == new.id)))
    assert (old.status, old.ended_on) == ("void", LOST)
    assert (new.status, new.enrollee_id) == ("active", w.enrollee.id) and new.number != book.number
    assert codes == ["MD-I-01", "MD-I-02"]
    assert (repl.item_kind, repl.old_number, repl.new_number) == ("book", book.number, new.number)


def test_sz_md_art_5_book_replaced_at_issuing_hospital_only(w, engine, build):
    hospital_book = _issue_book(w, w.recognise(D), issued_at=w.hospital)
    other = build.institution()
    refused(engine, _replace_book_fn(w, hospital_book, place="hospital", institution=other), article=ART,
            field="institution_id")
    repl = w.run(_replace_book_fn(w, hospital_book, place="hospital", institution=w.hospital))
    with write_session(engine) as s:
        assert s.get(RecordBook, repl.new_id).issued_at_id == w.hospital.id


def test_sz_md_art_5_agency_issued_book_not_replaced_at_a_hospital(w, engine):
    book = _issue_book(w, w.recognise(D))
    refused(engine, _replace_book_fn(w, book, place="hospital", institution=w.hospital), article=ART, field="place")


@pytest.mark.parametrize("card,id_card,field", [(False, True, "card_presented"), (True, False, "id_card_presented")])
def test_sz_md_art_5_book_replacement_needs_both_cards(w, engine, card, id_card, field):
    book = _issue_book(w, w.recognise(D))
    refused(engine, _replace_book_fn(w, book, card=card, id_card=id_card), article=ART, field=field)


def test_sz_md_art_5_void_book_number_refused_wherever_presented(w, engine):
    book = _issue_book(w, w.recognise(D))
    repl = w.run(_replace_book_fn(w, book))
    err = refused(engine, lambda s: books.present_book(s, book.number, LOST, w.policy), article=ART, field="book_number")
    assert repl.new_number in err.reasons[0].message_en
    refused(engine, _replace_book_fn(w, book), article=ART, field="book_number")
    second = w.recognise(D, "MD-I-02")
    refused(engine, lambda s: books.add_to_book(s, w.clerk, policy=w.policy, book_number=book.number,
                                                certificate_number=second.number, card_presented=True,
                                                id_card_presented=True, on=LOST), article=ART, field="book_number")
    # the replacement book takes the disease
    w.run(lambda s: books.add_to_book(s, w.clerk, policy=w.policy, book_number=repl.new_number, certificate_number=second.number,
                                      card_presented=True, id_card_presented=True, on=LOST))


# --------------------------------------------------------------------------- archive


def test_sz_md_art_5_replacement_archived_once(w, engine):
    repl = w.run(_replace_cert_fn(w, w.recognise(D)))
    with one_event_per_change(engine, expect=1, article=ART):
        done = w.run(lambda s: svc.archive_replacement(s, w.clerk, policy=w.policy, replacement_id=repl.id, on=LOST + timedelta(days=3)))
    assert (done.archived, done.archived_on) == (True, LOST + timedelta(days=3))
    refused(engine, lambda s: svc.archive_replacement(s, w.clerk, policy=w.policy, replacement_id=repl.id, on=LOST),
            article=ART, field="archived")
    with write_session(engine) as s:
        assert [r.id for r in svc.replacements_of(s, w.enrollee.id)] == [repl.id]
        assert s.get(Replacement, repl.id).archived
        assert s.get(Certificate, repl.new_id).batch_id is None


def test_sz_md_art_5_replaced_certificate_takes_its_place_in_the_record_book(w, engine):
    old = w.recognise(D)
    book = _issue_book(w, old)
    # void old + new copy + replacement record + the book entry re-pointed
    with one_event_per_change(engine, expect=4, article=ART):
        repl = w.run(_replace_cert_fn(w, old))
    with write_session(engine) as s:
        entries = list(s.exec(select(BookEntry).where(BookEntry.book_id == book.id)))
    assert [e.certificate_id for e in entries] == [repl.new_id]
