"""The pull side of branch sync (issue 11 items 1, 2, 6; migration 0010_sync_changes).

``sync_change``          central PostgreSQL: one row per row written, filled by
                         statement-level triggers in the writer's own transaction
                         (``core.sync.changes``); the branch reads it from a
                         cursor ``(txid, seq)``. Empty on SQLite.
``sync_branch``          branch SQLite: this terminal's branch, its link to the
                         centre (never a password) and the pull's high-water mark.
``central_audit_event``  branch SQLite: the centre's audit events of the records
                         pulled (the centre's chain, kept as it is; not part of
                         the branch's own chain).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, Index, Integer, Text, func
from sqlmodel import Field, SQLModel

from core.models.base import utcnow


class SyncChange(SQLModel, table=True):
    """A row of a pulled table was inserted, updated or deleted centrally."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_cursor", "txid", "seq"),)
    seq: Optional[int] = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                              primary_key=True, autoincrement=True))
    txid: int = Field(sa_type=BigInteger)  # pg_current_xact_id() of the writing transaction
    tbl: str = Field(max_length=64)
    row_id: str = Field(max_length=64)  # the row's ``id`` as text
    enrollee_id: Optional[uuid.UUID] = None  # whose record it is; None = master data
    op: str = Field(max_length=1)  # I | U | D
    at: datetime = Field(default_factory=utcnow,
                         sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()))


class SyncBranch(SQLModel, table=True):
    """This terminal is a branch: one row, written by ``casedesk branch init``."""

    __tablename__ = "sync_branch"
    __table_args__ = (CheckConstraint("id = 1", name="ck_sync_branch_one_row"),)
    id: int = Field(default=1, primary_key=True)
    code: str = Field(max_length=16)
    central_url: str = Field(max_length=500)  # never holds a password (core.sync.link)
    passfile: str = Field(default="", max_length=500)  # libpq passfile, 0600
    area: str = Field(default="", max_length=500)  # enrollee branch codes, comma-separated; '' = the whole city
    pulled_txid: int = Field(default=0, sa_type=BigInteger)  # high-water mark: (txid, seq) of sync_change
    pulled_seq: int = Field(default=0, sa_type=BigInteger)
    central_policy: str = Field(default="", max_length=64)  # the centre's pack id
    initialised_at: datetime = Field(default_factory=utcnow)
    initialised_by: str = Field(default="", max_length=64)
    last_pull_at: Optional[datetime] = None
    last_pull_changes: int = Field(default=0)
    last_push_at: Optional[datetime] = None  # written by the push (core.sync.push)
    last_push_ops: int = Field(default=0)


class CentralAuditEvent(SQLModel, table=True):
    """An audit event of the centre, as the centre wrote it (seq and hash are
    the centre's chain)."""

    __tablename__ = "central_audit_event"
    __table_args__ = (Index("ix_central_audit_entity", "entity", "entity_id"),)
    id: uuid.UUID = Field(primary_key=True)
    at: datetime
    actor: str = Field(max_length=64)
    actor_role: str = Field(max_length=16)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    enrollee_id: Optional[uuid.UUID] = Field(default=None, index=True)
    before: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))
    after: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", info={"raw": True}))
    article: str = Field(default="", max_length=64)
    seq: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    hash: str = Field(default="", max_length=64)
    # the operation and branch the event belongs to (audit_event's columns of migration 0011_sync_outbox)
    op_id: Optional[uuid.UUID] = Field(default=None)
    branch: Optional[str] = Field(default=None, max_length=16)
