"""Keyset paging of the lookup (issue 10 item 4): walking ``next_after``
returns exactly the rows, in the same order, that OFFSET paging returns, for
every kind of query; a marker casedesk did not give is refused by field."""

from __future__ import annotations

import pytest

from core.db import read_session, write_session
from core.errors import DomainError
from core.services import registry
from core.services.lookup import search
from tests.conftest import make_id_number

NAMES = ["王安", "王风", "王安国", "汪安", "万安", "李王安", "王小安", "安王", "吴安", "王", "王安安", "Wang An"]


@pytest.fixture
def crowd(engine, clerk):
    with write_session(engine) as s:
        for i in range(36):
            registry.add_enrollee(s, clerk, id_number=make_id_number(seq=100 + i), card_number=f"SZ9{i:07d}",
                                  name=NAMES[i % len(NAMES)], scheme="comprehensive")


def by_offset(s, q, size):
    out, offset = [], 0
    while True:
        page = search(s, q, offset=offset, limit=size)
        out += [r.id for r in page.rows]
        if not page.has_more:
            return out
        offset += size


def by_keyset(s, q, size):
    out, after, pages = [], None, 0
    while True:
        page = search(s, q, after=after, limit=size)
        out += [r.id for r in page.rows]
        pages += 1
        assert page.has_more == bool(page.next_after)
        if not page.has_more:
            return out
        after = page.next_after
        assert pages < 100


@pytest.mark.parametrize("query", ["王", "安", "王安", "王安国", "wang", "wa", "w", "wan", "440304", "SZ9000001", "SZ900000"])
@pytest.mark.parametrize("size", [1, 3, 7])
def test_keyset_pages_equal_offset_pages(engine, crowd, query, size):
    with read_session(engine) as s:
        expected = by_offset(s, query, size)
        assert expected, query
        assert by_keyset(s, query, size) == expected
        assert len(set(expected)) == len(expected)


def test_a_marker_casedesk_did_not_give_is_refused_by_field(engine, crowd):
    with read_session(engine) as s:
        for bad in ("not-a-marker", "W10=", "eyJ4Ijp9"):
            with pytest.raises(DomainError) as exc:
                search(s, "王", after=bad)
            assert exc.value.field == "after"


def test_a_marker_of_another_query_kind_starts_from_the_first_page(engine, crowd):
    with read_session(engine) as s:
        numbers = search(s, "SZ900000", limit=2)
        first = search(s, "王", limit=2)
        assert search(s, "王", after=numbers.next_after, limit=2).rows == first.rows
