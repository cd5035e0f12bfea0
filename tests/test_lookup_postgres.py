"""Lookup on a real PostgreSQL 15 (the throwaway cluster of tests/pg_cluster.py):
pg_trgm for three characters or more, the gram GIN index for one or two, the same answers as on SQLite, and every query able to
use an index. pg_trgm counts CJK characters as word characters only under a
UTF-8 LC_CTYPE (see migration 0004): the database runs in C.UTF-8, and once
more in plain C, where the answers must stay the same (the index scans)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.auth import Actor
from core.db import make_engine, read_session, upgrade, write_session
from core.services import registry
from core.services.lookup import search
from tests.conftest import make_id_number

pytestmark = pytest.mark.postgres
NAMES = ("李风良", "王风", "曾国藩", "张伟", "风良玉", "Li Lei")


@pytest.fixture(scope="module", params=["C.UTF-8", "C"])
def pg_engine(request, pg_cluster):
    name = pg_cluster.new_database(locale=request.param)
    eng = make_engine(pg_cluster.url(name))
    eng.test_locale = request.param  # type: ignore[attr-defined]
    upgrade(eng)
    clerk = Actor("pgclerk", "clerk", "futian")
    with write_session(eng) as s:
        for i, name_ in enumerate(NAMES):
            registry.add_enrollee(s, clerk, id_number=make_id_number(seq=700 + i), card_number=f"PG7{i:07d}",
                                  name=name_, scheme="comprehensive")
    yield eng
    eng.dispose()
    pg_cluster.drop_database(name)


def names(eng, query: str) -> list[str]:
    with read_session(eng) as s:
        return sorted(r.name for r in search(s, query).rows)


@pytest.mark.parametrize("query, expected", [
    ("风良", ["李风良", "风良玉"]),
    ("良", ["李风良", "风良玉"]),
    ("李风良", ["李风良"]),
    ("李 风良", ["李风良"]),
    ("lifengliang", ["李风良"]),
    ("fengliang", ["李风良", "风良玉"]),
    ("lfl", ["李风良"]),
    ("lf", ["李风良"]),
    ("wa", ["王风"]),
    ("zeng", ["曾国藩"]),
    ("Li Lei", ["Li Lei"]),
    ("张三丰", []),
    ("%", []),
    ("_风", []),
])
def test_postgres_names_and_pinyin(pg_engine, query, expected):
    assert names(pg_engine, query) == expected


def test_postgres_numbers_normalised(pg_engine):
    idn = make_id_number(seq=700)
    full_width = idn.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    for q in (idn, full_width, f"{idn[:6]} {idn[6:10]} {idn[10:14]} {idn[14:]}", "pg7 000 0001"):
        assert names(pg_engine, q) in (["李风良"], ["王风"]), q


def test_postgres_a_changed_name_moves_in_the_indexes(pg_engine):
    with pg_engine.begin() as c:
        c.execute(text("UPDATE enrollee SET name = '张伟明' WHERE name = '张伟'"))
    assert names(pg_engine, "伟明") == ["张伟明"]
    with pg_engine.begin() as c:
        c.execute(text("UPDATE enrollee SET name = '张伟' WHERE name = '张伟明'"))


@pytest.mark.parametrize("query, index", [
    ("风良", "ix_enrollee_search_grams"),
    ("良", "ix_enrollee_search_grams"),
    ("李风良", "ix_enrollee_search_name"),
    ("fengliang", "ix_enrollee_search_name_pinyin"),
    ("lfl", "ix_enrollee_search_name_initials"),
])
def test_postgres_queries_can_use_their_index(pg_engine, query, index):
    if pg_engine.test_locale == "C":
        pytest.skip("in the C locale pg_trgm extracts no trigrams from CJK")
    """With full scans priced out, the planner reaches for the index:
    the query's expression is the one the index was built on, and (for CJK)
    pg_trgm extracted trigrams from it."""
    from sqlalchemy import event

    plans: list[str] = []

    def grab(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "FROM enrollee" in statement:
            cursor.execute("SET LOCAL enable_seqscan = off")  # and a walk of a whole B-tree in sort order
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + statement, params)
            plans.append("\n".join(r[0] for r in cursor.fetchall()))

    event.listen(pg_engine, "before_cursor_execute", grab)
    try:
        with read_session(pg_engine) as s:
            search(s, query)
    finally:
        event.remove(pg_engine, "before_cursor_execute", grab)
    plan = "\n".join(plans)
    assert index in plan, plan


def test_postgres_trigrams_see_chinese_in_a_utf8_locale(pg_engine):
    with pg_engine.connect() as c:
        grams = c.execute(text("SELECT show_trgm('李风良')")).scalar_one()
    if pg_engine.test_locale == "C":
        assert grams == []  # why the README asks for a UTF-8 LC_CTYPE
    else:
        assert len(grams) >= 3, grams
