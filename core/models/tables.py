"""SQLModel tables for every workflow.

Money is integer fen (``*_fen``), never float. Dates the rules look at are
``date``; moments are aware UTC ``datetime`` except ``ExpenseRecord.occurred_at``,
which is the local clock time of the visit (monitoring counts local months). Status fields hold the values of
the StrEnums in :mod:`core.models.base`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime
from typing import Optional

from pydantic import NaiveDatetime

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import Record, new_id, utcnow
from core.models.storage import SETTLEMENT_CODES, VISIT_KIND_CODES, Code, LocalEpoch, UTCEpoch
from core.workflows import definitions as machines


def _states(machine) -> tuple:
    """A stray status string cannot be stored: the column holds the machine's
    states (migration 0003_workflow_states)."""
    return (CheckConstraint(machine.check_sql(), name=machine.check_name),)

# --------------------------------------------------------------------------- people


class Caseworker(Record, table=True):
    __tablename__ = "caseworker"
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(default="", max_length=128)
    role: str = Field(max_length=16)  # Role
    branch: str = Field(default="", max_length=64, index=True)
    active: bool = Field(default=True)


class Institution(Record, table=True):
    """A medical institution, community health centre, or social-security office."""

    __tablename__ = "institution"
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    name_zh: str = Field(default="", max_length=200)
    kind: str = Field(max_length=32)  # InstitutionKind
    level: int = Field(default=0)  # 0 unrated, 1 township/first, 2, 3
    public: bool = Field(default=True)
    city: str = Field(max_length=64, index=True)  # city/place; the pack's city = in town
    province: str = Field(default="", max_length=64)
    mainland: bool = Field(default=True)
    designated: bool = Field(default=False)
    diagnostic_hospital: bool = Field(default=False)
    dialysis_centre: bool = Field(default=False)
    offsite_on_record: bool = Field(default=False)  # SZ-MD Art. 4(2)
    run_by_hospital_level: int = Field(default=0)  # ZZ §4: CHC run by a level-2/3 hospital
    active: bool = Field(default=True)


class Enrollee(Record, table=True):
    __tablename__ = "enrollee"
    __table_args__ = (
        # lookup by the start of the pinyin or the initials, read in index order (core.services.lookup)
        Index("ix_enrollee_name_pinyin", "name_pinyin", "id"),
        Index("ix_enrollee_name_initials", "name_initials", "id"),
    )
    id_number: str = Field(max_length=18, unique=True, index=True)
    card_number: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=64, index=True)
    # search keys written with the name (core.name_keys); indexed for lookup (migration 0004)
    name_pinyin: str = Field(default="", max_length=1200)
    name_initials: str = Field(default="", max_length=200)
    sex: str = Field(default="", max_length=1)
    birth_date: Optional[date] = None
    scheme: str = Field(max_length=16, index=True)  # Scheme
    supplementary: bool = Field(default=False)
    city_household: bool = Field(default=False)
    employment: str = Field(default="employed", max_length=32)  # Employment
    disabled_grade: Optional[int] = None  # SZ-MT Art. 16, 1-6
    employer: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=32)
    address: str = Field(default="", max_length=300)
    residence_city: str = Field(default="", max_length=64)  # where they live now
    residence_province: str = Field(default="", max_length=64)
    residence_mainland: bool = Field(default=True)
    stationed_elsewhere: bool = Field(default=False)  # posted to work in another city
    stationed_city: str = Field(default="", max_length=64)  # where (issue 13; core.services.changes)
    health_centre_id: Optional[uuid.UUID] = Field(default=None, foreign_key="institution.id")
    account_state: str = Field(default="normal", max_length=16, index=True)
    account_state_since: Optional[date] = None
    individual_account_fen: int = Field(default=0, sa_type=BigInteger)
    branch: str = Field(default="", max_length=64, index=True)
    is_demo: bool = Field(default=False)


class Physician(Record, table=True):
    __tablename__ = "physician"
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=64)
    institution_id: uuid.UUID = Field(foreign_key="institution.id", index=True)
    title: str = Field(max_length=16)  # Title
    specialty: str = Field(max_length=32)
    active: bool = Field(default=True)
    #: heads the department of ``specialty`` at the institution (may sign where the
    #: pack's signature rule says ``director_may_sign``, e.g. ZZ §3)
    department_director: bool = Field(default=False)


class DiagnosticTeam(Record, table=True):
    """A hospital's diagnostic team for one specialty (SZ-MD Art. 4)."""

    __tablename__ = "diagnostic_team"
    __table_args__ = (UniqueConstraint("institution_id", "specialty"),)
    institution_id: uuid.UUID = Field(foreign_key="institution.id", index=True)
    specialty: str = Field(max_length=32)
    reported_on: Optional[date] = None


