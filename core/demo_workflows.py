"""Walk demo enrollees through every workflow with the real services, so each
screen has something to show: certificates at every step (draft, signed,
sealed, confirmed, in the renewal window, renewed, expired, invalidated,
withdrawn, replaced), record books (issued, second disease, renewed,
replaced), monthly batches (received and waiting), off-site filings (active,
cancelled, cancelled by a return home), health-centre selections,
investigations at every stage, and facts that changed from a date (scheme,
retirement with a city pension, disabled grade, a physician's title, an
institution's designation) and hospital stays (issue 13).

Every step goes through the same service a caseworker's key press calls, so
the demo also exercises the rules; a step the rules refuse is a bug in the
demo and raises.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.auth import Actor
from core.db import write_session
from core.models import Enrollee, Institution, Physician
from core.policy import Policy
from core.rules.offsite import FilingForm
from core.services import books, certificates, changes, health_centre, offsite, replacements, stays


def _demo_actors() -> tuple[Actor, Actor, Actor]:
    from core.demo import DEMO_ADMIN, DEMO_CLERK, DEMO_REVIEWER

    return DEMO_CLERK, DEMO_REVIEWER, DEMO_ADMIN


class _Walker:
    def __init__(self, engine: Engine, policy: Policy, rng: random.Random, today: date):
        self.engine, self.policy, self.rng, self.today = engine, policy, rng, today
        self.clerk, self.reviewer, self.admin = _demo_actors()
        self.counts: dict[str, int] = {}
        with Session(engine) as s:
            self.hospitals = list(s.exec(select(Institution).where(Institution.diagnostic_hospital == True)  # noqa: E712
                                         .order_by(Institution.code)))
            self.physicians = {p.code: p for p in s.exec(select(Physician))}
            self.people = list(s.exec(select(Enrollee).order_by(Enrollee.card_number)))

    def run(self, fn: Callable[[Session], Any]) -> Any:
        with write_session(self.engine) as s:
            return fn(s)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # ------------------------------------------------------------------ certificates
    def _doctors(self, hospital: Institution, specialty: str) -> tuple[Physician, Physician, Physician]:
        tag = specialty[:4].upper()
        p = self.physicians
        return (p[f"{hospital.code}-{tag}-4"], p[f"{hospital.code}-{tag}-1"], p[f"{hospital.code}-{tag}-2"])

    def certificate(self, e: Enrollee, code: str, start: date, upto: str = "confirmed", *,
                    hospital: Institution | None = None, organ: str | None = None,
                    renewal_of: str | None = None, continuation: bool = False) -> str:
        """Take a certificate through the steps up to ``upto``; returns its number."""
        disease = self.policy.disease(code)
        assert disease is not None
        hospital = hospital or self.rng.choice(self.hospitals)
        attending, head, member = self._doctors(hospital, disease.specialty)
        cont = dict(cont_recent_record=True, cont_original_papers=True, cont_originals_seen=True,
                    cont_copies_kept=True) if continuation else {}
        cert = self.run(lambda s: certificates.draft_certificate(
            s, self.clerk, policy=self.policy, enrollee_id=e.id, disease_code=code, institution_id=hospital.id,
            physician_id=attending.id, on=start, organ=organ, criteria_acknowledged=True,
            continuation=continuation, renewal_of=renewal_of, reason="demo", **cont))
        number = cert.number
        if upto == "draft":
            return number
        day = start + timedelta(days=1)
        self.run(lambda s: certificates.sign_certificate(s, self.clerk, policy=self.policy, number=number,
                                                         signatures=[(head.id, day), (member.id, day)][
                                                             :self.policy.certificates.signatures.required],
                                                         on=day))
        if upto == "signed":
            return number
        day += timedelta(days=1)
        self.run(lambda s: certificates.seal_certificate(s, self.clerk, policy=self.policy, number=number, seal_ref=f"SEAL-{hospital.code}",
                                                         on=day))
        if upto == "sealed":
            return number
        day += timedelta(days=2)
        self.run(lambda s: certificates.confirm_certificate(s, self.reviewer, policy=self.policy, number=number, on=day))
        return number

    # ------------------------------------------------------------------ the walk
    def walk(self) -> dict[str, int]:
        today, rng = self.today, self.rng
        comp = [e for e in self.people if e.scheme == "comprehensive"]
        other = [e for e in self.people if e.scheme != "comprehensive"]
        cat1 = [d.code for d in self.policy.diseases if d.category == 1]
        cat2 = {d.therapy: d.code for d in self.policy.diseases if d.category == 2}
        years = self.policy.validity.category_1_years or 2

        # confirmed Category I certificates at spread-out ages, most with a record book
        confirmed: list[tuple[Enrollee, str]] = []
        for i, e in enumerate(comp[:90]):
            age_days = rng.randint(20, 365 * years - 5)
            if i % 9 == 0:  # in the renewal window now
                age_days = 365 * years - rng.randint(10, 80)
            start = today - timedelta(days=age_days)
            number = self.certificate(e, rng.choice(cat1), start, continuation=(i % 5 == 0))
            confirmed.append((e, number))
            self.bump("certificates confirmed")
        for e, number in confirmed[:75]:
            self.run(lambda s: books.issue_book(s, self.clerk, policy=self.policy, certificate_number=number,
                                                card_presented=True, id_card_presented=True,
                                                on=self._after_confirm(s, number)))
            self.bump("record books")
        # a second disease added to an existing book
        for e, number in confirmed[:6]:
            start = today - timedelta(days=rng.randint(15, 60))
            used = self._codes_of(e)
            code2 = next(c for c in cat1 if c not in used)
            n2 = self.certificate(e, code2, start)
            book = self.run(lambda s: books.active_book(s, e.id))
            self.run(lambda s: books.add_to_book(s, self.clerk, policy=self.policy, book_number=book.number, certificate_number=n2,
                                                 card_presented=True, id_card_presented=True, on=today - timedelta(days=1)))
            self.bump("second diseases in a book")
        # renewals: two of those in the window re-applied, one confirmed without a gap
        in_window = [(e, n) for i, (e, n) in enumerate(confirmed) if i % 9 == 0]
        for k, (e, number) in enumerate(in_window[:2]):
            old = self.run(lambda s: certificates.find_certificate(s, number))
            self.certificate(e, old.disease_code, today - timedelta(days=6), upto="confirmed" if k == 0 else "sealed",
                             renewal_of=number)
            self.bump("renewals")
        # expired: recognised long ago and never renewed
        for e in comp[90:95]:
            self.certificate(e, rng.choice(cat1), today - timedelta(days=365 * years + rng.randint(30, 200)))
            self.bump("certificates expired")
        # in progress at each step, and the two ends of a certificate's life
        pipeline = comp[95:111]
        for k, e in enumerate(pipeline):
            upto = ("draft", "signed", "sealed")[k % 3]
            self.certificate(e, rng.choice(cat1), today - timedelta(days=rng.randint(4, 20)), upto=upto)
            self.bump(f"certificates {upto}")
        for e in comp[111:113]:
            n = self.certificate(e, rng.choice(cat1), today - timedelta(days=200))
            self.run(lambda s: certificates.invalidate_certificate(
                s, self.reviewer, policy=self.policy, number=n, on=today - timedelta(days=30),
                reason="false claim: diagnosis papers did not belong to the enrollee (demo)"))
            self.bump("certificates invalidated")
        for e in comp[113:115]:
            n = self.certificate(e, rng.choice(cat1), today - timedelta(days=40), upto="draft")
            self.run(lambda s: certificates.withdraw_certificate(s, self.clerk, policy=self.policy, number=n, on=today - timedelta(days=35),
                                                                 reason="enrollee withdrew the application (demo)"))
            self.bump("certificates withdrawn")
        # Category II for inpatient and migrant enrollees
        for k, e in enumerate(other[:24]):
            therapy = ("dialysis", "tumour", "transplant")[k % 3]
            organ = None
            if therapy == "transplant":
                organ = "kidney" if k % 2 else "cornea"
            self.certificate(e, cat2[therapy], today - timedelta(days=rng.randint(30, 500)), organ=organ)
            self.bump("category II certificates")
        # replacements: a lost book and a lost certificate, one archived
        for e, number in confirmed[10:12]:
            book = self.run(lambda s: books.active_book(s, e.id))
            rep_on = today - timedelta(days=3)
            self.run(lambda s: replacements.replace_book(s, self.clerk, policy=self.policy, book_number=book.number, place="agency",
                                                         card_presented=True, id_card_presented=True, on=rep_on,
                                                         reason="reported lost at the counter (demo)"))
            self.bump("books replaced")
        for e, number in confirmed[12:14]:
            cert = self.run(lambda s: certificates.find_certificate(s, number))
            self.run(lambda s: replacements.replace_certificate(
                s, self.clerk, policy=self.policy, number=number, place="hospital", institution_id=cert.institution_id,
                card_presented=True, id_card_presented=True, on=today - timedelta(days=2),
                reason="certificate lost (demo)"))
            self.bump("certificates replaced")
        reps = self.run(lambda s: replacements.replacements_of(s, confirmed[10][0].id))
        if reps:
            self.run(lambda s: replacements.archive_replacement(s, self.clerk, policy=self.policy, replacement_id=reps[0].id,
                                                                on=today - timedelta(days=1)))
            self.bump("replacements archived")
        self._batches()
        self._offsite(comp)
        self._health_centres(other)
        self._investigations()
        self._claims()
        self._life(comp, other)
        return self.counts

    def _life(self, comp: list[Enrollee], other: list[Enrollee]) -> None:
        """Facts that changed from a date and hospital stays (issue 13), after
        every workflow so that each step above was judged on the facts of its day."""
        today, pol = self.today, self.policy
        spare = [e for e in comp[-8:] if e.employment == "employed"]
        if spare:
            e = spare[0]
            self.run(lambda s: changes.change_enrollee(s, self.clerk, e.id, {"scheme": "inpatient"},
                                                       on=today - timedelta(days=60), policy=pol, today=today,
                                                       reason="employer moved the contract to inpatient insurance (demo)"))
            self.bump("scheme changes")
        if len(spare) > 1:
            e = spare[1]
            self.run(lambda s: changes.retire(s, self.clerk, e.id, city_pension=True, on=today - timedelta(days=30),
                                              policy=pol, today=today, reason="monthly pension granted (demo)"))
            self.bump("retired with a city pension")
        if len(spare) > 2:
            e = spare[2]
            self.run(lambda s: changes.change_enrollee(
                s, self.clerk, e.id, {"disabled_grade": str(pol.enrolment.disabled_grade_max - 2)},
                on=today - timedelta(days=200), policy=pol, today=today, reason="disabled serviceman papers (demo)"))
            self.bump("disabled-serviceman grades")
        stayers = [e for e in comp[20:24]]
        for k, e in enumerate(stayers[:2]):
            hosp = self.hospitals[k % len(self.hospitals)]
            if k == 0:  # in hospital now
                self.run(lambda s: stays.admit(s, self.clerk, e.id, on=today - timedelta(days=3), policy=pol,
                                               institution_code=hosp.code, reason="admitted to ward 3 (demo)",
                                               today=today))
                self.bump("in hospital now")
            else:
                self.run(lambda s: stays.admit(s, self.clerk, e.id, on=today - timedelta(days=40), policy=pol,
                                               institution_code=hosp.code, reason="demo", today=today))
                self.run(lambda s: stays.discharge(s, self.clerk, e.id, on=today - timedelta(days=30), policy=pol,
                                                   reason="discharged home (demo)", today=today))
                self.bump("hospital stays over")
        hosp = self.hospitals[0]
        attending = next((p for code, p in sorted(self.physicians.items())
                          if p.institution_id == hosp.id and p.title == "attending"), None)
        if attending is not None:
            self.run(lambda s: changes.change_physician(s, self.clerk, attending.code, {"title": "deputy_chief"},
                                                        on=today - timedelta(days=15), policy=pol, today=today,
                                                        reason="promoted (demo)"))
            self.bump("physician title changes")
        with Session(self.engine) as s:
            # one nobody files or is treated at (outside the mainland): its history shows, nothing else moves
            clinic = s.exec(select(Institution).where(Institution.designated == True,  # noqa: E712
                                                      Institution.mainland == False)  # noqa: E712
                            .order_by(Institution.code)).first()
        if clinic is not None:
            self.run(lambda s: changes.change_institution(s, self.clerk, clinic.code, {"designated": "no"},
                                                          on=today - timedelta(days=5), policy=pol, today=today,
                                                          reason="designation withdrawn by the agency (demo)"))
            self.bump("institutions de-designated")

    def _after_confirm(self, s: Session, number: str) -> date:
        cert = certificates.find_certificate(s, number)
        return min(self.today, (cert.confirmed_on or self.today) + timedelta(days=1))

    def _codes_of(self, e: Enrollee) -> set[str]:
        with Session(self.engine) as s:
            return {c.disease_code for c in certificates.enrollee_certificates(s, e.id)}

    def _batches(self) -> None:
        today = self.today
        this_month = today.replace(day=1)
        months = []
        m = this_month
        for _ in range(36):  # every month back to the oldest demo certificate
            m = (m - timedelta(days=1)).replace(day=1)
            months.append(m.strftime("%Y-%m"))
        for hosp in self.hospitals:
            for k, month in enumerate(months):
                cands = self.run(lambda s: certificates.batch_candidates(s, hosp.id, month))
                if not cands:
                    continue
                self.run(lambda s: certificates.assemble_batch(s, self.clerk, policy=self.policy, institution_id=hosp.id, month=month,
                                                               on=today - timedelta(days=1)))
                self.bump("monthly batches")
                if k >= 1 or hosp is not self.hospitals[0]:  # one hospital's last month still waiting
                    self.run(lambda s: certificates.receive_batch(s, self.clerk, policy=self.policy, institution_id=hosp.id, month=month,
                                                                  on=today))
                    self.bump("monthly batches received")

    def _offsite(self, comp: list[Enrollee]) -> None:
        today = self.today
        city = self.policy.pack.city
        away = [e for e in comp if e.residence_city and e.residence_city != city]
        for k, e in enumerate(away[:8]):
            cands = self.run(lambda s: offsite.candidate_institutions(s, e.residence_city, policy=self.policy))
            codes = tuple(i.code for i in cands[:3])
            if len(codes) < 3:
                continue
            form = FilingForm(place_city=e.residence_city, place_province=e.residence_province, institution_codes=codes,
                              stamped_codes=frozenset(codes), form_copies=self.policy.offsite.form_copies,
                              local_ss_stamp=True, local_ss_office=f"{e.residence_city} Social Security Bureau",
                              filed_by="self" if k % 3 else "agent",
                              agent_name="" if k % 3 else "Zhang Wei", agent_id_number="" if k % 3 else "110101198001010053",
                              agent_phone="" if k % 3 else "13800000000", agent_relation="" if k % 3 else "son")
            filing = self.run(lambda s: offsite.file_filing(s, self.clerk, e.id, form, on=today - timedelta(days=90 - k),
                                                            policy=self.policy, reason="demo"))
            self.bump("off-site filings")
            if k == 6:  # back in the city: the return cancels the filing (SZ-MT Art. 9(3))
                self.run(lambda s: changes.return_home(s, self.clerk, e.id, on=today - timedelta(days=5),
                                                       reason="returned to work at head office (demo)",
                                                       policy=self.policy, today=today))
                self.bump("returned home, filing cancelled")
            if k == 7:
                self.run(lambda s: offsite.cancel_filing(s, self.clerk, filing.id, policy=self.policy, on=today - timedelta(days=10),
                                                         reason="returned to Shenzhen to settle (demo)"))
                self.bump("off-site filings cancelled")

    def _health_centres(self, other: list[Enrollee]) -> None:
        centres = self.run(lambda s: health_centre.candidate_centres(s, policy=self.policy))
        for k, e in enumerate(other[:40]):
            applicant = "employer" if e.employment == "employed" or e.scheme == "migrant" else "self"
            employer = e.employer or "Shenzhen Labour Services Co."
            self.run(lambda s: health_centre.select_health_centre(
                s, self.clerk, e.id, centres[k % len(centres)].code, applicant=applicant,
                applicant_name=employer if applicant == "employer" else "", on=self.today - timedelta(days=100 - k),
                policy=self.policy, reason="demo",
                expected_version=s.get(Enrollee, e.id).version))  # the demo acts alone: read where it writes
            self.bump("health centre selections")

    def _investigations(self) -> None:
        from core import demo_investigations

        demo_investigations.walk(self)


    def _claims(self) -> None:
        from core import demo_claims

        demo_claims.walk(self)


def fill_workflows(engine: Engine, policy: Policy, rng: random.Random, today: date) -> dict[str, int]:
    return _Walker(engine, policy, rng, today).walk()
