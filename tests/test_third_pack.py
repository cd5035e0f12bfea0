"""A third pack runs every workflow with no code change (issue 7, item 8).

``tests/packs/lianchi.toml`` is a made-up county: the ``account_then_pooling``
formula with its own numbers, its own signature rule (two chief physicians of
the team, or the department director; no team head), two off-site
institutions in two copies, a three-year validity, seven working days to
come and explain, and its own article tags (``LC Art. N``, ``LC-R §N``).
Every refusal below must cite the county's tag, never Shenzhen's or Zezhou's.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from certificate_world import refused
from conftest import db_fingerprint
from core.db import read_session, write_session
from core.errors import DomainError
from core.policy import PolicyError, article_tags, load_file, packs_dir
from core.rules.offsite import FilingForm
from core.services import books, eligibility, monitoring, offsite
from core.services import certificates as svc
from core.services import investigations as inv

PACK = Path(__file__).parent / "packs" / "lianchi.toml"
ON = date(2026, 3, 10)
CITY = "Lianchi"
PLACE = "Taiyuan"
FOREIGN = re.compile(r"^(SZ-M[DT]|ZZ) ")


@pytest.fixture(scope="module")
def lc():
    return load_file(PACK)


def assert_county(reasons) -> None:
    """Every reason cites a Lianchi tag."""
    tags = [r.article for r in reasons]
    assert tags and all(t.startswith(("LC Art.", "LC-R §")) for t in tags), tags


def refusal(engine, fn) -> DomainError:
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as exc:
        with write_session(engine) as s:
            fn(s)
    assert db_fingerprint(engine) == before, "a refusal changed the database"
    assert_county(exc.value.reasons)
    return exc.value


class County:
    """A Lianchi diagnostic hospital: an endocrinology team of two chiefs and
    a deputy chief, a department director who is on no team, an attending."""

    def __init__(self, engine, build, lc, clerk, reviewer):
        self.engine, self.build, self.policy, self.clerk, self.reviewer = engine, build, lc, clerk, reviewer
        self.hospital = build.institution(city=CITY)
        self.chief1 = build.physician(self.hospital, title="chief", specialty="endocrinology")
        self.chief2 = build.physician(self.hospital, title="chief", specialty="endocrinology")
        self.deputy = build.physician(self.hospital, title="deputy_chief", specialty="endocrinology")
        self.director = build.physician(self.hospital, title="attending", specialty="endocrinology",
                                        department_director=True)
        self.attending = build.physician(self.hospital, title="attending", specialty="endocrinology")
        build.team(self.hospital, "endocrinology", self.chief1, [self.chief2, self.deputy], since=date(2020, 1, 1))
        self.enrollee = build.enrollee(scheme="comprehensive", residence_city=CITY)

    def run(self, fn):
        with write_session(self.engine) as s:
            return fn(s)

    def draft(self, on=ON, enrollee=None, **kw):
        kw.setdefault("criteria_acknowledged", True)
        return self.run(lambda s: svc.draft_certificate(
            s, self.clerk, policy=self.policy, enrollee_id=(enrollee or self.enrollee).id, disease_code="LC-01",
            institution_id=self.hospital.id, physician_id=self.attending.id, on=on, **kw))

    def sign(self, cert, signers, on=ON):
        return self.run(lambda s: svc.sign_certificate(s, self.clerk, policy=self.policy, number=cert.number,
                                                       signatures=[(p.id, on) for p in signers], on=on))

    def recognise(self, on=ON, enrollee=None):
        cert = self.draft(on, enrollee)
        self.sign(cert, [self.chief1, self.director], on)
        self.run(lambda s: svc.seal_certificate(s, self.clerk, policy=self.policy, number=cert.number,
                                                seal_ref="LC-SEAL", on=on))
        return self.run(lambda s: svc.confirm_certificate(s, self.reviewer, policy=self.policy,
                                                          number=cert.number, on=on))


@pytest.fixture
def county(engine, build, lc, clerk, reviewer):
    return County(engine, build, lc, clerk, reviewer)


# --------------------------------------------------------------------------- the pack


def test_third_pack_loads_and_cites_only_its_own_sources(lc):
    assert lc.id == "lianchi-test" and lc.pack.city == CITY
    assert lc.benefits.formula == "account_then_pooling"
    tags = article_tags(lc)
    assert len(tags) > 25
    assert not [t for _, t in tags if FOREIGN.match(t)]
    assert lc.certificates.signatures.director_may_sign and not lc.certificates.signatures.head_must_sign


def test_third_pack_is_not_shipped(lc):
    assert not (packs_dir() / PACK.name).exists()


def test_a_tag_outside_the_packs_sources_is_refused(tmp_path):
    text = PACK.read_text(encoding="utf-8").replace('article = "LC Art. 9"', 'article = "SZ-MD Art. 5"', 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_file(bad)
    assert "books.article: 'SZ-MD Art. 5' cites 'SZ-MD'" in str(err.value)


@pytest.mark.parametrize("key, old, new, problem", [
    ("benefits.formula", 'formula = "account_then_pooling"', 'formula = "lianchi"', "unknown benefit formula 'lianchi'"),
    ("benefits.params", "cat1_basic_pooling_pct = 75", "cat1_basic_pooling_pct = 175", "cat1_basic_pooling_pct"),
    ("benefits.params", 'article_cat1 = "LC Art. 5"\n', "", "article_cat1: Field required"),
    ("certificates.signatures", "head_must_sign = false", "head_must_sign = true\nteam_list_required_x = 1",
     "team_list_required_x"),
    ("certificates.signatures", "required = 2", "required = 3", "less than or equal to 2"),
    ("certificates.article", 'article = "LC Art. 7"', 'article = "Article seven"', "is not an article tag"),
])
def test_pack_model_names_the_key_and_problem(tmp_path, key, old, new, problem):
    text = PACK.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_file(bad)
    assert any(k.startswith(key.split(".")[0]) and problem in f"{k}: {m}" for k, m in err.value.problems), \
        err.value.problems


def test_head_without_team_list_refused(tmp_path):
    text = PACK.read_text(encoding="utf-8").replace("team_list_required = true", "team_list_required = false", 1)
    text = text.replace("head_must_sign = false", "head_must_sign = true", 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_file(bad)
    assert "head_must_sign needs team_list_required" in str(err.value)


def test_every_machine_event_cites_a_tag_of_every_pack(lc):
    from core.policy import load_pack
    from core.workflows import MACHINES

    for pol in (lc, load_pack("shenzhen-2008"), load_pack("zezhou")):
        for m in MACHINES:
            for e in m.events:
                assert re.match(r"^\S+ (Art\. |§)\d", pol.article(e.article)), (pol.id, m.name, e.name)


# --------------------------------------------------------------------------- certificate chain


def test_lc_art_8_two_chiefs_or_the_director_sign_no_head_needed(county, engine):
    cert = county.draft()
    # a deputy chief is below Lianchi's minimum title; the attending director may sign
    err = refusal(engine, lambda s: svc.sign_certificate(
        s, county.clerk, policy=county.policy, number=cert.number,
        signatures=[(county.chief2.id, ON), (county.deputy.id, ON)], on=ON))
    assert {(r.field, r.article) for r in err.reasons} == {("signer", "LC Art. 8")}
    refusal(engine, lambda s: svc.sign_certificate(s, county.clerk, policy=county.policy, number=cert.number,
                                                   signatures=[(county.chief2.id, ON)], on=ON))
    signed = county.sign(cert, [county.chief2, county.director])  # no head among them: fine here
    assert signed.status == "signed"


def test_lc_art_8_an_attending_who_is_not_director_cannot_sign(county, engine):
    cert = county.draft()
    err = refusal(engine, lambda s: svc.sign_certificate(
        s, county.clerk, policy=county.policy, number=cert.number,
        signatures=[(county.chief1.id, ON), (county.attending.id, ON)], on=ON))
    messages = " ".join(err.messages("en"))
    assert "or the department director" in messages


def test_lc_art_7_certificate_chain_cites_the_county(county, engine, build):
    err = refusal(engine, lambda s: svc.draft_certificate(
        s, county.clerk, policy=county.policy, enrollee_id=county.enrollee.id, disease_code="LC-01",
        institution_id=county.hospital.id, physician_id=county.attending.id, on=ON))
    assert ("criteria_acknowledged", "LC Art. 7") in {(r.field, r.article) for r in err.reasons}
    inpatient = build.enrollee(scheme="inpatient")
    err = refusal(engine, lambda s: svc.draft_certificate(
        s, county.clerk, policy=county.policy, enrollee_id=inpatient.id, disease_code="LC-01",
        institution_id=county.hospital.id, physician_id=county.attending.id, on=ON, criteria_acknowledged=True))
    assert ("scheme", "LC Art. 4") in {(r.field, r.article) for r in err.reasons}
    err = refusal(engine, lambda s: svc.draft_certificate(
        s, county.clerk, policy=county.policy, enrollee_id=county.enrollee.id, disease_code="MD-I-01",
        institution_id=county.hospital.id, physician_id=county.attending.id, on=ON, criteria_acknowledged=True))
    assert err.reasons[0].article == "LC Art. 3"
    cert = county.draft()
    refusal(engine, lambda s: svc.seal_certificate(s, county.clerk, policy=county.policy, number=cert.number,
                                                   seal_ref="X", on=ON))  # not signed yet
    county.sign(cert, [county.chief1, county.chief2])
    refusal(engine, lambda s: svc.seal_certificate(s, county.clerk, policy=county.policy, number=cert.number,
                                                   seal_ref=" ", on=ON))
    county.run(lambda s: svc.seal_certificate(s, county.clerk, policy=county.policy, number=cert.number,
                                              seal_ref="LC-SEAL", on=ON))
    refusal(engine, lambda s: svc.confirm_certificate(s, county.clerk, policy=county.policy,
                                                      number=cert.number, on=ON))  # a clerk does not confirm
    done = county.run(lambda s: svc.confirm_certificate(s, county.reviewer, policy=county.policy,
                                                        number=cert.number, on=ON))
    # LC Art. 15: three years, not Shenzhen's two
    assert (done.valid_from, done.valid_until) == (ON, date(2029, 3, 9))


# --------------------------------------------------------------------------- eligibility and benefits


def test_lc_art_5_eligibility_and_estimate_use_the_county_numbers(county, engine):
    with read_session(engine) as s:
        before = eligibility.check(s, county.enrollee.id_number, "LC-01", on=ON, policy=county.policy)
    assert not before.entitled
    assert_county(before.refusals)
    county.recognise()
    with read_session(engine) as s:
        res = eligibility.check(s, county.enrollee.id_number, "LC-01", on=ON, policy=county.policy,
                                spent_fen=500_000)
    assert res.entitled, [str(r) for r in res.refusals]
    assert_county(res.reasons)
    est = res.what_if
    # LC Art. 5: 4% of the 2025 average wage of 80,000 = 3,200 yuan; 75% above it
    assert est.formula == "account_then_pooling" and est.threshold_fen == 320_000
    assert est.share("basic_pooling") == (500_000 - 320_000) * 75 // 100
    assert_county(est.reasons)


def test_lc_art_10_outside_the_county_not_paid(county, engine, build):
    county.recognise()
    away = build.institution(city=PLACE, diagnostic_hospital=False)
    with read_session(engine) as s:
        res = eligibility.check(s, county.enrollee.id_number, "LC-01", on=ON, policy=county.policy,
                                institution_code=away.code)
    assert not res.entitled
    assert [r.article for r in res.refusals] == ["LC Art. 10"]


# --------------------------------------------------------------------------- record books


def test_lc_art_9_record_book(county, engine):
    cert = county.recognise()
    err = refusal(engine, lambda s: books.issue_book(s, county.clerk, policy=county.policy,
                                                     certificate_number=cert.number, card_presented=False,
                                                     id_card_presented=True, on=ON))
    assert ("card_presented", "LC Art. 9") in {(r.field, r.article) for r in err.reasons}
    book = county.run(lambda s: books.issue_book(s, county.clerk, policy=county.policy,
                                                 certificate_number=cert.number, card_presented=True,
                                                 id_card_presented=True, on=ON))
    refusal(engine, lambda s: books.issue_book(s, county.clerk, policy=county.policy,
                                               certificate_number=cert.number, card_presented=True,
                                               id_card_presented=True, on=ON))  # one book per enrollee
    assert book.status == "active"


# --------------------------------------------------------------------------- off-site filing


def test_lc_art_14_two_institutions_in_two_copies(county, engine, build):
    e = build.enrollee(city_household=True, stationed_elsewhere=True, employer="Lianchi Mill",
                       residence_city=PLACE)
    insts = [build.institution(city=PLACE, level=2, designated=True, diagnostic_hospital=False) for _ in range(3)]
    codes = tuple(i.code for i in insts)

    def form(n: int, copies: int) -> FilingForm:
        return FilingForm(place_city=PLACE, institution_codes=codes[:n], stamped_codes=frozenset(codes),
                          form_copies=copies, local_ss_stamp=True, filed_by="self")

    err = refusal(engine, lambda s: offsite.file_filing(s, county.clerk, e.id, form(3, 3), on=ON,
                                                        policy=county.policy))
    assert {("institutions", "LC Art. 14"), ("form_copies", "LC Art. 14")} <= {(r.field, r.article) for r in err.reasons}
    f = county.run(lambda s: offsite.file_filing(s, county.clerk, e.id, form(2, 2), on=ON, policy=county.policy))
    assert f.status == "active"
    err = refusal(engine, lambda s: offsite.cancel_filing(s, county.clerk, f.id, on=ON, reason="  ",
                                                          policy=county.policy))
    assert ("reason", "LC Art. 13") in {(r.field, r.article) for r in err.reasons}


# --------------------------------------------------------------------------- investigations


def test_lc_art_17_investigation_deadlines_and_tags(county, engine, build):
    p = build.enrollee(residence_city=CITY)
    flag = county.run(lambda s: monitoring.record_manual_trigger(
        s, county.clerk, county.policy, enrollee_id=p.id, trigger="L03-reported", detail="reported", on=ON))
    case = county.run(lambda s: inv.send_notice_for_flag(s, county.clerk, county.policy, flag_id=flag.id, on=ON))
    assert case.notice_due == date(2026, 3, 19)  # seven working days, not ten
    flag2 = county.run(lambda s: monitoring.record_manual_trigger(
        s, county.clerk, county.policy, enrollee_id=p.id, trigger="L03-reported", detail="again", on=ON))
    err = refusal(engine, lambda s: inv.send_notice_for_flag(s, county.clerk, county.policy, flag_id=flag2.id,
                                                             on=ON))
    assert (err.field, err.article) == ("trigger", "LC Art. 17")
    err = refusal(engine, lambda s: inv.record_no_show(s, county.reviewer, county.policy, case_id=case.id, on=ON))
    assert err.article == "LC Art. 17"
    err = refusal(engine, lambda s: inv.record_no_show(s, county.clerk, county.policy, case_id=case.id,
                                                       on=case.notice_due + timedelta(days=1)))
    assert err.field == "role"  # the machine's role refusal cites the county too
    county.run(lambda s: inv.record_no_show(s, county.reviewer, county.policy, case_id=case.id,
                                            on=case.notice_due + timedelta(days=1)))
    err = refusal(engine, lambda s: inv.resume(s, county.reviewer, county.policy, case_id=case.id,
                                               on=case.notice_due + timedelta(days=2)))
    assert err.article == "LC Art. 18"