class TeamMembership(Record, table=True):
    """One physician on a team for a span of dates; head or member. A change of
    the team list ends a membership (``until``) and starts another."""

    __tablename__ = "team_membership"
    team_id: uuid.UUID = Field(foreign_key="diagnostic_team.id", index=True)
    physician_id: uuid.UUID = Field(foreign_key="physician.id", index=True)
    is_head: bool = Field(default=False)
    since: date
    until: Optional[date] = None  # last day on the team; None = current


# --------------------------------------------------------------------------- documents


class Certificate(Record, table=True):
    """Outpatient major-disease diagnosis certificate (SZ-MD Art. 4, 12, 13)."""

    __tablename__ = "certificate"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_hash: str = Field(default="", max_length=64)
    __table_args__ = _states(machines.CERTIFICATE)
    number: str = Field(max_length=32, unique=True, index=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    disease_code: str = Field(max_length=32, index=True)
    organ: Optional[str] = Field(default=None, max_length=32)  # transplant organ
    category: int
    policy_pack: str = Field(max_length=64)
    status: str = Field(max_length=16, index=True)  # CertificateStatus
    institution_id: uuid.UUID = Field(foreign_key="institution.id", index=True)
    offsite: bool = Field(default=False)  # SZ-MD Art. 4(2)
    continuation: bool = Field(default=False)
    cont_recent_record: bool = Field(default=False)
    cont_original_papers: bool = Field(default=False)
    cont_originals_seen: bool = Field(default=False)
    cont_copies_kept: bool = Field(default=False)
    criteria_acknowledged: bool = Field(default=False)
    diagnosis_note: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 2000}))
    # step 1: attending physician drafts
    physician_id: uuid.UUID = Field(foreign_key="physician.id")
    drafted_on: date
    drafted_by: str = Field(max_length=64)  # caseworker who entered it
    # step 2: two team signatures, one the head
    signer1_id: Optional[uuid.UUID] = Field(default=None, foreign_key="physician.id")
    signed1_on: Optional[date] = None
    signer2_id: Optional[uuid.UUID] = Field(default=None, foreign_key="physician.id")
    signed2_on: Optional[date] = None
    signatures_by: Optional[str] = Field(default=None, max_length=64)
    # step 3: insurance-office seal
    sealed_on: Optional[date] = None
    seal_ref: Optional[str] = Field(default=None, max_length=64)
    sealed_by: Optional[str] = Field(default=None, max_length=64)
    # step 4: agency confirmation
    confirmed_on: Optional[date] = None
    confirmed_by: Optional[str] = Field(default=None, max_length=64)
    valid_from: Optional[date] = Field(default=None, index=True)
    valid_until: Optional[date] = Field(default=None, index=True)  # last valid day
    # re-application chain (SZ-MD Art. 12)
    previous_id: Optional[uuid.UUID] = Field(default=None, foreign_key="certificate.id")
    # end of life
    ended_on: Optional[date] = None
    ended_by: Optional[str] = Field(default=None, max_length=64)
    end_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 500}))
    replaced_by_id: Optional[uuid.UUID] = Field(default=None, foreign_key="certificate.id")
    # step 5: monthly batch of originals
    batch_id: Optional[uuid.UUID] = Field(default=None, foreign_key="monthly_batch.id", index=True)


