"""Off-site filing of three institutions (SZ-MT Art. 9, 10; SZ-MD Art. 5).

Every refusal is checked to leave the database unchanged (db_fingerprint).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.errors import DomainError
from core.models import AuditEvent, FilingInstitution, OffsiteFiling
from core.services import offsite
from core.services.offsite import FilingForm
from tests.conftest import db_fingerprint, make_id_number

ON = date(2026, 3, 10)
PLACE = "Wuhan"


@pytest.fixture
def stationed(build):
    return build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed",
                          employer="Shenzhen Metro Co.", residence_city=PLACE)


@pytest.fixture
def wuhan(build):
    """Four eligible institutions in the place."""
    return [build.institution(city=PLACE, level=lvl, public=True, designated=True, kind=kind)
            for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"), (2, "clinic"))]


def form(insts, **kw) -> FilingForm:
    codes = tuple(i.code if hasattr(i, "code") else i for i in insts)
    base = dict(place_city=PLACE, institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                local_ss_stamp=True, filed_by="self")
    base.update(kw)
    return FilingForm(**base)


def file(engine, actor, enrollee, f: FilingForm, policy, on: date = ON, **kw):
    with write_session(engine) as s:
        return offsite.file_filing(s, actor, enrollee.id, f, on=on, policy=policy, **kw)


def refused(engine, fn, *, field: str, article: str) -> DomainError:
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as exc:
        fn()
    assert db_fingerprint(engine) == before, "a refusal changed the database"
    fields = {(r.field, r.article) for r in exc.value.reasons}
    assert (field, article) in fields, fields
    return exc.value


def audit_events(engine, action: str) -> list[dict]:
    with read_session(engine) as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == action))
        return [{"article": r.article, "after": json.loads(r.after), "reason": r.reason} for r in rows]


# --------------------------------------------------------------------------- accepted


def test_sz_mt_art_10_three_institutions_filed_voucher_issued(engine, clerk, policy, stationed, wuhan):
    f = file(engine, clerk, stationed, form(wuhan[:3]), policy)
    assert f.status == "active" and f.filed_on == ON and f.basis == "stationed"
    assert f.voucher_number and f.voucher_number.startswith("OF2026-")
    with read_session(engine) as s:
        rows = list(s.exec(select(FilingInstitution).where(FilingInstitution.filing_id == f.id)
                           .order_by(FilingInstitution.position)))
        assert [(r.position, r.institution_id) for r in rows] == [(i + 1, wuhan[i].id) for i in range(3)]
        assert [i.code for i in offsite.filed_institutions(s, f.id)] == [i.code for i in wuhan[:3]]
    events = audit_events(engine, "offsite.file")
    assert len(events) == 1 and events[0]["article"] == "SZ-MT Art. 10"
    assert [i.code for i in wuhan[:3]] == events[0]["after"]["institutions"]


def test_sz_mt_art_9_retiree_drawing_city_pension_may_file(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=False, employment="retired_city_pension")
    f = file(engine, clerk, e, form(wuhan[:3]), policy)
    assert f.basis == "retired"


def test_sz_mt_art_10_vouchers_are_unique(engine, clerk, policy, build, wuhan):
    a = build.enrollee(city_household=True, stationed_elsewhere=True)
    b = build.enrollee(city_household=True, stationed_elsewhere=True)
    va = file(engine, clerk, a, form(wuhan[:3]), policy).voucher_number
    vb = file(engine, clerk, b, form(wuhan[:3]), policy).voucher_number
    assert va != vb
    c = build.enrollee(city_household=True, stationed_elsewhere=True)
    refused(engine, lambda: file(engine, clerk, c, form(wuhan[:3]), policy, voucher_number=va),
            field="voucher_number", article="SZ-MT Art. 10")


def test_sz_mt_art_10_township_level_accepted_unrated_refused(engine, clerk, policy, stationed, build, wuhan):
    unrated = build.institution(city=PLACE, level=0)
    refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], unrated]), policy),
            field="institutions", article="SZ-MT Art. 10")
    assert wuhan[2].level == 1
    file(engine, clerk, stationed, form(wuhan[:3]), policy)


# --------------------------------------------------------------------------- who and where


def test_sz_mt_art_9_non_household_non_retiree_refused(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=False, stationed_elsewhere=True, employment="employed")
    refused(engine, lambda: file(engine, clerk, e, form(wuhan[:3]), policy), field="enrollee", article="SZ-MT Art. 9")


def test_sz_mt_art_9_household_not_stationed_refused(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=True, stationed_elsewhere=False, employment="employed")
    refused(engine, lambda: file(engine, clerk, e, form(wuhan[:3]), policy), field="enrollee", article="SZ-MT Art. 9")


def test_sz_mt_art_9_retiree_without_city_pension_refused(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=False, employment="retired_other")
    refused(engine, lambda: file(engine, clerk, e, form(wuhan[:3], basis="retired"), policy),
            field="enrollee", article="SZ-MT Art. 9")


def test_sz_md_art_5_hong_kong_place_refused(engine, clerk, policy, stationed, build):
    hk = [build.institution(city="Hong Kong", mainland=False, level=3) for _ in range(3)]
    err = refused(engine, lambda: file(engine, clerk, stationed, form(hk, place_city="Hong Kong", place_mainland=False), policy),
                  field="place_mainland", article="SZ-MD Art. 5")
    assert "Hong Kong" in err.reasons[[r.field for r in err.reasons].index("place_mainland")].message("en")


def test_sz_mt_art_9_place_must_be_another_city(engine, clerk, policy, stationed, build):
    sz = [build.institution(city="Shenzhen", level=3) for _ in range(3)]
    refused(engine, lambda: file(engine, clerk, stationed, form(sz, place_city="Shenzhen"), policy),
            field="place_city", article="SZ-MT Art. 9")


# --------------------------------------------------------------------------- institutions


def test_sz_mt_art_10_fourth_institution_refused(engine, clerk, policy, stationed, wuhan):
    err = refused(engine, lambda: file(engine, clerk, stationed, form(wuhan), policy),
                  field="institutions", article="SZ-MT Art. 10")
    assert "exactly 3" in err.reasons[0].message("en")


def test_sz_mt_art_10_two_institutions_refused(engine, clerk, policy, stationed, wuhan):
    refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[:2]), policy),
            field="institutions", article="SZ-MT Art. 10")


def test_sz_mt_art_10_duplicate_institution_refused(engine, clerk, policy, stationed, wuhan):
    err = refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], wuhan[0]]), policy),
                  field="institutions", article="SZ-MT Art. 10")
    assert any("twice" in r.message("en") for r in err.reasons)


def test_sz_mt_art_10_private_institution_refused(engine, clerk, policy, stationed, build, wuhan):
    private = build.institution(city=PLACE, level=3, public=False)
    err = refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], private]), policy),
                  field="institutions", article="SZ-MT Art. 10")
    assert any(private.code in r.message("en") and "public" in r.message("en") for r in err.reasons)


def test_sz_mt_art_10_institution_in_another_city_refused(engine, clerk, policy, stationed, build, wuhan):
    elsewhere = build.institution(city="Changsha", level=3)
    err = refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], elsewhere, wuhan[1]]), policy),
                  field="institutions", article="SZ-MT Art. 10")
    assert any("Changsha" in r.message("en") for r in err.reasons)


def test_sz_mt_art_9_undesignated_institution_refused(engine, clerk, policy, stationed, build, wuhan):
    undesignated = build.institution(city=PLACE, level=3, designated=False)
    refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], undesignated]), policy),
            field="institutions", article="SZ-MT Art. 9")


def test_sz_mt_art_10_pharmacy_refused(engine, clerk, policy, stationed, build, wuhan):
    pharmacy = build.institution(city=PLACE, level=1, kind="pharmacy")
    refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], pharmacy]), policy),
            field="institutions", article="SZ-MT Art. 10")


def test_sz_mt_art_10_unknown_institution_refused(engine, clerk, policy, stationed, wuhan):
    refused(engine, lambda: file(engine, clerk, stationed, form([wuhan[0], wuhan[1], "NOPE"]), policy),
            field="institutions", article="SZ-MT Art. 10")


def test_sz_mt_art_10_every_refusal_gathered(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=False, employment="employed")
    private = build.institution(city=PLACE, level=3, public=False)
    f = form([wuhan[0], private], form_copies=2, local_ss_stamp=False, stamped_codes=frozenset())
    err = refused(engine, lambda: file(engine, clerk, e, f, policy), field="enrollee", article="SZ-MT Art. 9")
    assert {r.field for r in err.reasons} >= {"enrollee", "institutions", "stamps", "form_copies", "local_ss_stamp"}


# --------------------------------------------------------------------------- the form


def test_sz_mt_art_10_each_institution_stamps(engine, clerk, policy, stationed, wuhan):
    f = form(wuhan[:3], stamped_codes=frozenset({wuhan[0].code, wuhan[1].code}))
    err = refused(engine, lambda: file(engine, clerk, stationed, f, policy), field="stamps", article="SZ-MT Art. 10")
    assert wuhan[2].code in err.reasons[0].message("en")


def test_sz_mt_art_10_local_social_security_stamp_required(engine, clerk, policy, stationed, wuhan):
    refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[:3], local_ss_stamp=False), policy),
            field="local_ss_stamp", article="SZ-MT Art. 10")


@pytest.mark.parametrize("copies", [2, 4])
def test_sz_mt_art_10_form_in_triplicate(engine, clerk, policy, stationed, wuhan, copies):
    refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[:3], form_copies=copies), policy),
            field="form_copies", article="SZ-MT Art. 10")


def test_sz_mt_art_10_employer_files_named(engine, clerk, policy, build, wuhan):
    e = build.enrollee(city_household=True, stationed_elsewhere=True, employer="")
    refused(engine, lambda: file(engine, clerk, e, form(wuhan[:3], filed_by="employer"), policy),
            field="employer_name", article="SZ-MT Art. 10")
    f = file(engine, clerk, e, form(wuhan[:3], filed_by="employer", employer_name="Shenzhen Metro Co."), policy)
    assert f.filed_by == "employer" and f.employer_name == "Shenzhen Metro Co."


@pytest.mark.parametrize("missing", ["agent_name", "agent_id_number", "agent_phone"])
def test_sz_mt_art_10_agent_needs_name_id_and_phone(engine, clerk, policy, stationed, wuhan, missing):
    agent = dict(agent_name="Li Si", agent_id_number=make_id_number(), agent_phone="13800138000")
    agent[missing] = ""
    refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[:3], filed_by="agent", **agent), policy),
            field=missing, article="SZ-MT Art. 10")


def test_sz_mt_art_10_agent_id_number_check_digit(engine, clerk, policy, stationed, wuhan):
    good = make_id_number()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    agent = dict(agent_name="Li Si", agent_id_number=bad, agent_phone="13800138000")
    refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[:3], filed_by="agent", **agent), policy),
            field="agent_id_number", article="SZ-MT Art. 10")
    f = file(engine, clerk, stationed, form(wuhan[:3], filed_by="agent", **{**agent, "agent_id_number": good}), policy)
    assert f.agent_id_number == good and f.agent_phone == "13800138000"


# --------------------------------------------------------------------------- one active filing, cancellation


def test_sz_mt_art_9_second_active_filing_refused(engine, clerk, policy, stationed, wuhan):
    first = file(engine, clerk, stationed, form(wuhan[:3]), policy)
    err = refused(engine, lambda: file(engine, clerk, stationed, form(wuhan[1:]), policy, on=date(2026, 4, 1)),
                  field="enrollee", article="SZ-MT Art. 9")
    assert first.voucher_number in err.reasons[0].message("en")


def test_sz_mt_art_9_cancellation_requires_reason(engine, clerk, policy, stationed, wuhan):
    f = file(engine, clerk, stationed, form(wuhan[:3]), policy)

    def cancel(reason: str, on: date = date(2026, 6, 1)):
        with write_session(engine) as s:
            return offsite.cancel_filing(s, clerk, f.id, on=on, reason=reason, policy=policy)

    refused(engine, lambda: cancel("   "), field="reason", article="SZ-MT Art. 9")
    refused(engine, lambda: cancel("returned", on=date(2026, 3, 9)), field="on", article="SZ-MT Art. 9")
    done = cancel("returned to work in Shenzhen")
    assert done.status == "cancelled" and done.cancelled_on == date(2026, 6, 1)
    assert done.cancel_reason == "returned to work in Shenzhen" and done.cancelled_by == clerk.username
    [ev] = audit_events(engine, "offsite.cancel")
    assert ev["reason"] == "returned to work in Shenzhen" and ev["article"] == "SZ-MT Art. 9"
    refused(engine, lambda: cancel("again"), field="status", article="SZ-MT Art. 9")
    # after cancelling, a new filing is accepted
    file(engine, clerk, stationed, form(wuhan[1:]), policy, on=date(2026, 7, 1))


def test_cancel_by_voucher_and_stale_version(engine, clerk, policy, stationed, wuhan):
    from core.errors import StaleRecord

    f = file(engine, clerk, stationed, form(wuhan[:3]), policy)
    with pytest.raises(StaleRecord):
        with write_session(engine) as s:
            offsite.cancel_filing(s, clerk, f.voucher_number, on=ON, reason="back", policy=policy, expected_version=f.version + 1)
    with write_session(engine) as s:
        assert offsite.cancel_filing(s, clerk, f.voucher_number, on=ON, reason="back", policy=policy,
                                     expected_version=f.version).status == "cancelled"


def test_sz_mt_art_9_change_institutions_cancels_and_refiles(engine, clerk, policy, stationed, wuhan):
    old = file(engine, clerk, stationed, form(wuhan[:3]), policy)
    n_before = len(audit_events(engine, "offsite.file")) + len(audit_events(engine, "offsite.cancel"))
    new_codes = [wuhan[3].code, wuhan[0].code, wuhan[1].code]
    with write_session(engine) as s:
        new = offsite.change_institutions(s, clerk, old.id, institutions=new_codes, stamped=new_codes,
                                          local_ss_stamp=True, form_copies=3, on=date(2026, 5, 1),
                                          reason="moved house", policy=policy)
    with read_session(engine) as s:
        old_now = s.get(OffsiteFiling, old.id)
        assert old_now.status == "cancelled" and old_now.cancelled_on == date(2026, 5, 1)
        new_now = s.get(OffsiteFiling, new.id)
        assert new_now.status == "active" and new_now.filed_on == date(2026, 5, 1)
        assert new_now.voucher_number != old.voucher_number
        assert [i.code for i in offsite.filed_institutions(s, new.id)] == new_codes
        assert offsite.active_filing(s, stationed.id).id == new.id
    n_after = len(audit_events(engine, "offsite.file")) + len(audit_events(engine, "offsite.cancel"))
    assert n_after - n_before == 2


def test_sz_mt_art_10_change_institutions_refused_changes_nothing(engine, clerk, policy, stationed, build, wuhan):
    old = file(engine, clerk, stationed, form(wuhan[:3]), policy)
    private = build.institution(city=PLACE, level=3, public=False)
    codes = [wuhan[0].code, wuhan[1].code, private.code]

    def change(reason="moved"):
        with write_session(engine) as s:
            offsite.change_institutions(s, clerk, old.id, institutions=codes, stamped=codes, local_ss_stamp=True,
                                        form_copies=3, on=date(2026, 5, 1), reason=reason, policy=policy)

    refused(engine, change, field="institutions", article="SZ-MT Art. 10")
    refused(engine, lambda: change(reason=""), field="reason", article="SZ-MT Art. 9")


# --------------------------------------------------------------------------- picker


def test_candidate_institutions(engine, policy, build, wuhan):
    build.institution(city=PLACE, level=3, public=False, name="Private Wuhan")
    build.institution(city=PLACE, level=0, name="Unrated Wuhan")
    build.institution(city=PLACE, level=3, designated=False, name="Undesignated Wuhan")
    build.institution(city=PLACE, level=3, kind="pharmacy", name="Pharmacy Wuhan")
    build.institution(city=PLACE, level=3, active=False, name="Closed Wuhan")
    build.institution(city="Changsha", level=3)
    with read_session(engine) as s:
        found = offsite.candidate_institutions(s, PLACE, policy=policy)
        assert {i.code for i in found} == {i.code for i in wuhan}
        assert found[0].level == 3
        narrowed = offsite.candidate_institutions(s, "wuhan", wuhan[1].code.lower(), policy=policy)
        assert [i.code for i in narrowed] == [wuhan[1].code]
        assert len(offsite.candidate_institutions(s, PLACE, limit=2, policy=policy)) == 2


def test_form_of_round_trips(engine, clerk, policy, stationed, wuhan):
    f = file(engine, clerk, stationed, form(wuhan[:3], local_ss_office="Wuhan SSB"), policy)
    with read_session(engine) as s:
        again = offsite.form_of(s, s.get(OffsiteFiling, f.id))
    assert again == replace(form(wuhan[:3], local_ss_office="Wuhan SSB"), basis="stationed")


# --------------------------------------------------------------------------- CLI


def test_cli_offsite_file_show_cancel(engine, db_path, clerk, policy, stationed, wuhan, tmp_path, monkeypatch, me):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("CASEDESK_DB", str(db_path))
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, ["--lang", "en", "--policy", "shenzhen-2008", "offsite", *args])

    inst_args = [a for i in wuhan[:3] for a in ("--institution", i.code)]
    base = ["file", stationed.id_number, "--place", PLACE, *inst_args, "--copies", "3", "--local-stamp",
            "--filed-by", "self", "--on", "2026-03-10"]
    before = db_fingerprint(engine)
    res = run(*base)  # no stamps given
    assert res.exit_code == 1 and "stamps:" in res.output  # refused by a rule (exit 1, as `check`)
    assert db_fingerprint(engine) == before
    res = run(*base, "--all-stamped")
    assert res.exit_code == 0, res.output
    voucher = res.output.strip().split()[-1]
    res = run("show", stationed.card_number, "--json")
    assert res.exit_code == 0 and json.loads(res.output)[0]["voucher"] == voucher
    res = run("show", voucher, "--on", "2026-03-10", "--json")  # by voucher: the filing and its steps
    shown = json.loads(res.output)
    assert res.exit_code == 0 and [f["voucher"] for f in shown] == [voucher]
    assert {s["event"]: s["allowed"] for s in shown[0]["allowed_steps"]}["cancel"] is True
    res = run("cancel", voucher, "--reason", "", "--on", "2026-04-01")
    assert res.exit_code == 1 and "reason:" in res.output
    res = run("cancel", voucher, "--reason", "returned", "--on", "2026-04-01")
    assert res.exit_code == 0, res.output
    res = run("candidates", PLACE)
    assert res.exit_code == 0 and all(i.code in res.output for i in wuhan)
