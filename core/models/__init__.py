"""The domain model (SQLModel tables) and its enumerations."""

from core.models.base import *  # noqa: F401,F403
from core.models.base import Record, new_id, utcnow  # noqa: F401
from core.models.tables import *  # noqa: F401,F403
from core.models.tables import (  # noqa: F401
    AuditEvent,
    BookEntry,
    Caseworker,
    Certificate,
    DiagnosticTeam,
    Enrollee,
    ExpenseRecord,
    FilingInstitution,
    HealthCentreSelection,
    Hospitalisation,
    Institution,
    InvestigationCase,
    Meta,
    MonitoringFlag,
    MonthlyBatch,
    OffsiteFiling,
    Physician,
    RecordBook,
    Replacement,
    TeamMembership,
)