class MonthlyBatch(Record, table=True):
    """A hospital's monthly delivery of certificate originals (SZ-MD Art. 4)."""

    __tablename__ = "monthly_batch"
    __table_args__ = (UniqueConstraint("institution_id", "month"),)
    institution_id: uuid.UUID = Field(foreign_key="institution.id", index=True)
    month: str = Field(max_length=7)  # YYYY-MM
    received_on: Optional[date] = None
    received_by: Optional[str] = Field(default=None, max_length=64)


class RecordBook(Record, table=True):
    """Special outpatient medical record book (SZ-MD Art. 5): one per enrollee."""

    __tablename__ = "record_book"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    __table_args__ = _states(machines.BOOK)
    number: str = Field(max_length=32, unique=True, index=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    status: str = Field(max_length=16, index=True)  # BookStatus
    issued_on: date
    issued_by: str = Field(max_length=64)
    issued_at_id: Optional[uuid.UUID] = Field(default=None, foreign_key="institution.id")
    previous_id: Optional[uuid.UUID] = Field(default=None, foreign_key="record_book.id")
    ended_on: Optional[date] = None
    end_reason: str = Field(default="", max_length=200)


class BookEntry(Record, table=True):
    """A recognised disease written into a record book."""

    __tablename__ = "book_entry"
    __table_args__ = (UniqueConstraint("book_id", "certificate_id"),)
    book_id: uuid.UUID = Field(foreign_key="record_book.id", index=True)
    certificate_id: uuid.UUID = Field(foreign_key="certificate.id", index=True)
    disease_code: str = Field(max_length=32)
    added_on: date


class Replacement(Record, table=True):
    """Replacement of a lost certificate or record book (SZ-MD Art. 5)."""

    __tablename__ = "replacement"
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    item_kind: str = Field(max_length=16)  # certificate | book
    old_id: uuid.UUID
    old_number: str = Field(max_length=32, index=True)
    new_id: uuid.UUID
    new_number: str = Field(max_length=32, index=True)
    place: str = Field(max_length=16)  # hospital | agency
    institution_id: Optional[uuid.UUID] = Field(default=None, foreign_key="institution.id")
    card_presented: bool = Field(default=False)
    id_card_presented: bool = Field(default=False)
    reported_on: date
    archived: bool = Field(default=False)
    archived_on: Optional[date] = None
    recorded_by: str = Field(max_length=64)


class OffsiteFiling(Record, table=True):
    """Off-site filing of three designated institutions (SZ-MT Art. 9, 10)."""

    __tablename__ = "offsite_filing"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    __table_args__ = _states(machines.FILING)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    basis: str = Field(max_length=16)  # stationed | retired
    place_city: str = Field(max_length=64)
    place_province: str = Field(default="", max_length=64)
    place_mainland: bool = Field(default=True)
    form_copies: int = Field(default=3)
    local_ss_stamp: bool = Field(default=False)
    local_ss_office: str = Field(default="", max_length=200)
    filed_by: str = Field(max_length=16)  # employer | self | agent
    employer_name: str = Field(default="", max_length=200)
    agent_name: str = Field(default="", max_length=64)
    agent_id_number: str = Field(default="", max_length=18)
    agent_phone: str = Field(default="", max_length=32)
    agent_relation: str = Field(default="", max_length=64)
    filed_on: date
    voucher_number: Optional[str] = Field(default=None, max_length=32, unique=True)
    status: str = Field(max_length=16, index=True)  # FilingStatus
    recorded_by: str = Field(max_length=64)
    cancelled_on: Optional[date] = None
    cancel_reason: str = Field(default="", max_length=300)
    cancelled_by: Optional[str] = Field(default=None, max_length=64)


class FilingInstitution(Record, table=True):
    __tablename__ = "filing_institution"
    __table_args__ = (
        UniqueConstraint("filing_id", "position"),
        UniqueConstraint("filing_id", "institution_id"),
    )
    filing_id: uuid.UUID = Field(foreign_key="offsite_filing.id", index=True)
    position: int  # 1..3, in the order chosen
    institution_id: uuid.UUID = Field(foreign_key="institution.id")
    stamped: bool = Field(default=False)


class HealthCentreSelection(Record, table=True):
    """Selection of a community health centre (SZ-MT Art. 4)."""

    __tablename__ = "health_centre_selection"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    institution_id: uuid.UUID = Field(foreign_key="institution.id")
    applicant: str = Field(max_length=16)  # employer | village | self
    applicant_name: str = Field(default="", max_length=200)
    selected_on: date
    ended_on: Optional[date] = None
    recorded_by: str = Field(max_length=64)


class Hospitalisation(Record, table=True):
    """An inpatient stay (ZZ §4: no chronic outpatient benefit while in hospital),
    recorded at the counter or imported from an institution's list
    (core.services.stays)."""

    __tablename__ = "hospitalisation"
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    institution_id: Optional[uuid.UUID] = Field(default=None, foreign_key="institution.id")
    admitted_on: date
    discharged_on: Optional[date] = None
    source: str = Field(default="counter", max_length=16)  # counter | import
    recorded_by: str = Field(default="", max_length=64)
    discharged_by: Optional[str] = Field(default=None, max_length=64)


class FactChange(Record, table=True):
    """One effective-dated change of a fact the rules read (issue 13): an
    enrollee's scheme, supplementary insurance, household, employment,
    posting, residence or disabled grade; a physician's title or leaving;
    an institution's designation, level or status. ``value`` holds from
    ``effective_from`` on, ``previous`` before it; the rules ask for the
    value on the date they judge (core.services.changes.facts_on)."""

    __tablename__ = "fact_change"
    __table_args__ = (
        UniqueConstraint("entity", "entity_id", "field", "effective_from"),
        Index("ix_fact_change_entity", "entity", "entity_id", "effective_from"),
    )
    entity: str = Field(max_length=16)  # enrollee | physician | institution
    entity_id: uuid.UUID
    enrollee_id: Optional[uuid.UUID] = Field(default=None, foreign_key="enrollee.id", index=True)
    field: str = Field(max_length=32)
    value: str = Field(default="", max_length=200)
    previous: str = Field(default="", max_length=200)
    effective_from: date
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 500}))
    article: str = Field(default="", max_length=64)
    source: str = Field(default="counter", max_length=16)  # counter | import
    recorded_by: str = Field(max_length=64)
    recorded_on: date


