"""Shared column shapes: UUID keys, optimistic-lock version, timestamps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

# the stored states of the workflow machines, declared with the machines (core.workflows)
from core.workflows.states import BookStatus, CaseStatus, CertificateStatus, ClaimStatus, FilingStatus  # noqa: F401


def utcnow() -> datetime:
    """Aware UTC timestamp (stored as UTC; SQLite keeps no zone)."""
    return datetime.now(timezone.utc)


#: inside an operation (core.sync.ops) the ids of new rows derive from the
#: operation, so the centre applying it creates the same ids (issue 11 item 3)
ID_SOURCE: ContextVar[Callable[[], uuid.UUID] | None] = ContextVar("casedesk_id_source", default=None)


def new_id() -> uuid.UUID:
    """A new row's id: random, or the next id of the operation being made or applied."""
    source = ID_SOURCE.get()
    return source() if source is not None else uuid.uuid4()


class Record(SQLModel):
    """Mutable record: UUID key (records are created offline at branches and
    merged centrally), an optimistic-lock ``version``, and timestamps."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    version: int = Field(default=1, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False)

    @declared_attr  # type: ignore[misc]
    def __mapper_args__(cls):  # noqa: N805
        # SQLAlchemy bumps ``version`` on every UPDATE and adds
        # ``WHERE version = :old`` so a concurrent writer gets StaleDataError.
        return {"version_id_col": cls.__table__.c.version}


class Role(StrEnum):
    CLERK = "clerk"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class Scheme(StrEnum):
    COMPREHENSIVE = "comprehensive"
    INPATIENT = "inpatient"
    MIGRANT = "migrant"


class Employment(StrEnum):
    EMPLOYED = "employed"
    RETIRED_CITY_PENSION = "retired_city_pension"
    RETIRED_OTHER = "retired_other"
    UNEMPLOYED = "unemployed"
    OTHER = "other"


class AccountState(StrEnum):
    NORMAL = "normal"
    SUSPENDED = "suspended"


class InstitutionKind(StrEnum):
    HOSPITAL = "hospital"
    COMMUNITY_HEALTH_CENTRE = "community_health_centre"
    CLINIC = "clinic"
    PHARMACY = "pharmacy"
    DIALYSIS_CENTRE = "dialysis_centre"
    SOCIAL_SECURITY = "social_security"


class Title(StrEnum):
    RESIDENT = "resident"
    ATTENDING = "attending"
    DEPUTY_CHIEF = "deputy_chief"
    CHIEF = "chief"


TITLE_RANK = {Title.RESIDENT: 1, Title.ATTENDING: 2, Title.DEPUTY_CHIEF: 3, Title.CHIEF: 4}


class VisitKind(StrEnum):
    GENERAL_OUTPATIENT = "general_outpatient"
    MAJOR_DISEASE_OUTPATIENT = "major_disease_outpatient"
    EMERGENCY = "emergency"
    INPATIENT = "inpatient"
    PHARMACY = "pharmacy"


class Settlement(StrEnum):
    BOOKKEEPING = "bookkeeping"
    CASH = "cash"


