"""Monthly partitions of ``expense_record`` on PostgreSQL (migration 0009_pg_partitions).

Every writer of expense rows calls :func:`ensure_expense_months` in its own
transaction before it inserts, so each month it writes has its partition
and the monitoring scan (SZ-MT Art. 13) reads only the months of its windows.
A month nobody prepared still lands in the default partition (nothing is
refused); the next writer of that month moves it out. SQLite: nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import BigInteger, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

from core.models.storage import from_local_epoch, local_epoch

#: partitions are named expense_record_yYYYYmMM; the rest is the default
PARTITION_PREFIX = "expense_record_y"
DEFAULT_PARTITION = "expense_record_default"

_ENSURE = text("SELECT expense_month_partition(t) FROM unnest(:months) AS t").bindparams(
    bindparam("months", type_=ARRAY(BigInteger)))
_TXN_KEY = "casedesk.expense_months"


def month_start(at: datetime | date | int) -> int:
    """Local-epoch seconds of the first instant of the month holding ``at``."""
    d = from_local_epoch(at) if isinstance(at, int) else at
    return local_epoch(date(d.year, d.month, 1))


def partition_name(at: datetime | date | int) -> str:
    d = from_local_epoch(at) if isinstance(at, int) else at
    return f"{PARTITION_PREFIX}{d.year:04d}m{d.month:02d}"


def ensure_expense_months(conn, times: Iterable[datetime | date | int]) -> list[str]:
    """Make sure the months of ``times`` have their partitions, creating the
    missing ones (a Session or Connection, in its transaction); the
    partitions' names, in month order. The months made sure of are remembered for the rest of the
    transaction (a rolled-back partition is gone, so no longer)."""
    bind = conn.get_bind() if hasattr(conn, "get_bind") else conn
    if bind.dialect.name != "postgresql":
        return []
    cached = conn.info.get(_TXN_KEY)
    txn = conn.get_transaction()
    done: set[int] = cached[1] if cached and txn is not None and cached[0] is txn else set()
    months = sorted({month_start(t) for t in times} - done)
    if not months:
        return []
    names = list(conn.execute(_ENSURE, {"months": months}).scalars())
    conn.info[_TXN_KEY] = (conn.get_transaction(), done | set(months))
    return names