def new_expense_id() -> int:
    """A random 63-bit key (expenses are reported at branches and merged
    centrally, like the UUID keys of records; unique with the enrollee and
    time it is a part of the primary key)."""
    return secrets.randbits(63)


class ExpenseRecord(SQLModel, table=True):
    """One settled visit or purchase; the monitoring scan reads these in SQL.

    Append-only (corrections are new records), so no version column.
    Stored compactly (issue 10, migration 0008_compact_expense; see
    :mod:`core.models.storage`): the primary key (enrollee, time, id)
    clusters the rows the scan and the benefit sums walk (a WITHOUT ROWID
    table on SQLite, so the table is that one B-tree and needs no other
    index); times are integer seconds, kinds small integer codes.
    """

    __tablename__ = "expense_record"
    # PostgreSQL: one partition per month of occurred_at (migration 0009_pg_partitions, core.partitions)
    __table_args__ = ({"sqlite_with_rowid": False, "postgresql_partition_by": "RANGE (occurred_at)"},)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", primary_key=True)
    occurred_at: NaiveDatetime = Field(  # local clock time at the institution
        sa_column=Column(LocalEpoch(), primary_key=True, nullable=False))
    id: int = Field(default_factory=new_expense_id,
                    sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False))
    institution_id: Optional[uuid.UUID] = Field(default=None, foreign_key="institution.id")
    visit_kind: str = Field(sa_column=Column(Code(VISIT_KIND_CODES), nullable=False))  # VisitKind
    disease_code: Optional[str] = Field(default=None, max_length=32)
    amount_fen: int = Field(sa_type=BigInteger)
    settlement: str = Field(default="bookkeeping", sa_column=Column(Code(SETTLEMENT_CODES), nullable=False))
    large_equipment: bool = Field(default=False)
    source: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCEpoch(), nullable=False))


