"""Shared fixtures: a real, migrated SQLite file per test, actors of each
role, the Shenzhen pack, and small builders for master data."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import settings
from sqlmodel import Session

from core.auth import Actor
from core.db import make_engine, upgrade, write_session
from core.ids import compute_check_digit
from core.name_keys import name_keys
from core.models import (
    Caseworker,
    DiagnosticTeam,
    Enrollee,
    Institution,
    Physician,
    TeamMembership,
)
from core.policy import load_pack

# Property tests check answers, never speed: no per-example deadline, so a
# loaded 2-core CI machine cannot turn a slow example into a "flaky" failure.
settings.register_profile("casedesk", deadline=None)
settings.load_profile("casedesk")

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Migrate once; each test copies the file (migrations are tested on their own)."""
    path = tmp_path_factory.mktemp("tmpl") / "template.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture
def db_path(tmp_path, migrated_template):
    import shutil

    path = tmp_path / "casedesk.db"
    shutil.copy(migrated_template, path)
    return path


@pytest.fixture
def engine(db_path):
    eng = make_engine(f"sqlite:///{db_path}")
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    """A plain session for arranging and inspecting data (commit yourself)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def policy():
    return load_pack("shenzhen-2008")


@pytest.fixture
def zz_policy():
    return load_pack("zezhou")


@pytest.fixture
def clerk(engine):
    with write_session(engine) as s:
        s.add(Caseworker(username="clerk1", role="clerk", branch="futian", display_name="Clerk One"))
    return Actor("clerk1", "clerk", "futian")


@pytest.fixture
def clerk2(engine):
    with write_session(engine) as s:
        s.add(Caseworker(username="clerk2", role="clerk", branch="futian", display_name="Clerk Two"))
    return Actor("clerk2", "clerk", "futian")


@pytest.fixture
def reviewer(engine):
    with write_session(engine) as s:
        s.add(Caseworker(username="rev1", role="reviewer", branch="futian", display_name="Reviewer One"))
    return Actor("rev1", "reviewer", "futian")


@pytest.fixture
def admin(engine):
    with write_session(engine) as s:
        s.add(Caseworker(username="admin1", role="admin", branch="", display_name="Admin One"))
    return Actor("admin1", "admin", "")


@pytest.fixture
def me(engine):
    """The account running the tests as an admin caseworker: the CLI acts as
    the OS user (the kernel's real uid), and every command needs a known one."""
    from core.auth import os_username

    name = os_username()
    with write_session(engine) as s:
        s.add(Caseworker(username=name, role="admin", branch="futian", display_name=name))
    return Actor(name, "admin", "futian")


def make_id_number(birth: date = date(1960, 5, 17), region: str = "440304", seq: int | None = None) -> str:
    n = seq if seq is not None else next(_seq)
    first17 = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + compute_check_digit(first17)


class Build:
    """Tiny builders for master data, written straight to the database."""

    def __init__(self, engine):
        self.engine = engine

    def _add(self, obj):
        with write_session(self.engine) as s:
            s.add(obj)
        return obj

    def enrollee(self, **kw) -> Enrollee:
        n = next(_seq)
        defaults = dict(
            id_number=make_id_number(seq=n),
            card_number=f"SZ{n:08d}",
            name=f"Test Person {n}",
            scheme="comprehensive",
            supplementary=True,
            city_household=True,
            employment="employed",
            residence_city="Shenzhen",
            individual_account_fen=0,
        )
        defaults.update(kw)
        keys = name_keys(defaults["name"])  # as core.services.registry.add_enrollee writes them
        defaults.setdefault("name_pinyin", keys.pinyin)
        defaults.setdefault("name_initials", keys.initials)
        return self._add(Enrollee(**defaults))

    def institution(self, **kw) -> Institution:
        n = next(_seq)
        defaults = dict(code=f"H{n:05d}", name=f"Hospital {n}", kind="hospital", level=3, public=True,
                        city="Shenzhen", designated=True, diagnostic_hospital=True)
        defaults.update(kw)
        return self._add(Institution(**defaults))

    def physician(self, institution, **kw) -> Physician:
        n = next(_seq)
        defaults = dict(code=f"P{n:05d}", name=f"Dr {n}", institution_id=institution.id,
                        title="deputy_chief", specialty="cardiology")
        defaults.update(kw)
        return self._add(Physician(**defaults))

    def team(self, institution, specialty: str, head, members, since: date = date(2020, 1, 1)) -> DiagnosticTeam:
        team = self._add(DiagnosticTeam(institution_id=institution.id, specialty=specialty, reported_on=since))
        self._add(TeamMembership(team_id=team.id, physician_id=head.id, is_head=True, since=since))
        for m in members:
            self._add(TeamMembership(team_id=team.id, physician_id=m.id, is_head=False, since=since))
        return team


@pytest.fixture
def build(engine):
    return Build(engine)


def table_counts(engine) -> dict[str, int]:
    """Row count of every table: compare before/after to prove a refusal wrote nothing."""
    from sqlalchemy import inspect, text

    out = {}
    with engine.connect() as c:
        for t in inspect(engine).get_table_names():
            out[t] = c.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
    return out


def db_fingerprint(engine) -> str:
    """A hash of every row of every table: equal before and after = nothing changed."""
    import hashlib

    from sqlalchemy import inspect, text

    h = hashlib.sha256()
    with engine.connect() as c:
        for t in sorted(inspect(engine).get_table_names()):
            for row in c.execute(text(f'SELECT * FROM "{t}" ORDER BY 1')):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_cluster():
    """This process's own throwaway PostgreSQL 15 cluster (tests/pg_cluster.py):
    one per xdist worker, its own directory and Unix socket; skipped where
    the server binaries are not installed."""
    from tests.pg_cluster import pg_bin, start_cluster

    if pg_bin() is None:
        pytest.skip("PostgreSQL 15 server binaries not installed (/usr/lib/postgresql/15/bin)")
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster) -> str:
    """A database migrated to head once per session; tests get copies."""
    name = pg_cluster.new_database(name=f"tmpl{__import__('os').getpid()}")
    eng = make_engine(pg_cluster.url(name))
    upgrade(eng)
    eng.dispose()  # CREATE DATABASE … TEMPLATE needs it unused
    return name


@pytest.fixture
def pg_url(pg_cluster, pg_template):
    """A fresh PostgreSQL database migrated to head, for this test only."""
    name = pg_cluster.new_database(template=pg_template)
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_empty_url(pg_cluster):
    """A fresh empty PostgreSQL database (no schema), for migration tests."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)
