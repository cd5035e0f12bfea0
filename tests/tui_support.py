"""Deterministic data and Pilot helpers for the TUI tests (test_tui_*.py).

Rows are inserted directly (fixed names, numbers and dates) so the tests and
the snapshots do not depend on other workflows' services or on randomness.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone

from rich.console import Console

from core.audit import record
from core.models import AuditEvent
from core.auth import Actor
from core.db import write_session
from core.models import (
    BookEntry,
    Certificate,
    Enrollee,
    ExpenseRecord,
    FilingInstitution,
    HealthCentreSelection,
    InvestigationCase,
    OffsiteFiling,
    RecordBook,
)

TODAY = date(2026, 5, 12)
WANG_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
LI_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
ZHAO_ID = uuid.UUID("00000000-0000-4000-8000-000000000003")


@dataclass
class Scene:
    wang: Enrollee  # suspended, two certificates, book, off-site filing, open case
    li: Enrollee  # inpatient scheme, no health centre, nothing else
    zhao: Enrollee  # normal comprehensive, one confirmed certificate at the hospital
    hospital_code: str


def build_scene(build, engine) -> Scene:
    """Three enrollees with fixed keys and everything the enrollee view shows."""
    from conftest import make_id_number

    hospital = build.institution(code="H-SZ-001", name="Shenzhen People's Hospital", name_zh="深圳市人民医院")
    chc = build.institution(code="CHC-FT-01", name="Futian Community Health Centre", name_zh="福田社区健康服务中心",
                            kind="community_health_centre", level=1, diagnostic_hospital=False)
    gz = [build.institution(code=f"GZ-00{i}", name=f"Guangzhou Hospital {i}", name_zh=f"广州第{i}医院",
                            city="Guangzhou", province="Guangdong", level=2, diagnostic_hospital=False)
          for i in (1, 2, 3)]
    doctor = build.physician(hospital, code="P-SZ-001", name="Dr Chen", specialty="endocrinology")
    wang = build.enrollee(id=WANG_ID, id_number=make_id_number(date(1960, 5, 17), seq=11), card_number="SZ20260001",
                          name="王芳", birth_date=date(1960, 5, 17), sex="F", scheme="comprehensive",
                          supplementary=True, city_household=True, employment="employed",
                          account_state="suspended", account_state_since=date(2026, 3, 2),
                          residence_city="Guangzhou", stationed_elsewhere=True, branch="futian",
                          health_centre_id=chc.id)
    li = build.enrollee(id=LI_ID, id_number=make_id_number(date(1975, 2, 3), seq=12), card_number="SZ20260002",
                        name="Li Lei", birth_date=date(1975, 2, 3), sex="M", scheme="inpatient",
                        supplementary=False, city_household=False, employment="employed", branch="futian")
    zhao = build.enrollee(id=ZHAO_ID, id_number=make_id_number(date(1955, 8, 9), seq=13),
                          card_number="SZ20260003", name="Zhao Min", birth_date=date(1955, 8, 9), sex="F",
                          scheme="comprehensive", supplementary=True, city_household=True,
                          employment="retired_city_pension", branch="futian")

    def cert(number: str, enrollee: Enrollee, code: str, category: int, valid_from: date,
             valid_until: date | None) -> Certificate:
        return build._add(Certificate(
            number=number, enrollee_id=enrollee.id, disease_code=code, category=category,
            policy_pack="shenzhen-2008", status="confirmed", institution_id=hospital.id,
            physician_id=doctor.id, drafted_on=valid_from, drafted_by="clerk1", confirmed_on=valid_from,
            confirmed_by="rev1", valid_from=valid_from, valid_until=valid_until,
        ))

    diabetes = cert("C-2024-0001", wang, "MD-I-09", 1, date(2024, 7, 1), date(2026, 6, 30))
    tumour = cert("C-2025-0002", wang, "MD-II-03", 2, date(2025, 1, 10), None)
    cert("C-2025-0003", zhao, "MD-I-01", 1, date(2025, 3, 1), date(2027, 2, 28))
    book = build._add(RecordBook(number="B-2024-0001", enrollee_id=wang.id, status="active",
                                 issued_on=date(2024, 7, 5), issued_by="clerk1", issued_at_id=hospital.id))
    for c in (diabetes, tumour):
        build._add(BookEntry(book_id=book.id, certificate_id=c.id, disease_code=c.disease_code,
                             added_on=c.valid_from))
    filing = build._add(OffsiteFiling(enrollee_id=wang.id, basis="stationed", place_city="Guangzhou",
                                      place_province="Guangdong", local_ss_stamp=True, filed_by="employer",
                                      employer_name="Pearl River Trading", filed_on=date(2025, 2, 1),
                                      voucher_number="V-2025-0001", status="active", recorded_by="clerk1"))
    for pos, inst in enumerate(gz, start=1):
        build._add(FilingInstitution(filing_id=filing.id, position=pos, institution_id=inst.id, stamped=True))
    build._add(HealthCentreSelection(enrollee_id=wang.id, institution_id=chc.id, applicant="employer",
                                     applicant_name="Pearl River Trading", selected_on=date(2024, 1, 8),
                                     recorded_by="clerk1"))
    build._add(InvestigationCase(
        number="INV-2026-0001", enrollee_id=wang.id, trigger="T03-cost-month", trigger_month="2026-01",
        status="suspended", branch="futian", assigned_to="clerk1", notice_on=date(2026, 2, 10),
        notice_due=date(2026, 2, 27), opened_on=date(2026, 3, 2), open_reason="no_show",
        verification_due=date(2026, 5, 31),
    ))
    # issue 13, through the services: where Wang works from a date, and a hospital stay that is over
    from core.policy import load_pack
    from core.services import changes, stays

    clerk, pack = Actor("clerk1", "clerk", "futian"), load_pack("shenzhen-2008")
    steps = [
        lambda s: changes.change_enrollee(s, clerk, wang.id, {"stationed_city": "Guangzhou"}, on=date(2025, 1, 15),
                                          reason="单位派驻函", policy=pack, today=TODAY),
        lambda s: stays.record_stay(s, clerk, wang.id, admitted_on=date(2026, 4, 20), discharged_on=date(2026, 4, 28),
                                    institution_code=hospital.code, policy=pack, today=TODAY),
    ]
    for minute, step in enumerate(steps):
        with write_session(engine) as s:
            step(s)
            for obj in s.new:  # a fixed moment, so the history snapshot does not move with the clock
                if isinstance(obj, AuditEvent):
                    obj.at = datetime(2026, 4, 30, 8, minute, tzinfo=timezone.utc)
    return Scene(wang=wang, li=li, zhao=zhao, hospital_code=hospital.code)


def add_audit(engine, enrollee: Enrollee, n: int = 3) -> None:
    actor = Actor("clerk1", "clerk", "futian")
    with write_session(engine) as s:
        for i in range(n):
            ev = record(s, actor, f"test.step{i}", entity="enrollee", entity_id=enrollee.id,
                        before={"phone": str(i)}, after={"phone": str(i + 1)}, reason=f"reason {i}",
                        article="SZ-MT Art. 4", enrollee_id=enrollee.id)
            ev.at = datetime(2026, 5, 1, 9, i, tzinfo=timezone.utc)


def add_expenses(engine, enrollee: Enrollee, month: str, yuan_each: int, count: int) -> None:
    """``count`` general outpatient visits a day apart in ``month``."""
    year, mon = int(month[:4]), int(month[5:7])
    with write_session(engine) as s:
        for i in range(count):
            s.add(ExpenseRecord(enrollee_id=enrollee.id, occurred_at=datetime(year, mon, 1 + i, 10, 0),
                                visit_kind="general_outpatient", amount_fen=yuan_each * 100))


async def wait_until(pilot, condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``condition`` between short pauses; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the time limit")
        await pilot.pause(0.02)


def text_of(widget) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, color_system=None, legacy_windows=False)
    console.print(widget.content)
    return console.export_text()


def screen_text(screen) -> str:
    """Every Static/Label on a screen, as plain text."""
    from textual.widgets import Static

    return "\n".join(text_of(w) for w in screen.query(Static))


def table_text(table) -> str:
    """Every cell of a DataTable, as plain text."""
    rows = []
    for row_key in table.rows:
        rows.append(" | ".join(str(c) for c in table.get_row(row_key)))
    return "\n".join(rows)


__all__ = ["Scene", "TODAY", "add_audit", "add_expenses", "build_scene", "screen_text",
           "table_text", "text_of", "wait_until"]


def _laid_out(table) -> bool:
    """Every column of ``table`` is at least as wide as its widest cell."""
    from rich.cells import cell_len
    from rich.text import Text

    for i in range(table.row_count):
        for column, value in zip(table.ordered_columns, table.get_row_at(i)):
            text = value.plain if isinstance(value, Text) else str(value)
            if column.auto_width and column.content_width < cell_len(text):
                return False
    return True


async def settle(pilot) -> None:
    """Wait until the screen is drawn as it will stay: workers finished and
    every DataTable has laid out its column widths (Textual does that on idle,
    which a loaded machine reaches late)."""
    from textual.widgets import DataTable

    await pilot.app.workers.wait_for_complete()
    await wait_until(pilot, lambda: all(_laid_out(t) for t in pilot.app.screen.query(DataTable)))
    await pilot.pause()
