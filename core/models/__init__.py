"""The domain model (SQLModel tables) and its enumerations."""

from core.models.base import *  # noqa: F401,F403
from core.models.base import Record, new_id, utcnow  # noqa: F401
from core.models.tables import *  # noqa: F401,F403
from core.models.tables import (  # noqa: F401
    AuditEvent,
    BookEntry,
    Caseworker,
    Certificate,
    ClaimItem,
    ClaimReceipt,
    ComplianceReview,
    DiagnosticTeam,
    Enrollee,
    ExpenseRecord,
    FactChange,
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
    ReimbursementClaim,
    Replacement,
    TeamMembership,
)
from core.models.sync import CentralAuditEvent, SyncBranch, SyncChange  # noqa: F401,E402

from core.models.outbox import BranchCounter, OutboxOp, SyncApplied, SyncSubmission  # noqa: F401,E402

# free text, one rule everywhere (core.text): every string column of every row written
from core.text import install as _install_text_rule  # noqa: E402

_install_text_rule()
