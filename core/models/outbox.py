"""The push side of branch sync (issue 11 items 3-5, migration 0011_sync_outbox).

Branch SQLite: ``sync_outbox`` (every state change made at the branch, written
in the same local transaction as the change; never deleted) and
``branch_counter`` (per-branch number sequences). Central PostgreSQL:
``sync_submission`` (the only table a branch's database role may INSERT into)
and ``sync_applied`` (one row per operation the central applier has taken:
the unique key makes an operation take effect once). Every table exists on
both dialects so one schema serves both; each is filled on one side only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, Column, Integer, Text
from sqlmodel import Field, SQLModel

from core.models.base import utcnow


class OutboxOp(SQLModel, table=True):
    """An operation made at this branch, oldest first (``seq``)."""

    __tablename__ = "sync_outbox"
    seq: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    op_id: uuid.UUID = Field(unique=True, index=True)
    seed: uuid.UUID  # the ids of the rows it creates derive from it (a retry keeps it)
    service: str = Field(max_length=64)
    inputs: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}", info={"raw": True}))
    actor: str = Field(max_length=64)
    actor_role: str = Field(max_length=16)
    branch: str = Field(max_length=16)
    local_at: str = Field(max_length=40)  # ISO local time with its UTC offset
    reads: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}", info={"raw": True}))
    touched: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]", info={"raw": True}))
    numbers: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]", info={"raw": True}))
    state: str = Field(default="pending", max_length=16, index=True)  # pending|submitted|applied|conflict|resolved
    reasons: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]", info={"raw": True}))
    resolution: str = Field(default="", max_length=16)  # take_central | retry
    resolved_by: str = Field(default="", max_length=64)
    retry_of: Optional[uuid.UUID] = None
    created_at: datetime = Field(default_factory=utcnow)
    submitted_at: Optional[datetime] = None
    outcome_at: Optional[datetime] = None


class BranchCounter(SQLModel, table=True):
    """The last number a branch gave out, per series (``C-2026``, ``OF2026`` …)."""

    __tablename__ = "branch_counter"
    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0)


class SyncSubmission(SQLModel, table=True):
    """An operation a branch submitted (central). Branches only INSERT here."""

    __tablename__ = "sync_submission"
    # a branch's role may INSERT but not read this table: no RETURNING of the new key
    __table_args__ = {"implicit_returning": False}
    id: Optional[int] = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                             primary_key=True, autoincrement=True))
    op_id: uuid.UUID = Field(unique=True)
    branch: str = Field(max_length=16, index=True)
    seq: int
    payload: str = Field(sa_column=Column(Text, nullable=False, info={"raw": True}))
    submitted_at: datetime = Field(default_factory=utcnow)


class SyncApplied(SQLModel, table=True):
    """What the central applier did with an operation, in the transaction that did it."""

    __tablename__ = "sync_applied"
    op_id: uuid.UUID = Field(primary_key=True)
    branch: str = Field(max_length=16, index=True)
    outcome: str = Field(max_length=16)  # applied | conflict
    reasons: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]", info={"raw": True}))
    applied_at: datetime = Field(default_factory=utcnow)
