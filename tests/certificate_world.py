"""Shared arrangement for the certificate, book and replacement tests: a
diagnostic hospital with a cardiology and a transplant team, enrollees, and
helpers that run each step in its own write transaction."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import inspect, text

from conftest import db_fingerprint
from core.auth import Actor
from core.db import write_session
from core.errors import DomainError
from core.models import Certificate, Enrollee, Institution, Physician
from core.policy import Policy
from core.services import certificates as svc

TEAM_SINCE = date(2020, 1, 1)


@dataclass
class World:
    engine: object
    build: object
    policy: Policy
    clerk: Actor
    reviewer: Actor
    hospital: Institution
    head: Physician
    member: Physician
    member2: Physician
    attending: Physician
    enrollee: Enrollee
    transplant_head: Physician
    transplant_member: Physician
    transplant_attending: Physician
    extra: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ steps
    def run(self, fn):
        with write_session(self.engine) as s:
            return fn(s)

    def draft(self, on: date, disease: str = "MD-I-01", *, enrollee: Enrollee | None = None,
              actor: Actor | None = None, physician: Physician | None = None,
              institution: Institution | None = None, **kw) -> Certificate:
        physician = physician or (self.transplant_attending if disease == "MD-II-02" else self.attending)
        kw.setdefault("criteria_acknowledged", True)
        return self.run(lambda s: svc.draft_certificate(
            s, actor or self.clerk, policy=self.policy, enrollee_id=(enrollee or self.enrollee).id,
            disease_code=disease, institution_id=(institution or self.hospital).id,
            physician_id=physician.id, on=on, **kw))

    def default_signers(self, cert: Certificate) -> list[Physician]:
        if cert.disease_code == "MD-II-02":
            return [self.transplant_head, self.transplant_member]
        return [self.head, self.member]

    def sign(self, cert: Certificate, on: date, signers: list[Physician] | None = None,
             actor: Actor | None = None) -> Certificate:
        signers = signers if signers is not None else self.default_signers(cert)
        return self.run(lambda s: svc.sign_certificate(
            s, actor or self.clerk, policy=self.policy, number=cert.number,
            signatures=[(p.id, on) for p in signers], on=on))

    def seal(self, cert: Certificate, on: date) -> Certificate:
        return self.run(lambda s: svc.seal_certificate(s, self.clerk, policy=self.policy, number=cert.number, seal_ref="SEAL-1", on=on))

    def confirm(self, cert: Certificate, on: date, actor: Actor | None = None) -> Certificate:
        return self.run(lambda s: svc.confirm_certificate(s, actor or self.reviewer, policy=self.policy,
                                                          number=cert.number, on=on))

    def recognise(self, on: date, disease: str = "MD-I-01", **kw) -> Certificate:
        cert = self.draft(on, disease, **kw)
        self.sign(cert, on)
        self.seal(cert, on)
        return self.confirm(cert, on)

    def get(self, cert_id: uuid.UUID) -> Certificate:
        with write_session(self.engine) as s:
            return s.get(Certificate, cert_id)


def make_world(engine, build, policy, clerk, reviewer, specialty: str = "cardiology",
               city: str | None = None) -> World:
    city = city or policy.pack.city
    hospital = build.institution(city=city)
    head = build.physician(hospital, title="chief", specialty=specialty)
    member = build.physician(hospital, title="deputy_chief", specialty=specialty)
    member2 = build.physician(hospital, title="deputy_chief", specialty=specialty)
    attending = build.physician(hospital, title="attending", specialty=specialty)
    build.team(hospital, specialty, head, [member, member2], since=TEAM_SINCE)
    t_head = build.physician(hospital, title="chief", specialty="transplant")
    t_member = build.physician(hospital, title="deputy_chief", specialty="transplant")
    t_attending = build.physician(hospital, title="attending", specialty="transplant")
    build.team(hospital, "transplant", t_head, [t_member], since=TEAM_SINCE)
    enrollee = build.enrollee(scheme="comprehensive", supplementary=True)
    return World(engine, build, policy, clerk, reviewer, hospital, head, member, member2, attending,
                 enrollee, t_head, t_member, t_attending)


# ---------------------------------------------------------------------- checks


def refused(engine, fn, *, article: str, field: str) -> DomainError:
    """Run ``fn(session)`` in a write transaction; it must raise DomainError
    with a reason for ``field`` citing ``article`` and change nothing."""
    before = db_fingerprint(engine)
    with pytest.raises(DomainError) as info:
        with write_session(engine) as s:
            fn(s)
    assert db_fingerprint(engine) == before, "a refusal changed the database"
    got = [(r.article, r.field) for r in info.value.reasons]
    assert (article, field) in got, got
    return info.value


def _rows(engine) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    with engine.connect() as c:
        for t in inspect(engine).get_table_names():
            if t == "alembic_version":
                continue
            rows = {}
            for row in c.execute(text(f'SELECT * FROM "{t}"')):
                key = str(row[0])
                try:
                    key = str(uuid.UUID(key))
                except ValueError:
                    pass
                rows[key] = tuple(row)
            out[t] = rows
    return out


@contextmanager
def one_event_per_change(engine, *, expect: int | None = None, article: str | None = None):
    """The block must write exactly one audit event per created or changed
    row (matched by table and id), optionally ``expect`` of them, all citing
    ``article`` when given."""
    before = _rows(engine)
    yield
    after = _rows(engine)
    changed = sorted(
        (t, pk) for t, rows in after.items() if t != "audit_event"
        for pk, row in rows.items() if before.get(t, {}).get(pk) != row
    )
    with engine.connect() as c:
        new_ids = [pk for pk in after["audit_event"] if pk not in before["audit_event"]]
        events = [c.execute(text("SELECT entity, entity_id, article FROM audit_event WHERE id = :i"),
                            {"i": uuid.UUID(pk).hex}).one() for pk in new_ids]
    assert sorted((e[0], e[1]) for e in events) == changed
    if expect is not None:
        assert len(changed) == expect, changed
    if article is not None:
        assert all(e[2] for e in events)
        assert any(e[2] == article for e in events), [e[2] for e in events]
