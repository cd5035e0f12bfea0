"""Free text, one rule everywhere (issue 7, item 5; core.text).

Every string a service writes is NFC-normalised and trimmed, refused when it
holds a control or escape character (C0/C1, ESC, a bidi override) and
limited to the model's length, on SQLite too (which ignores VARCHAR(n)).
Each refusal names the field and changes nothing.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from certificate_world import make_world
from conftest import db_fingerprint
from core.db import read_session, write_session
from core.errors import BadInput
from core.models import Certificate
from core.rules.offsite import FilingForm
from core.services import certificates as svc
from core.services import monitoring, offsite
from core.text import clean

ON = date(2026, 3, 10)
BAD = {
    "csi": "seal \x1b[31mred",
    "osc": "seal \x1b]0;x\x07",
    "rtl": "seal \u202eevil",
    "nul": "seal\x00",
    "c1": "seal \x9b31m",
}


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def refused(engine, fn, field: str) -> BadInput:
    before = db_fingerprint(engine)
    with pytest.raises(BadInput) as exc:
        with write_session(engine) as s:
            fn(s)
    assert db_fingerprint(engine) == before, "a refusal changed the database"
    assert exc.value.field == field, exc.value.reasons
    assert field in exc.value.messages("en")[0]
    return exc.value


@pytest.mark.parametrize("kind", sorted(BAD))
def test_clean_refuses_control_and_escape_characters(kind):
    with pytest.raises(BadInput) as exc:
        clean(BAD[kind], "seal_ref", 64)
    assert exc.value.field == "seal_ref"
    assert "\x1b" not in " ".join(exc.value.messages("en"))


def test_clean_normalises_and_trims():
    decomposed = "  Zhang San e\u0301  "
    assert clean(decomposed, "name", 64) == unicodedata.normalize("NFC", "Zhang San e\u0301")
    with pytest.raises(BadInput) as exc:
        clean("x" * 65, "name", 64)
    assert "at most 64 characters (65 given)" in exc.value.messages("en")[0]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_seal_reference_with_escapes_refused_nothing_written(w, engine, kind):
    cert = w.draft(ON)
    w.sign(cert, ON)
    refused(engine, lambda s: svc.seal_certificate(s, w.clerk, policy=w.policy, number=cert.number,
                                                   seal_ref=BAD[kind], on=ON), "seal_ref")


def test_seal_reference_longer_than_the_model_refused_on_sqlite(w, engine):
    cert = w.draft(ON)
    w.sign(cert, ON)
    err = refused(engine, lambda s: svc.seal_certificate(s, w.clerk, policy=w.policy, number=cert.number,
                                                         seal_ref="S" * 65, on=ON), "seal_ref")
    assert "64" in err.messages("en")[0]


def test_text_is_stored_nfc_and_trimmed(w, engine):
    cert = w.draft(ON, diagnosis_note="  Cafe\u0301 note  ")
    w.sign(cert, ON)
    w.seal(cert, ON)
    with read_session(engine) as s:
        row = s.get(Certificate, cert.id)
        assert row.diagnosis_note == "Caf\u00e9 note"


def test_over_long_note_refused(w, engine):
    refused(engine, lambda s: svc.draft_certificate(
        s, w.clerk, policy=w.policy, enrollee_id=w.enrollee.id, disease_code="MD-I-01",
        institution_id=w.hospital.id, physician_id=w.attending.id, on=ON, criteria_acknowledged=True,
        diagnosis_note="n" * 2001), "diagnosis_note")


def test_reason_with_escape_refused(w, engine):
    cert = w.draft(ON)
    refused(engine, lambda s: svc.withdraw_certificate(s, w.clerk, policy=w.policy, number=cert.number, on=ON,
                                                       reason="entered twice \x1b[2J"), "reason")


def test_offsite_agent_name_with_rtl_override_refused(engine, build, clerk, policy):
    e = build.enrollee(city_household=True, stationed_elsewhere=True, employer="Metro", residence_city="Wuhan")
    insts = [build.institution(city="Wuhan", level=2, designated=True, diagnostic_hospital=False) for _ in range(3)]
    codes = tuple(i.code for i in insts)
    form = FilingForm(place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes), form_copies=3,
                      local_ss_stamp=True, filed_by="self", local_ss_office="Wuhan office \u202eevil")
    refused(engine, lambda s: offsite.file_filing(s, clerk, e.id, form, on=ON, policy=policy), "local_ss_office")


def test_monitoring_detail_with_nul_refused(engine, build, clerk, policy):
    p = build.enrollee()
    refused(engine, lambda s: monitoring.record_manual_trigger(
        s, clerk, policy, enrollee_id=p.id, trigger="T12-reported-violation", detail="seen\x00", on=ON), "detail")
