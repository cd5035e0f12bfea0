"""Reach every state of every workflow machine through the services, and fire
every event, for the tests generated from the machine tables
(tests/test_workflows.py). Nothing here writes a status string: each state is
reached by the steps a caseworker takes.

``Driver.reach(machine, state)`` returns a :class:`Ref` (the record's table
and id, and the date of its last step); ``Driver.fire(machine, event, ref,
actor, on, today)`` runs the event's service in one write transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from certificate_world import World
from core.db import write_session
from core.models import (
    Certificate,
    HealthCentreSelection,
    InvestigationCase,
    MonthlyBatch,
    OffsiteFiling,
    RecordBook,
    ReimbursementClaim,
    Replacement,
)
from core.rules.certificates import renewal_window
from core.services import books, claims, health_centre, investigations as inv, monitoring, offsite, replacements
from core.services import certificates as certs
from core.services.offsite import FilingForm

D = date(2026, 3, 10)  # a Tuesday; the certificate world's team is on since 2020
N = date(2026, 9, 1)  # investigation notices
TODAY = date(2028, 12, 29)  # the business date: after every step below
PLACE = "Wuhan"

MODELS = {"certificates": Certificate, "investigations": InvestigationCase, "offsite": OffsiteFiling,
          "books": RecordBook, "replacements": Replacement, "batches": MonthlyBatch,
          "health_centre": HealthCentreSelection, "claims": ReimbursementClaim}


@dataclass(frozen=True)
class Ref:
    machine: str
    id: uuid.UUID
    last: date  # the date of the record's last step
    extra: tuple = ()


def _later(*days: date | None) -> date:
    return max(d for d in days if d is not None)


class Driver:
    def __init__(self, w: World, build, policy, clerk, reviewer):
        self.w, self.build, self.policy, self.clerk, self.reviewer = w, build, policy, clerk, reviewer

    # ------------------------------------------------------------------ plumbing
    def run(self, fn):
        with write_session(self.w.engine) as s:
            return fn(s)

    def load(self, ref: Ref):
        with write_session(self.w.engine) as s:
            row = s.get(MODELS[ref.machine], ref.id)
            s.expunge(row)
            return row

    def enrollee(self, **kw):
        kw.setdefault("scheme", "comprehensive")
        kw.setdefault("supplementary", True)
        return self.build.enrollee(**kw)

    # ------------------------------------------------------------------ certificates
    def _cert(self, upto: str, enrollee=None, disease="MD-I-01", on=D) -> Certificate:
        w = self.w
        c = w.draft(on, disease, enrollee=enrollee or self.enrollee())
        if upto == "draft":
            return c
        c = w.sign(c, on)
        if upto == "signed":
            return c
        c = w.seal(c, on)
        if upto == "sealed":
            return c
        return w.confirm(c, on)

    def reach_certificates(self, state: str) -> Ref:
        if state in ("draft", "signed", "sealed", "confirmed"):
            c = self._cert(state)
            return Ref("certificates", c.id, D)
        if state == "superseded":
            old = self._cert("confirmed")
            opens, _ = renewal_window(old, self.policy)
            new = self.w.draft(opens, renewal_of=old.number, enrollee=self._enrollee_of(old))
            self.w.sign(new, opens)
            self.w.seal(new, opens)
            self.w.confirm(new, opens)
            return Ref("certificates", old.id, opens)
        if state == "invalidated":
            c = self._cert("confirmed")
            self.run(lambda s: certs.invalidate_certificate(s, self.reviewer, policy=self.policy, number=c.number, on=D, reason="false"))
            return Ref("certificates", c.id, D)
        if state == "withdrawn":
            c = self._cert("draft")
            self.run(lambda s: certs.withdraw_certificate(s, self.clerk, policy=self.policy, number=c.number, on=D, reason="gone"))
            return Ref("certificates", c.id, D)
        if state == "void":
            c = self._cert("confirmed")
            self._replace_cert(c.number, self.clerk, D, None)
            return Ref("certificates", c.id, D)
        raise KeyError(state)

    def _enrollee_of(self, c: Certificate):
        from core.models import Enrollee

        return self.run(lambda s: s.get(Enrollee, c.enrollee_id))

    def _replace_cert(self, number, actor, on, today):
        return self.run(lambda s: replacements.replace_certificate(
            s, actor, policy=self.policy, number=number, place="hospital", card_presented=True, id_card_presented=True, on=on,
            institution_id=self.w.hospital.id, today=today))

    def fire_certificates(self, event: str, ref: Ref, actor, on: date, today: date | None):
        c = self.load(ref)
        w = self.w
        if event == "sign":
            return self.run(lambda s: certs.sign_certificate(
                s, actor, policy=self.policy, number=c.number, signatures=[(w.head.id, on), (w.member.id, on)],
                on=on, today=today))
        if event == "seal":
            return self.run(lambda s: certs.seal_certificate(s, actor, policy=self.policy, number=c.number, seal_ref="SEAL-9", on=on,
                                                             today=today))
        if event == "confirm":
            return self.run(lambda s: certs.confirm_certificate(s, actor, policy=self.policy, number=c.number,
                                                                on=on, today=today))
        if event == "replace":
            return self._replace_cert(c.number, actor, on, today)
        if event == "invalidate":
            return self.run(lambda s: certs.invalidate_certificate(s, actor, policy=self.policy, number=c.number, on=on,
                                                                   reason="false claim", today=today))
        if event == "withdraw":
            return self.run(lambda s: certs.withdraw_certificate(s, actor, policy=self.policy, number=c.number, on=on, reason="gone",
                                                                 today=today))
        if event == "supersede":  # fired by confirming a renewal drafted in the window
            window = renewal_window(c, self.policy) if c.valid_until else None
            day = _later(on, window[0] if window else None)
            e = self._enrollee_of(c)
            new = self.run(lambda s: certs.draft_certificate(
                s, self.clerk, policy=self.policy, enrollee_id=e.id, disease_code=c.disease_code,
                institution_id=w.hospital.id, physician_id=w.attending.id, on=day, criteria_acknowledged=True,
                renewal_of=c.number, today=today))
            w.sign(new, day)
            w.seal(new, day)
            return self.run(lambda s: certs.confirm_certificate(s, actor, policy=self.policy, number=new.number,
                                                                on=day, today=today))
        raise KeyError(event)

    # ------------------------------------------------------------------ investigation cases
    def _notice(self, on=N):
        p = self.enrollee()
        flag = self.run(lambda s: monitoring.record_manual_trigger(
            s, self.clerk, self.policy, enrollee_id=p.id, trigger="T12-reported-violation", detail="reported", on=on))
        return self.run(lambda s: inv.send_notice_for_flag(s, self.clerk, self.policy, flag_id=flag.id, on=on))

    def reach_investigations(self, state: str) -> Ref:
        case = self._notice()
        day = N
        if state == "notice_sent":
            return Ref("investigations", case.id, day)
        if state == "closed_explained":
            self.run(lambda s: inv.record_explanation(s, self.clerk, self.policy, case_id=case.id, note="receipts", on=N))
            self.run(lambda s: inv.judge_explanation(s, self.reviewer, self.policy, case_id=case.id,
                                                     sufficient=True, on=N))
            return Ref("investigations", case.id, day)
        day = case.notice_due + timedelta(days=1)
        self.run(lambda s: inv.record_no_show(s, self.reviewer, self.policy, case_id=case.id, on=day))
        if state == "suspended":
            return Ref("investigations", case.id, day)
        outcome = {"violation": "violation", "referred": "crime"}.get(state, "no_violation")
        day += timedelta(days=1)
        self.run(lambda s: inv.record_verification(s, self.reviewer, self.policy, case_id=case.id,
                                                   outcome=outcome, on=day))
        if state == "verified":
            return Ref("investigations", case.id, day)
        day += timedelta(days=1)
        self.run(lambda s: inv.deliver_decision(s, self.reviewer, self.policy, case_id=case.id, on=day))
        if state in ("decided", "violation", "referred"):
            return Ref("investigations", case.id, day)
        day += timedelta(days=1)
        self.run(lambda s: inv.resume(s, self.reviewer, self.policy, case_id=case.id, on=day))
        assert state == "resumed", state
        return Ref("investigations", case.id, day)

    def fire_investigations(self, event: str, ref: Ref, actor, on: date, today: date | None):
        case = self.load(ref)
        cid = case.id
        if event == "explain":
            return self.run(lambda s: inv.record_explanation(s, actor, self.policy, case_id=cid, note="receipts", on=on,
                                                             today=today))
        if event == "judge":
            return self.run(lambda s: inv.judge_explanation(s, actor, self.policy, case_id=cid, sufficient=False,
                                                            on=on, today=today))
        if event == "no_show":
            return self.run(lambda s: inv.record_no_show(s, actor, self.policy, case_id=cid, on=on, today=today))
        if event == "verify":
            return self.run(lambda s: inv.record_verification(s, actor, self.policy, case_id=cid,
                                                              outcome="no_violation", on=on, today=today))
        if event == "decide":
            return self.run(lambda s: inv.deliver_decision(s, actor, self.policy, case_id=cid, on=on, today=today))
        if event == "resume":
            return self.run(lambda s: inv.resume(s, actor, self.policy, case_id=cid, on=on, today=today))
        raise KeyError(event)

    # ------------------------------------------------------------------ off-site filings
    def _wuhan(self):
        if "wuhan" not in self.w.extra:
            self.w.extra["wuhan"] = [
                self.build.institution(city=PLACE, level=lvl, public=True, designated=True, kind=kind)
                for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"), (2, "clinic"))]
        return self.w.extra["wuhan"]

    def reach_offsite(self, state: str) -> Ref:
        insts = self._wuhan()
        p = self.build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed",
                                employer="Shenzhen Metro Co.", residence_city=PLACE)
        codes = tuple(i.code for i in insts[:3])
        f = FilingForm(place_city=PLACE, institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                       local_ss_stamp=True, filed_by="self")
        filing = self.run(lambda s: offsite.file_filing(s, self.clerk, p.id, f, on=D, policy=self.policy))
        if state == "active":
            return Ref("offsite", filing.id, D)
        assert state == "cancelled", state
        self.run(lambda s: offsite.cancel_filing(s, self.clerk, filing.id, policy=self.policy, on=D, reason="returned"))
        return Ref("offsite", filing.id, D)

    def fire_offsite(self, event: str, ref: Ref, actor, on: date, today: date | None):
        if event == "cancel":
            return self.run(lambda s: offsite.cancel_filing(s, actor, ref.id, policy=self.policy, on=on, reason="returned", today=today))
        if event == "change":
            codes = [i.code for i in self._wuhan()[1:4]]
            return self.run(lambda s: offsite.change_institutions(
                s, actor, ref.id, institutions=codes, stamped=codes, local_ss_stamp=True, form_copies=3, on=on,
                reason="moved", policy=self.policy, today=today))
        if event == "return":  # the event core.services.changes.return_home fires (SZ-MT Art. 9(3))
            return self.run(lambda s: offsite.cancel_on_return(s, actor, offsite.get_filing(s, ref.id), on=on,
                                                               reason="returned to work in the city",
                                                               policy=self.policy, today=today))
        raise KeyError(event)

    # ------------------------------------------------------------------ record books
    def _book(self):
        c = self._cert("confirmed")
        book = self.run(lambda s: books.issue_book(s, self.clerk, policy=self.policy, certificate_number=c.number,
                                                   card_presented=True, id_card_presented=True, on=D))
        return c, book

    def reach_books(self, state: str) -> Ref:
        c, book = self._book()
        if state == "active":
            return Ref("books", book.id, D, (c.enrollee_id,))
        if state == "used_up":
            self.run(lambda s: books.renew_book(s, self.clerk, policy=self.policy, book_number=book.number,
                                                card_presented=True, id_card_presented=True, on=D))
        else:
            assert state == "void", state
            self.run(lambda s: replacements.replace_book(s, self.clerk, policy=self.policy, book_number=book.number, place="agency",
                                                         card_presented=True, id_card_presented=True, on=D))
        return Ref("books", book.id, D, (c.enrollee_id,))

    def fire_books(self, event: str, ref: Ref, actor, on: date, today: date | None):
        book = self.load(ref)
        if event == "add":
            other = self.w.extra["other_certificate"]
            return self.run(lambda s: books.add_to_book(s, actor, policy=self.policy, book_number=book.number,
                                                        certificate_number=other.number, card_presented=True,
                                                        id_card_presented=True, on=on, today=today))
        if event == "renew":
            return self.run(lambda s: books.renew_book(s, actor, policy=self.policy, book_number=book.number,
                                                       card_presented=True, id_card_presented=True, on=on,
                                                       today=today))
        if event == "replace":
            return self.run(lambda s: replacements.replace_book(s, actor, policy=self.policy, book_number=book.number, place="agency",
                                                                card_presented=True, id_card_presented=True, on=on,
                                                                today=today))
        raise KeyError(event)

    def _enrollee_by_id(self, enrollee_id):
        from core.models import Enrollee

        return self.run(lambda s: s.get(Enrollee, enrollee_id))

    # ------------------------------------------------------------------ replacements
    def reach_replacements(self, state: str) -> Ref:
        c = self._cert("confirmed")
        repl = self._replace_cert(c.number, self.clerk, D, None)
        if state == "archived":
            self.run(lambda s: replacements.archive_replacement(s, self.clerk, policy=self.policy, replacement_id=repl.id, on=D))
        return Ref("replacements", repl.id, D)

    def fire_replacements(self, event: str, ref: Ref, actor, on: date, today: date | None):
        assert event == "archive", event
        return self.run(lambda s: replacements.archive_replacement(s, actor, policy=self.policy, replacement_id=ref.id, on=on,
                                                                   today=today))

    # ------------------------------------------------------------------ monthly batches
    def reach_batches(self, state: str) -> Ref:
        self._cert("confirmed")
        month = D.strftime("%Y-%m")
        batch = self.run(lambda s: certs.assemble_batch(s, self.clerk, policy=self.policy, institution_id=self.w.hospital.id,
                                                        month=month, on=D))
        if state == "received":
            self.run(lambda s: certs.receive_batch(s, self.clerk, policy=self.policy, institution_id=self.w.hospital.id, month=month,
                                                   on=D))
        return Ref("batches", batch.id, D)

    def fire_batches(self, event: str, ref: Ref, actor, on: date, today: date | None):
        batch = self.load(ref)
        hid = self.w.hospital.id
        if event == "assemble":
            return self.run(lambda s: certs.assemble_batch(s, actor, policy=self.policy, institution_id=hid, month=batch.month, on=on,
                                                           today=today))
        if event == "receive":
            return self.run(lambda s: certs.receive_batch(s, actor, policy=self.policy, institution_id=hid, month=batch.month, on=on,
                                                          today=today))
        raise KeyError(event)

    # ------------------------------------------------------------------ health centre
    def _centre(self):
        return self.build.institution(kind="community_health_centre", level=1, city="Shenzhen",
                                      designated=True, diagnostic_hospital=False)

    def reach_health_centre(self, state: str) -> Ref:
        p = self.build.enrollee(scheme="inpatient", employment="employed", employer="ACME Ltd")
        sel = self.run(lambda s: health_centre.select_health_centre(
            s, self.clerk, p.id_number, self._centre().code, applicant="employer", on=D, policy=self.policy,
            expected_version=self._version(p.id_number)))
        if state == "ended":
            self.run(lambda s: health_centre.select_health_centre(
                s, self.clerk, p.id_number, self._centre().code, applicant="employer", on=D, policy=self.policy,
            expected_version=self._version(p.id_number)))
        return Ref("health_centre", sel.id, D, (p.id_number,))

    def fire_health_centre(self, event: str, ref: Ref, actor, on: date, today: date | None):
        assert event == "end", event  # fired by selecting another centre
        return self.run(lambda s: health_centre.select_health_centre(
            s, actor, ref.extra[0], self._centre().code, applicant="employer", on=on, policy=self.policy,
            expected_version=self._version(ref.extra[0]), today=today))

    # ------------------------------------------------------------------ cash reimbursement claims
    def reach_claims(self, state: str) -> Ref:
        p = self.enrollee()
        receipt = claims.ReceiptInput(f"RC-{uuid.uuid4().hex[:8]}", self.w.hospital.code, D,
                                      (claims.ItemInput("chemotherapy drugs", 120_000),))
        claim = self.run(lambda s: claims.register_claim(s, self.clerk, p.id, "MD-II-03", [receipt], on=D,
                                                         policy=self.policy))
        if state in ("decided", "approved"):
            self.run(lambda s: claims.decide_claim(s, self.clerk, claim.id, on=D, policy=self.policy))
        if state == "approved":
            self.run(lambda s: claims.approve_claim(s, self.reviewer, claim.id, on=D, policy=self.policy))
        if state == "withdrawn":
            self.run(lambda s: claims.withdraw_claim(s, self.clerk, claim.id, on=D, policy=self.policy,
                                                     reason="duplicate visit"))
        return Ref("claims", claim.id, D)

    def fire_claims(self, event: str, ref: Ref, actor, on: date, today: date | None):
        fn = {"decide": claims.decide_claim, "approve": claims.approve_claim}.get(event)
        if fn is not None:
            return self.run(lambda s: fn(s, actor, ref.id, on=on, policy=self.policy, today=today))
        assert event == "withdraw", event
        return self.run(lambda s: claims.withdraw_claim(s, actor, ref.id, on=on, policy=self.policy, today=today,
                                                        reason="entered by mistake"))

    def _version(self, id_number: str) -> int:
        from core.services.lookup import get_enrollee

        return self.run(lambda s: get_enrollee(s, id_number).version)

    # ------------------------------------------------------------------ dispatch
    def prepare(self, machine: str, event: str, ref: Ref) -> date:
        """What an event needs besides its record's state, done through the
        services; returns the date to take the step on."""
        on = ref.last + timedelta(days=1)
        if (machine, event) == ("investigations", "judge"):  # an explanation on record, when the case takes one
            try:
                self.run(lambda s: inv.record_explanation(s, self.clerk, self.policy, case_id=ref.id, note="receipts",
                                                          on=ref.last))
            except Exception:  # noqa: BLE001 - not every state takes one; the judgement says why
                pass
        elif (machine, event) == ("investigations", "no_show"):  # after the notice deadline
            on = _later(on, self.load(ref).notice_due + timedelta(days=1))
        elif (machine, event) == ("books", "add"):  # a second recognised disease
            e = self._enrollee_by_id(ref.extra[0])
            self.w.extra["other_certificate"] = self._cert("confirmed", enrollee=e, disease="MD-I-02", on=ref.last)
        elif (machine, event) == ("batches", "assemble"):  # another certificate of the month waits
            self._cert("confirmed", on=ref.last)
        return on

    def reach(self, machine: str, state: str) -> Ref:
        return getattr(self, f"reach_{machine}")(state)

    def fire(self, machine: str, event: str, ref: Ref, actor, on: date, today: date | None = TODAY):
        return getattr(self, f"fire_{machine}")(event, ref, actor, on, today)
