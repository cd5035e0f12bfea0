"""Plain, immutable copies of database rows: what crosses from ``core`` to the
screens and the commands.

An ORM row belongs to its session: once the session closes (a read session
ends in a rollback) its attributes expire and reading one raises
``DetachedInstanceError``. Query functions therefore return
:func:`frozen` copies — a pydantic model per table with the same field names,
``frozen=True`` (assigning raises), built once per table — or dataclasses of
their own; :func:`ensure_plain` (run by :mod:`core.gateway` on every result)
refuses anything that still holds a row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, create_model
from sqlmodel import SQLModel

T = TypeVar("T", bound=SQLModel)


@cache
def record_type(model: type[SQLModel]) -> type[BaseModel]:
    """The frozen read model of table ``model`` (``Certificate`` -> ``CertificateRecord``)."""
    fields = {name: (info.annotation, None) for name, info in model.model_fields.items()}
    cls = create_model(f"{model.__name__}Record", __config__=ConfigDict(frozen=True), **fields)  # type: ignore[call-overload]
    # the table it copies: ``core.workflows.machine_for`` finds a machine by table name
    cls.__tablename__ = model.__tablename__
    return cls


def frozen(row: T) -> T:
    """An immutable copy of ``row`` with every column loaded (typed as the row
    so callers read the same attributes; assigning to it raises)."""
    if row is None:
        return None  # type: ignore[return-value]
    model = type(row)
    values = {name: getattr(row, name) for name in model.model_fields}
    return record_type(model).model_construct(**values)  # type: ignore[return-value]


def frozen_all(rows: Iterable[T]) -> tuple[T, ...]:
    return tuple(frozen(r) for r in rows)


def is_row(value: Any) -> bool:
    """True for an instance of a mapped table (a session-bound ORM row)."""
    return isinstance(value, SQLModel) and hasattr(type(value), "__table__")


def ensure_plain(value: Any, *, where: str = "result") -> Any:
    """``value`` unchanged, or ``TypeError`` naming the first ORM row inside it
    (searched through tuples, lists, sets, dicts, dataclasses and models)."""
    seen: set[int] = set()

    def walk(v: Any, path: str) -> None:
        if v is None or isinstance(v, (str, bytes, int, float, bool)) or id(v) in seen:
            return
        seen.add(id(v))
        if is_row(v):
            raise TypeError(f"{path} is a {type(v).__name__} ORM row; return core.records.frozen(row) "
                            f"or a dataclass from the query function")
        if isinstance(v, dict):
            for k, item in v.items():
                walk(item, f"{path}[{k!r}]")
        elif isinstance(v, (list, tuple, set, frozenset)):
            for i, item in enumerate(v):
                walk(item, f"{path}[{i}]")
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                walk(getattr(v, f.name), f"{path}.{f.name}")
        elif isinstance(v, BaseModel):
            for name in type(v).model_fields:
                walk(getattr(v, name, None), f"{path}.{name}")

    walk(value, where)
    return value
