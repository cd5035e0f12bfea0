"""A small city at a PostgreSQL centre, made through the services, and the
check that a branch holds exactly the centre's rows (issue 11 tests)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import SQLModel

from core.auth import Actor
from core.db import write_session
from core.policy import load_pack
from core.services import offsite, registry
from core.services.offsite import FilingForm
from core.sync.tables import SYNCED
from tests.conftest import Build, make_id_number

CLERK = Actor("centre.clerk", "clerk", "futian")
ON = date(2026, 3, 10)


def rows(engine, table: str) -> dict:
    t = SQLModel.metadata.tables[table]
    with engine.connect() as c:
        return {r["id"]: dict(r) for r in c.execute(select(t)).mappings()}


def assert_equal_to_centre(branch, centre, *, only: set | None = None) -> None:
    """Every pulled table: the branch holds exactly the centre's rows (the
    centre's audit events as central_audit_event)."""
    for t in SYNCED:
        want = rows(centre, t.name)
        if only is not None and t.scope != "master":
            want = {k: v for k, v in want.items() if _enrollee(t, v, centre) in only}
        got = rows(branch, t.target)
        assert got.keys() == want.keys(), t.name
        for key, row in want.items():
            assert {k: got[key][k] for k in row} == row, (t.name, key)


def _enrollee(t, row, centre):
    if t.scope == "self":
        return row["id"]
    if "enrollee_id" in row:
        return row["enrollee_id"]
    parent, _, fk = t.scope.removeprefix("via:").partition(".")
    return rows(centre, parent)[row[fk]]["enrollee_id"]


class World:
    """A small city at the centre: hospitals in Wuhan, enrollees of two branches."""

    def __init__(self, engine):
        self.engine, self.build, self.policy = engine, Build(engine), load_pack()
        self.insts = [self.build.institution(city="Wuhan", level=lvl, public=True, designated=True, kind=kind)
                      for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"))]
        doc = self.build.physician(self.insts[0])
        self.build.team(self.insts[0], "cardiology", doc, [self.build.physician(self.insts[0])])

    def enrollee(self, branch: str, n: int):
        with write_session(self.engine) as s:
            return registry.add_enrollee(s, CLERK, id_number=make_id_number(seq=n), card_number=f"PL{n:07d}",
                                         name=f"李风{n}", scheme="comprehensive", supplementary=True,
                                         city_household=True, employment="employed", employer="Shenzhen Metro",
                                         residence_city="Wuhan", stationed_elsewhere=True, branch=branch)

    def expense(self, enrollee_id, day: int):
        with write_session(self.engine) as s:
            registry.add_expense(s, CLERK, enrollee_id=enrollee_id, occurred_at=datetime(2026, 2, day, 9, 30),
                                 amount_fen=12_000, visit_kind="major_disease_outpatient",
                                 institution_id=self.insts[0].id, disease_code="MD-I-01")

    def file(self, enrollee_id, *, engine=None, actor: Actor = CLERK):
        """An off-site filing, at the centre (or at a branch: ``engine``)."""
        codes = tuple(i.code for i in self.insts)
        form = FilingForm(place_city="Wuhan", institution_codes=codes, stamped_codes=frozenset(codes),
                          form_copies=3, local_ss_stamp=True, filed_by="self")
        with write_session(engine or self.engine) as s:
            return offsite.file_filing(s, actor, enrollee_id, form, on=ON, policy=self.policy)


