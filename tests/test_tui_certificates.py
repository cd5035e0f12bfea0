"""Certificate screen, driven by keys only (SZ-MD Art. 2, 4, 12, 13): draft,
team signatures, seal, agency confirmation, re-application, withdrawal,
invalidation and the monthly batch of originals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from certificate_world import make_world
from conftest import db_fingerprint
from core.models import Certificate, MonthlyBatch, RecordBook
from core.rules.certificates import renewal_window
from tui.app import create_app
from tui_document_steps import open_by_keys, rows, settled, shown, wait_until

D = date(2026, 5, 12)


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _cert(engine, **where) -> Certificate:
    found = rows(engine, Certificate, **where)
    assert len(found) == 1, found
    return found[0]


async def _draft_by_keys(pilot, w, disease: str = "MD-I-01", physician=None) -> None:
    """From the list: Ctrl+N, disease, acknowledge, hospital, physician, Ctrl+S."""
    app = pilot.app
    await pilot.press("ctrl+n")
    await wait_until(pilot, lambda: app.screen.pane == "draft")
    await pilot.press(*disease)
    await settled(pilot, "disease", disease)
    await pilot.press("tab", "space")  # acknowledge the admission criteria
    await pilot.press("tab", "tab")  # past the off-site box to the hospital
    await pilot.press(*w.hospital.code)
    await settled(pilot, "hospital", w.hospital.id)
    await pilot.press("tab")
    physician = physician or w.attending
    await pilot.press(*physician.code)
    await settled(pilot, "physician", physician.id)


# --------------------------------------------------------------------------- the whole path


async def test_sz_md_art_4_certificate_registered_by_keys_then_confirmed_by_reviewer_then_book(
        w, engine, policy, clerk, reviewer):
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await _draft_by_keys(pilot, w)
        assert "Admission criteria (SZ-MD Art. 4)" in shown(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "sign")
        cert = _cert(engine)
        assert (cert.status, cert.drafted_by, cert.physician_id, cert.criteria_acknowledged) == (
            "draft", "clerk1", w.attending.id, True)

        # signatures: the head and a member of the cardiology team, today's date
        await settled(pilot, "signer1")
        assert "HEAD" in shown(app)
        await pilot.press(*w.head.code)
        await settled(pilot, "signer1", w.head.id)
        await pilot.press("tab", "tab")
        await pilot.press(*w.member.code)
        await settled(pilot, "signer2", w.member.id)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "seal")
        cert = _cert(engine)
        assert (cert.status, cert.signer1_id, cert.signer2_id, cert.signed1_on) == ("signed", w.head.id,
                                                                                    w.member.id, D)

        await pilot.press(*"SEAL-7", "enter")
        await wait_until(pilot, lambda: _cert(engine).status == "sealed")
        assert _cert(engine).seal_ref == "SEAL-7"
        # a clerk is not offered the agency's confirmation: the reasons instead of the pane (allowed_steps)
        await wait_until(pilot, lambda: any("may not confirm certificates" in str(n.message) for n in app._notifications))
        assert app.screen.pane == "list"
        assert not app.failures

    # the agency's reviewer confirms in a session of their own
    app = create_app(engine, reviewer, policy, today=D + timedelta(days=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("enter")  # continues the sealed certificate at its next step
        await wait_until(pilot, lambda: app.screen.pane == "confirm")
        assert "2026-05-13..2028-05-12" in shown(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: _cert(engine).status == "confirmed")
        cert = _cert(engine)
        assert (cert.confirmed_by, cert.valid_from, cert.valid_until) == ("rev1", D + timedelta(days=1),
                                                                          date(2028, 5, 12))
        await wait_until(pilot, lambda: app.screen.pane == "list" and "rev1" in shown(app))
        assert w.head.code in shown(app)  # the timeline names who signed

        # then the record book, from the enrollee view
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
        await pilot.press("b")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BooksScreen"
                         and app.screen.file is not None)
        await pilot.press("tab", "space", "tab", "space")  # card and ID card presented
        await settled(pilot, "issuer", "agency")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: len(rows(engine, RecordBook)) == 1)
        book = rows(engine, RecordBook)[0]
        assert (book.status, book.issued_by, book.issued_at_id) == ("active", "rev1", None)
        await wait_until(pilot, lambda: book.number in shown(app))
        assert not app.failures


async def test_sz_md_art_4_drafting_caseworker_confirming_refused_on_screen(w, engine, policy, reviewer):
    cert = w.draft(D, actor=w.reviewer)  # reviewers may enter certificates too
    w.sign(cert, D)
    w.seal(cert, D)
    before = db_fingerprint(engine)
    app = create_app(engine, reviewer, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("enter")
        # refused before any dialog: the reasons, not the confirmation pane (allowed_steps)
        await wait_until(pilot, lambda: any("rev1 entered this certificate and may not also confirm it."
                                            in str(n.message) for n in app._notifications))
        text = next(str(n.message) for n in app._notifications if "may not also confirm" in str(n.message))
        assert "[SZ-MD Art. 4]" in text
        assert app.screen.pane == "list" and type(app.screen).__name__ == "CertificatesScreen"
        assert not app.failures
    assert db_fingerprint(engine) == before
    assert _cert(engine).status == "sealed"


async def test_sz_md_art_4_unacknowledged_criteria_refused_and_form_kept(w, engine, policy, clerk):
    before = db_fingerprint(engine)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await _draft_by_keys(pilot, w)
        await pilot.press("shift+tab", "shift+tab", "shift+tab", "space")  # untick the acknowledgement
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.query_one("#draft-reasons").display)
        text = shown(app)
        assert "[SZ-MD Art. 4] criteria acknowledged:" in text
        assert db_fingerprint(engine) == before
        # the form kept what was typed: tick the box again and the same draft goes through
        assert app.screen.query_one("#physician").value == str(w.attending.id)
        app.screen.query_one("#criteria-ack").focus()
        await pilot.press("space", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "sign")
        assert _cert(engine).disease_code == "MD-I-01"
        assert not app.failures


async def test_sz_md_art_2_transplant_needs_organ_picker(w, engine, policy, clerk):
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("ctrl+n")
        await pilot.press(*"MD-II-02")
        await settled(pilot, "disease", "MD-II-02")
        organ = app.screen.query_one("#organ")
        assert organ.display and "heart" in shown(app)
        await pilot.press("tab", "space", "tab")  # acknowledge, then the organ
        await pilot.press(*"kidney")
        await settled(pilot, "organ", "kidney")
        await pilot.press("tab", "tab")
        await pilot.press(*w.hospital.code)
        await settled(pilot, "hospital", w.hospital.id)
        await pilot.press("tab")
        await pilot.press(*w.transplant_attending.code)
        await settled(pilot, "physician", w.transplant_attending.id)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "sign")
        assert (_cert(engine).disease_code, _cert(engine).organ) == ("MD-II-02", "kidney")
        assert not app.failures


async def test_sz_md_art_4_continuation_checklist_revealed_and_required(w, engine, policy, clerk):
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await _draft_by_keys(pilot, w)
        assert not app.screen.query_one("#checklist").display
        await pilot.press("tab", "space")  # continuation
        await wait_until(pilot, lambda: app.screen.query_one("#checklist").display)
        for _item in range(3):  # three of the four evidence items
            await pilot.press("tab", "space")
        before = db_fingerprint(engine)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.query_one("#draft-reasons").display)
        assert "cont_copies_kept" in shown(app) and "[SZ-MD Art. 4]" in shown(app)
        assert db_fingerprint(engine) == before
        await pilot.press("tab", "space", "ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "sign")
        cert = _cert(engine)
        assert cert.continuation and cert.cont_recent_record and cert.cont_copies_kept
        assert not app.failures


async def test_sz_md_art_12_reapplication_in_window_by_keys(w, engine, policy, clerk):
    old = w.recognise(date(2024, 7, 1))  # valid to 2026-06-30: window open on D
    opens, closes = renewal_window(old, policy)
    assert opens <= D <= closes
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        assert f"re-apply by {closes.isoformat()}" in shown(app)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: app.screen.pane == "draft")
        await settled(pilot, "hospital", w.hospital.id)
        await wait_until(pilot, lambda: app.screen.query_one("#renewal").value)
        assert f"Re-application for {old.number}" in shown(app)
        app.screen.query_one("#criteria-ack").focus()
        await pilot.press("space")
        app.screen.query_one("#physician-filter").focus()
        await pilot.press(*w.attending.code)
        await settled(pilot, "physician", w.attending.id)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen.pane == "sign")
        new = _cert(engine, status="draft")
        assert new.previous_id == old.id
        assert not app.failures


# --------------------------------------------------------------------------- ending


async def test_sz_md_art_4_withdraw_draft_needs_reason(w, engine, policy, clerk):
    cert = w.draft(D)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: app.screen.pane == "end")
        before = db_fingerprint(engine)
        await pilot.press("enter")  # no reason typed: refused before any dialog
        await wait_until(pilot, lambda: app.screen.query_one("#end-reasons").display)
        assert type(app.screen).__name__ == "CertificatesScreen"
        assert "[SZ-MD Art. 4] reason" in shown(app)
        assert db_fingerprint(engine) == before
        await pilot.press(*"entered twice", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: _cert(engine).status == "withdrawn")
        assert (_cert(engine).end_reason, _cert(engine).ended_by) == ("entered twice", "clerk1")
        await wait_until(pilot, lambda: app.screen.pane == "list")
        assert cert.number in shown(app)
        assert not app.failures


async def test_sz_md_art_13_invalidation_by_reviewer_with_reason(w, engine, policy, clerk, reviewer):
    w.recognise(D)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:  # a clerk may not invalidate: the key is not offered
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        assert app.screen.check_action("invalidate", ()) is False
        await pilot.press("ctrl+x")
        await pilot.pause()
        assert app.screen.pane == "list" and type(app.screen).__name__ == "CertificatesScreen"
    assert _cert(engine).status == "confirmed"
    app = create_app(engine, reviewer, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: app.screen.pane == "end")
        await pilot.press(*"forged lab report", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: _cert(engine).status == "invalidated")
        assert (_cert(engine).ended_by, _cert(engine).end_reason) == ("rev1", "forged lab report")
        assert not app.failures


# --------------------------------------------------------------------------- monthly batch


async def test_sz_md_art_4_monthly_batch_gathered_and_received(w, engine, policy, clerk):
    first = w.recognise(date(2026, 3, 2))
    second = w.recognise(date(2026, 3, 30), "MD-I-02")
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BatchesScreen"
                         and app.screen.view is not None)
        assert app.screen.view.month == "2026-03"
        assert "no batch yet" in shown(app) and "2 waiting" in shown(app)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: len(rows(engine, MonthlyBatch)) == 1 and "2 in the batch" in shown(app))
        batch = rows(engine, MonthlyBatch)[0]
        assert {c.batch_id for c in rows(engine, Certificate)} == {batch.id}
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: rows(engine, MonthlyBatch)[0].received_on == D)
        await wait_until(pilot, lambda: "received 2026-05-12 by clerk1" in shown(app))
        before = db_fingerprint(engine)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConfirmScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        assert "[SZ-MD Art. 4] month" in shown(app)
        assert db_fingerprint(engine) == before
        assert first.number in shown(app) and second.number in shown(app)
        assert not app.failures


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("size,lang", [((80, 24), "zh_CN"), ((200, 60), "en")])
async def test_certificate_screens_render_in_both_sizes_and_languages(w, engine, policy, clerk, size, lang,
                                                                       tmp_path):
    cert = w.draft(D)
    w.sign(cert, D)
    app = create_app(engine, clerk, policy, lang, today=D)
    def on_screen(selector: str) -> bool:
        """The widget is drawn inside the terminal, above the two key lines."""
        region = app.screen.query_one(selector).region
        return region.height > 0 and region.bottom <= size[1] - 2 and region.right <= size[0]

    async with app.run_test(size=size) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        assert on_screen("#certs") and on_screen("#detail")
        await pilot.press("f1")  # the keys of this screen, then back
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CertificatesScreen")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.pane == "seal")
        await pilot.pause()
        assert on_screen("#seal-ref")
        app.save_screenshot(str(tmp_path / "seal.svg"))
        await pilot.press("escape", "ctrl+n")
        await wait_until(pilot, lambda: app.screen.pane == "draft")
        await settled(pilot, "disease")
        assert on_screen("#disease-filter") and on_screen("#criteria")
        app.save_screenshot(str(tmp_path / "draft.svg"))
        assert (tmp_path / "draft.svg").stat().st_size > 0
        assert not app.failures


async def test_certificates_opened_without_enrollee_asks_for_one(w, engine, policy, clerk):
    w.draft(D)
    app = create_app(engine, clerk, policy, today=D)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.open_workflow("certificates")  # as the command palette would
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CertificatesScreen")
        await pilot.press(*"NOBODY", "enter")
        await wait_until(pilot, lambda: "No enrollee with ID number" in shown(app))
        await pilot.press("ctrl+u", *w.enrollee.card_number, "enter")
        await wait_until(pilot, lambda: app.screen.file is not None)
        assert "team signatures" in shown(app)
        assert not app.failures