# --------------------------------------------------------------------------- monitoring


class MonitoringFlag(Record, table=True):
    """A trigger recorded by a caseworker (SZ-MT Art. 13, triggers 9-13) or a
    numeric hit kept for the record when a case is opened from it."""

    __tablename__ = "monitoring_flag"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    trigger: str = Field(max_length=32)
    month: str = Field(max_length=7)  # YYYY-MM
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 1000}))
    source: str = Field(default="manual", max_length=16)  # manual | scan
    recorded_by: str = Field(max_length=64)
    case_id: Optional[uuid.UUID] = Field(default=None, foreign_key="investigation_case.id")


class InvestigationCase(Record, table=True):
    """Investigation and suspension of bookkeeping (SZ-MT Art. 14, 15)."""

    __tablename__ = "investigation_case"
    # which policy pack decided (id + sha256 of its file; issue 9 item 8): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    __table_args__ = _states(machines.CASE)
    number: str = Field(max_length=32, unique=True, index=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    trigger: str = Field(max_length=32)
    trigger_month: str = Field(max_length=7)
    trigger_detail: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 1000}))
    status: str = Field(max_length=24, index=True)  # CaseStatus
    branch: str = Field(default="", max_length=64, index=True)
    assigned_to: Optional[str] = Field(default=None, max_length=64, index=True)
    notice_on: date
    notice_due: date
    notice_due_provisional: bool = Field(default=False)
    explanation_on: Optional[date] = None
    explanation_sufficient: Optional[bool] = None
    explanation_note: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 2000}))
    opened_on: Optional[date] = None  # case opened = suspension starts
    open_reason: str = Field(default="", max_length=32)  # no_show | insufficient
    verification_due: Optional[date] = None
    verified_on: Optional[date] = None
    outcome: Optional[str] = Field(default=None, max_length=16)  # no_violation | violation | crime
    outcome_note: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 2000}))
    decision_due: Optional[date] = None
    decision_due_provisional: bool = Field(default=False)
    decided_on: Optional[date] = None
    decided_by: Optional[str] = Field(default=None, max_length=64)
    resumption_due: Optional[date] = None
    resumption_due_provisional: bool = Field(default=False)
    resumed_on: Optional[date] = None
    closed_on: Optional[date] = None


# --------------------------------------------------------------------------- cash claims, compliance


class ReimbursementClaim(Record, table=True):
    """A cash reimbursement claim at the agency (SZ-MD Art. 10; SZ-MT Art. 14):
    receipts registered at the counter, decided per receipt, approved by a
    second caseworker. Totals are the sums of the receipts' decisions."""

    __tablename__ = "reimbursement_claim"
    # which policy pack decided (id + sha256 of its file): core.policy.stamp
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    __table_args__ = _states(machines.CLAIM)
    number: str = Field(max_length=32, unique=True, index=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollee.id", index=True)
    disease_code: str = Field(max_length=32)
    status: str = Field(max_length=16, index=True)  # ClaimStatus
    registered_on: date
    registered_by: str = Field(max_length=64)
    decided_on: Optional[date] = None
    decided_by: Optional[str] = Field(default=None, max_length=64)
    approved_on: Optional[date] = Field(default=None, index=True)  # the month of the payment list
    approved_by: Optional[str] = Field(default=None, max_length=64)
    withdrawn_on: Optional[date] = None
    withdrawn_by: Optional[str] = Field(default=None, max_length=64)
    end_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 500}))
    claimed_fen: int = Field(default=0, sa_type=BigInteger)
    basic_fen: int = Field(default=0, sa_type=BigInteger)
    supplementary_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)


