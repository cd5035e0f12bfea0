"""Lookup as the counter needs it, on a real migrated SQLite file: any number
on a card or a form, part of a name anywhere, pinyin and initials, full-width
and spaced input; void and replaced numbers say what became of them
(SZ-MD Art. 5)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import text

from certificate_world import make_world
from core.policy import load_pack
from core.db import make_engine, read_session, upgrade, write_session
from core.services import registry
from core.services import replacements
from core.services.lookup import classify, compact_number, is_number, normalise, search
from tests.conftest import make_id_number

ON = date(2026, 3, 10)
LOST = date(2026, 6, 1)
NAMES = ("李风良", "王风", "曾国藩", "张伟", "风良玉", "Li Lei")


@pytest.fixture
def people(engine, clerk):
    """Enrollees registered through the service (which writes the pinyin keys)."""
    out = {}
    with write_session(engine) as s:
        for i, name in enumerate(NAMES):
            e = registry.add_enrollee(s, clerk, id_number=make_id_number(seq=500 + i), card_number=f"SZ7{i:07d}",
                                      name=name, scheme="comprehensive")
            out[name] = (e.id_number, e.card_number)
    return out


def names(engine, query: str, **kw) -> list[str]:
    with read_session(engine) as s:
        return [r.name for r in search(s, query, **kw).rows]


# --------------------------------------------------------------------------- names and pinyin


@pytest.mark.parametrize("query, expected", [
    ("风良", ["李风良", "风良玉"]),  # two characters anywhere (gram index)
    ("良", ["李风良", "风良玉"]),  # one character anywhere
    ("风", ["李风良", "王风", "风良玉"]),
    ("李风良", ["李风良"]),  # three or more: trigram index
    ("风良玉", ["风良玉"]),
    ("李 风良", ["李风良"]),  # a space typed inside a name
    ("张三丰", []),
])
def test_part_of_a_name_anywhere(engine, people, query, expected):
    assert sorted(names(engine, query)) == sorted(expected)


@pytest.mark.parametrize("query, expected", [
    ("lifengliang", ["李风良"]),  # full pinyin
    ("fengliang", ["李风良", "风良玉"]),  # part of the pinyin anywhere
    ("Li Feng Liang", ["李风良"]),  # spaces and capitals as typed
    ("lfl", ["李风良"]),  # initials
    ("flj", []),
    ("lf", ["李风良"]),  # one or two letters: the start of the initials ...
    ("wa", ["王风"]),  # ... or of the full pinyin
    ("zeng", ["曾国藩"]),  # a surname read either way: zeng / ceng
    ("cengguofan", ["曾国藩"]),
    ("zgf", ["曾国藩"]),
    ("lilei", ["Li Lei"]),  # a name in Latin letters
    ("Li Lei", ["Li Lei"]),
    ("ｌｉｌｅｉ", ["Li Lei"]),  # full-width letters
])
def test_pinyin_full_and_initials(engine, people, query, expected):
    assert sorted(names(engine, query)) == sorted(expected)


def test_a_name_written_later_is_indexed_the_same(engine, clerk, people):
    with write_session(engine) as s:
        registry.add_enrollee(s, clerk, id_number=make_id_number(seq=600), card_number="SZ80000001",
                              name="欧阳风良", scheme="comprehensive")
    assert "欧阳风良" in names(engine, "风良")
    assert names(engine, "ouyang") == ["欧阳风良"]


def test_a_changed_name_moves_in_every_index(engine, people):
    """The indexes follow the enrollee table whoever writes it (triggers)."""
    from core.name_keys import name_keys

    k = name_keys("赵风云")
    with engine.begin() as c:
        c.execute(text("UPDATE enrollee SET name = '赵风云', name_pinyin = :p, name_initials = :i "
                       "WHERE name = '李风良'"), {"p": k.pinyin, "i": k.initials})
    assert names(engine, "风良") == ["风良玉"]
    assert names(engine, "李风良") == []
    assert names(engine, "lfl") == []
    assert names(engine, "风云") == ["赵风云"]
    assert names(engine, "zhaofengyun") == ["赵风云"]


@pytest.mark.parametrize("query", ['"', 'a"b', "风*", "NEAR(风 良)", "%", "_", "\\", "li OR le", "风'良", "--",
                                   "\x1b[31m", "\u202e风良"])
def test_query_syntax_is_only_text(engine, people, query):
    with read_session(engine) as s:
        search(s, query)  # never an FTS5 or LIKE syntax error


def test_control_characters_are_dropped_before_searching(engine, people):
    assert names(engine, "\u202e风良\x00") == names(engine, "风良")


def test_pages_are_immutable_and_ordered(engine, people):
    with read_session(engine) as s:
        page = search(s, "风", limit=2)
        rest = search(s, "风", offset=2, limit=2)
    assert isinstance(page.rows, tuple) and page.has_more and not rest.has_more
    assert [r.name for r in page.rows + rest.rows] == sorted(["李风良", "王风", "风良玉"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        page.rows[0].name = "x"  # type: ignore[misc]


def test_empty_query_refused_with_the_field(engine):
    from core.errors import DomainError

    with read_session(engine) as s, pytest.raises(DomainError) as exc:
        search(s, "  \u3000 ")
    assert exc.value.field == "query"


# --------------------------------------------------------------------------- numbers


def test_id_number_full_width_spaced_and_dashed(engine, people):
    idn, _card = people["李风良"]
    full_width = idn.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    spaced = f"{idn[:6]} {idn[6:10]} {idn[10:14]} {idn[14:]}"
    dashed = f"{idn[:6]}-{idn[6:14]}－{idn[14:]}"
    for q in (idn, full_width, spaced, dashed, idn.lower(), "\u3000" + spaced):
        assert names(engine, q) == ["李风良"], q
        assert classify(q) == "id_number"
    assert names(engine, idn[:10]) and "李风良" in names(engine, f"{idn[:6]} {idn[6:10]}")  # the start, while typing


def test_card_number_normalised(engine, people):
    _idn, card = people["王风"]
    for q in (card, card.lower(), f"{card[:2]} {card[2:6]} {card[6:]}", "ＳＺ" + card[2:]):
        assert names(engine, q) == ["王风"], q


def test_numbers_search_at_once(engine):
    assert is_number("440303 1995 0711 6087") and is_number("C-2026-7K3M9-Q2XWR") and is_number("SZ1234")
    assert not is_number("lifengliang") and not is_number("风良")
    assert compact_number("４４０３ ０３－１９") == "44030319"
    assert normalise("  Li\u3000 Lei\t") == "Li Lei"


@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)


def _lookup(engine, query: str, on: date | None = None):
    with read_session(engine) as s:
        return search(s, query, on=on, policy=load_pack())


def test_certificate_number_with_or_without_dashes(w, engine):
    cert = w.recognise(ON)
    for q in (cert.number, cert.number.replace("-", ""), cert.number.lower(), " ".join(cert.number.split("-"))):
        page = _lookup(engine, q)
        assert page.kind == "document" and [r.id for r in page.rows] == [str(w.enrollee.id)], q
        (hit,) = page.hits
        assert (hit.kind, hit.number, hit.status, hit.replaced_by) == ("certificate", cert.number, "confirmed", "")
        assert hit.note.message("en") == f"Certificate {cert.number}: confirmed."
        assert hit.note.message("zh_CN") == f"诊断证明书 {cert.number}：已确认。"


def test_sz_md_art_5_void_certificate_says_since_when_and_its_replacement(w, engine):
    old = w.recognise(ON)
    with write_session(engine) as s:
        repl = replacements.replace_certificate(s, w.clerk, policy=w.policy, number=old.number, place="hospital", card_presented=True,
                                                id_card_presented=True, on=LOST, institution_id=w.hospital.id)
    (hit,) = _lookup(engine, old.number, on=LOST).hits
    assert (hit.status, hit.ended_on, hit.replaced_by) == ("void", LOST.isoformat(), repl.new_number)
    assert hit.note.article == "SZ-MD Art. 5"
    assert f"void since {LOST.isoformat()}" in hit.note.message("en") and repl.new_number in hit.note.message("en")
    assert repl.new_number in hit.note.message("zh_CN") and "作废" in hit.note.message("zh_CN")
    (new_hit,) = _lookup(engine, repl.new_number, on=LOST).hits
    assert new_hit.status == "confirmed" and new_hit.replaced_by == ""


def test_sz_md_art_5_void_record_book_says_since_when_and_its_replacement(w, engine):
    from core.services import books

    cert = w.recognise(ON)
    with write_session(engine) as s:
        book = books.issue_book(s, w.clerk, policy=w.policy, certificate_number=cert.number, card_presented=True,
                                id_card_presented=True, on=ON, issued_at_id=None)
    with write_session(engine) as s:
        repl = replacements.replace_book(s, w.clerk, policy=w.policy, book_number=book.number, place="agency", card_presented=True,
                                         id_card_presented=True, on=LOST, institution_id=None)
    page = _lookup(engine, book.number.replace("-", " "), on=LOST)
    (hit,) = page.hits
    assert [r.id for r in page.rows] == [str(w.enrollee.id)]
    assert (hit.kind, hit.status, hit.ended_on, hit.replaced_by) == ("book", "void", LOST.isoformat(),
                                                                      repl.new_number)
    assert hit.note.message("en") == (f"Record book {book.number} was reported lost and is void since "
                                      f"{LOST.isoformat()}; its replacement is {repl.new_number}.")


def test_voucher_and_case_numbers_find_their_enrollee(engine, build, clerk, policy):
    from test_investigations import notice
    from test_offsite import file, form

    place = "Wuhan"
    person = build.enrollee(city_household=True, stationed_elsewhere=True, employment="employed",
                            employer="Shenzhen Metro Co.", residence_city=place)
    insts = [build.institution(city=place, level=lvl, public=True, designated=True, kind=kind)
             for lvl, kind in ((3, "hospital"), (2, "hospital"), (1, "community_health_centre"))]
    filing = file(engine, clerk, person, form(insts), policy)
    page = _lookup(engine, filing.voucher_number.replace("-", ""))
    assert [r.id for r in page.rows] == [str(person.id)]
    assert page.hits[0].kind == "voucher" and page.hits[0].status == "active"
    case = notice(engine, clerk, policy, person, date(2026, 9, 1))
    page = _lookup(engine, case.number.lower())
    assert [r.id for r in page.rows] == [str(person.id)] and page.hits[0].kind == "case"
    assert "调查案件" in page.hits[0].note.message("zh_CN")


def test_unknown_number_finds_nothing(engine, people):
    page = _lookup(engine, "C-2026-00000-00000")
    assert page.rows == () and page.hits == ()


# --------------------------------------------------------------------------- indexes


def _plan(engine, query: str) -> str:
    """SQLite's plan for the lookup's statements of ``query`` (the lookup runs
    them on the driver's cursor, core.db.plain_rows, so they are caught by
    the driver's trace callback, with their parameters filled in)."""
    seen: list[str] = []
    with read_session(engine) as s:
        raw = s.connection().connection.driver_connection
        raw.set_trace_callback(seen.append)
        try:
            search(s, query)
        finally:
            raw.set_trace_callback(None)
        selects = [q for q in seen if q.lstrip().upper().startswith("SELECT") and "enrollee" in q]
        return " || ".join(" | ".join(str(r[-1]) for r in raw.execute("EXPLAIN QUERY PLAN " + q).fetchall())
                           for q in selects)


@pytest.mark.parametrize("query", ["风良", "良", "李风良", "fengliang", "lfl", "lf", "w", "440304", "SZ7000"])
def test_every_query_uses_an_index_never_a_table_scan(engine, people, query):
    plan = _plan(engine, query)
    assert plan
    assert "SCAN e " not in plan + " " and "SCAN enrollee " not in plan + " ", plan
    assert "SCAN enrollee_search_gram" not in plan and "SCAN g " not in plan + " ", plan


def test_migration_backfills_existing_enrollees(tmp_path):
    """Enrollees written before 0004 get their keys and index entries."""
    eng = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(eng, "0002")
    with eng.begin() as c:
        c.execute(text(
            "INSERT INTO enrollee (id, version, created_at, updated_at, id_number, card_number, name, sex, scheme, "
            "supplementary, city_household, employment, employer, phone, address, residence_city, "
            "residence_province, residence_mainland, stationed_elsewhere, account_state, individual_account_fen, "
            "branch, is_demo) VALUES ('0123456789abcdef0123456789abcdef', 1, '2026-01-01', '2026-01-01', :idn, "
            "'SZ00000042', '李风良', 'M', 'comprehensive', 0, 0, 'employed', '', '', '', '', '', 1, 0, 'normal', 0, "
            "'', 0)"), {"idn": make_id_number(seq=42)})
    upgrade(eng)
    for q in ("风良", "良", "李风良", "lifengliang", "lfl"):
        assert names(eng, q) == ["李风良"], q
    eng.dispose()


def test_two_letters_pages_through_initials_then_pinyin(engine, clerk, people):
    with write_session(engine) as s:
        registry.add_enrollee(s, clerk, id_number=make_id_number(seq=610), card_number="SZ80000010",
                              name="王安", scheme="comprehensive")  # initials wa
    with read_session(engine) as s:
        pages = [search(s, "wa", offset=i, limit=1) for i in range(3)]
    assert [[r.name for r in p.rows] for p in pages] == [["王安"], ["王风"], []]
    assert [p.has_more for p in pages] == [True, False, False]
    assert names(engine, "wa") == ["王安", "王风"]


def test_cli_lookup_of_a_demo_void_book_says_since_when_and_its_replacement(tmp_path, monkeypatch):
    """`casedesk lookup` on the demo's lost-and-replaced record book (SZ-MD Art. 5)."""
    import json

    from typer.testing import CliRunner

    from cli.main import app

    runner = CliRunner()
    monkeypatch.setenv("CASEDESK_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("CASEDESK_CONFIG", str(tmp_path / "none.toml"))
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    assert runner.invoke(app, ["demo", "--enrollees", "40"]).exit_code == 0
    eng = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with eng.connect() as c:
        old, new = c.execute(text("SELECT old_number, new_number FROM replacement WHERE item_kind = 'book'")).first()
    eng.dispose()
    r = runner.invoke(app, ["lookup", old.replace("-", " ").lower()])
    assert r.exit_code == 0, r.output
    assert "[SZ-MD Art. 5]" in r.output and "void since" in r.output and new in r.output
    r = runner.invoke(app, ["--lang", "zh_CN", "lookup", old, "--json"])
    (hit,) = json.loads(r.output)["hits"]
    assert hit["replaced_by"] == new and "作废" in hit["note"]["message"]


def test_imported_enrollees_are_found_by_pinyin_and_name_part(engine, clerk, tmp_path):
    """The CSV importer writes through the registry service, keys and all."""
    from core.services.importer import import_csv

    csv = tmp_path / "e.csv"
    csv.write_text("id_number,card_number,name,scheme,supplementary,city_household,employment\n"
                   f"{make_id_number(seq=620)},SZ6200001,欧阳风良,comprehensive,1,1,employed\n", encoding="utf-8")
    import_csv(engine, clerk, "enrollees", csv)
    for q in ("风良", "ouyangfengliang", "oyfl", "oy"):
        assert names(engine, q) == ["欧阳风良"], q


def test_every_kind_of_lookup_shows_the_birth_date(engine, people):
    """The lookup list's Born column: the plain-SQL rows convert the stored
    date the way the ORM would, whatever the query kind."""
    from sqlmodel import select

    from core.models import Enrollee

    with read_session(engine) as s:
        born = {e.name: e.birth_date.isoformat() for e in s.exec(select(Enrollee)) if e.birth_date}
    assert born.get("李风良"), "the registry derives the birth date from the ID number"
    id_number, card = people["李风良"]
    for query in (id_number, card, "李风良", "lifengliang"):
        with read_session(engine) as s:
            rows = [r for r in search(s, query).rows if r.name == "李风良"]
        assert [r.birth_date for r in rows] == [born["李风良"]], query