class ClaimReceipt(Record, table=True):
    """One receipt of a claim and casedesk's decision on it."""

    __tablename__ = "claim_receipt"
    __table_args__ = (UniqueConstraint("claim_id", "position"),
                      Index("ix_claim_receipt_number", "institution_id", "receipt_number"))
    claim_id: uuid.UUID = Field(foreign_key="reimbursement_claim.id", index=True)
    position: int
    receipt_number: str = Field(max_length=64)
    institution_id: uuid.UUID = Field(foreign_key="institution.id")
    treated_on: date
    emergency: bool = Field(default=False)
    peritoneal_dialysis: bool = Field(default=False)
    amount_fen: int = Field(default=0, sa_type=BigInteger)  # the receipt's total
    # the decision (None until decided)
    pays: Optional[bool] = None
    counted_fen: int = Field(default=0, sa_type=BigInteger)  # what the rules count (no large equipment)
    basic_fen: int = Field(default=0, sa_type=BigInteger)
    supplementary_fen: int = Field(default=0, sa_type=BigInteger)
    paid_fen: int = Field(default=0, sa_type=BigInteger)
    # every reason with its article, in both languages (JSON list)
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))


class ClaimItem(Record, table=True):
    """An item of a receipt and its amount."""

    __tablename__ = "claim_item"
    __table_args__ = (UniqueConstraint("receipt_id", "position"),)
    receipt_id: uuid.UUID = Field(foreign_key="claim_receipt.id", index=True)
    position: int
    description: str = Field(max_length=200)
    amount_fen: int = Field(sa_type=BigInteger)
    large_equipment: bool = Field(default=False)  # SZ-MD Art. 6: does not count
    supplementary: bool = Field(default=False)  # a local supplementary insurance cost


class ComplianceReview(Record, table=True):
    """An expert review of an institution's chronic-disease files (ZZ §7)."""

    __tablename__ = "compliance_review"
    __table_args__ = (CheckConstraint("compliant_files >= 0 AND compliant_files <= reviewed_files",
                                      name="ck_compliance_review_files"),)
    policy_pack: str = Field(default="", max_length=64)
    policy_hash: str = Field(default="", max_length=64)
    institution_id: uuid.UUID = Field(foreign_key="institution.id", index=True)
    year: int = Field(index=True)
    reviewed_on: date
    reviewed_files: int
    compliant_files: int
    recorded_by: str = Field(max_length=64)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 1000}))


# --------------------------------------------------------------------------- audit & meta


class AuditEvent(SQLModel, table=True):
    """Append-only record of every state change: who, when, what, why, which rule."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)
    # always random: each side's chain is its own (an operation's derived ids are for records)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64, index=True)
    actor_role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    enrollee_id: Optional[uuid.UUID] = Field(default=None, index=True)
    before: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))
    after: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"max_chars": 1000}))
    article: str = Field(default="", max_length=64)
    # tamper evidence (core.audit): gap-free sequence and sha256 over the
    # previous event's hash and this event's canonical content
    seq: Optional[int] = Field(default=None, sa_column=Column(Integer, nullable=False, unique=True, index=True))
    hash: str = Field(default="", max_length=64)
    # the operation the change belongs to (issue 11): made at branch ``branch`` as ``op_id``,
    # the same on the branch's event and on the centre's that applied it; NULL for a change
    # made where it is recorded without travelling
    op_id: Optional[uuid.UUID] = Field(default=None, index=True)
    branch: Optional[str] = Field(default=None, max_length=16)


class Meta(SQLModel, table=True):
    """Key/value facts about the database itself (demo flag, created, pack)."""

    __tablename__ = "casedesk_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(default="", max_length=500)
