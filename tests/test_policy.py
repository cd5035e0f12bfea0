"""Policy packs: the shipped packs load, carry the RULES.md numbers, and a
malformed pack is refused with a PolicyError naming file, key and problem.

Expected values are written here from RULES.md, never read back from the packs.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

from core.policy import (
    DEFAULT_PACK,
    PolicyError,
    available_packs,
    load_file,
    load_pack,
    packs_dir,
)

ALL_SCHEMES = {"comprehensive", "inpatient", "migrant"}
ARTICLE_RE = re.compile(r"^(SZ-MD|SZ-MT) Art\. \d+|^ZZ §\d+")


@pytest.fixture(scope="module")
def sz():
    return load_pack("shenzhen-2008")


@pytest.fixture(scope="module")
def zz():
    return load_pack("zezhou")


# --------------------------------------------------------------------- loading


def test_default_pack_is_shenzhen():
    assert DEFAULT_PACK == "shenzhen-2008"
    assert load_pack().id == "shenzhen-2008"


def test_both_packs_shipped_and_load():
    assert {"shenzhen-2008", "zezhou"} <= set(available_packs())
    for pack_id in ("shenzhen-2008", "zezhou"):
        p = load_pack(pack_id)
        assert p.id == pack_id
        assert p.pack.id == Path(packs_dir() / f"{pack_id}.toml").stem


def test_load_by_path_only_where_allowed(tmp_path):
    """Issue 9 item 8: outside demo a pack comes from the installed packs
    (or the admin-owned ``policy_dir``), never from a path."""
    path = str(packs_dir() / "zezhou.toml")
    assert load_pack(path, allow_path=True).id == "zezhou"
    with pytest.raises(PolicyError, match="only on a demo database"):
        load_pack(path)
    lax = tmp_path / "lax.toml"
    lax.write_bytes((packs_dir() / "shenzhen-2008.toml").read_bytes())
    with pytest.raises(PolicyError, match="only on a demo database"):
        load_pack(str(lax))
    with pytest.raises(PolicyError, match="not a pack id"):
        load_pack("x" * 100_000)


def test_admin_owned_policy_dir(tmp_path):
    own = tmp_path / "packs"
    own.mkdir(mode=0o755)
    (own / "local.toml").write_bytes((packs_dir() / "zezhou.toml").read_bytes())
    (own / "local.toml").chmod(0o644)
    assert load_pack("local", policy_dir=str(own)).id == "zezhou"
    (own / "local.toml").chmod(0o666)
    load_pack.cache_clear()
    with pytest.raises(PolicyError, match="writable by group or others"):
        load_pack("local", policy_dir=str(own))


def test_pack_content_hash_is_the_files_sha256():
    import hashlib

    p = load_pack("shenzhen-2008")
    assert p.content_hash == hashlib.sha256((packs_dir() / "shenzhen-2008.toml").read_bytes()).hexdigest()


def test_unknown_pack_refused():
    with pytest.raises(PolicyError) as ei:
        load_pack("no-such-city")
    assert "no-such-city.toml" in str(ei.value)


# ------------------------------------------------------------ Shenzhen numbers


def test_shenzhen_pack_info(sz):
    assert sz.pack.city == "Shenzhen"
    assert sz.pack.city_zh == "深圳"
    assert sz.pack.name_zh == "深圳市社会医疗保险门诊大病管理办法"
    assert str(sz.pack.effective) == "2008-04-01"
    assert sz.pack.sources
    # SZ-MD Art. 4: two signatures from the reported team list, the head
    # among them, deputy chief or above; the department director is no signer.
    sig = sz.certificates.signatures
    assert (sig.required, sig.min_title, sig.team_list_required, sig.head_must_sign, sig.director_may_sign) == (
        2, "deputy_chief", True, True, False)
    assert sig.article == "SZ-MD Art. 4"
    assert sz.certificates.offsite_min_level == 2  # SZ-MD Art. 4(2)
    assert sz.certificates.article_offsite == "SZ-MD Art. 4(2)"
    # SZ-MT Art. 9-10: three institutions, township or higher, triplicate.
    assert (sz.offsite.institutions, sz.offsite.min_level, sz.offsite.form_copies) == (3, 1, 3)
    assert (sz.offsite.article_who, sz.offsite.article_form) == ("SZ-MT Art. 9", "SZ-MT Art. 10")
    # SZ-MD Art. 10(a): these therapies are reimbursed in cash.
    assert set(sz.treatment.cash_therapies) == {"peritoneal_dialysis", "transplant", "kidney_transplant", "tumour"}


def test_shenzhen_validity_and_deadlines(sz):
    assert sz.validity.category_1_years == 2
    assert sz.validity.category_2_years is None  # RULES.md §4 Reading
    assert sz.validity_years(1) == 2
    assert sz.validity_years(2) is None
    assert sz.validity.renewal_window_months == 3
    assert sz.deadlines.notice_working_days == 10
    assert sz.deadlines.verification_calendar_days == 90
    assert sz.deadlines.decision_working_days == 10
    assert sz.deadlines.resumption_working_days == 5


def test_shenzhen_benefits(sz):
    b = sz.benefits.params
    assert sz.benefits.formula == "account_then_pooling"
    assert b.cat1_threshold_pct_of_avg_wage == Decimal(5)
    assert b.cat1_basic_pooling_pct == Decimal(70)
    assert b.cat1_supplementary_pooling_pct == Decimal(70)
    assert b.cat2_basic_pct == Decimal(90)
    assert b.cat2_supplementary_pct == Decimal(80)
    assert (b.article_cat1, b.article_cat2) == ("SZ-MD Art. 6", "SZ-MD Art. 7")
    assert sz.benefits.max_diseases is None and not sz.benefits.none_while_hospitalised


def test_shenzhen_average_wage_demo(sz):
    years = [w.year for w in sz.average_wage]
    assert years == list(range(2020, 2027))
    assert all(w.demo for w in sz.average_wage)
    assert all(Decimal(50_000) < w.yuan < Decimal(300_000) for w in sz.average_wage)
    assert sz.average_wage_for(2025) is not None
    assert sz.average_wage_for(1999) is None


def test_shenzhen_catalogue_counts(sz):
    cat1 = [d for d in sz.diseases if d.category == 1]
    cat2 = [d for d in sz.diseases if d.category == 2]
    assert len(cat1) == 14
    assert len(cat2) == 3
    assert [d.code for d in cat1] == [f"MD-I-{i:02d}" for i in range(1, 15)]
    assert [d.code for d in cat2] == ["MD-II-01", "MD-II-02", "MD-II-03"]


def test_shenzhen_schemes_by_category(sz):
    # SZ-MD Art. 3
    for d in sz.diseases:
        if d.category == 1:
            assert d.schemes == ["comprehensive"], d.code
        else:
            assert set(d.schemes) == ALL_SCHEMES, d.code


def test_shenzhen_category2_therapies(sz):
    assert sz.disease("MD-II-01").therapy == "dialysis"
    assert sz.disease("MD-II-02").therapy == "transplant"
    assert sz.disease("MD-II-03").therapy == "tumour"
    assert all(d.therapy == "none" for d in sz.diseases if d.category == 1)


def test_shenzhen_specialties(sz):
    assert sz.disease("MD-I-01").specialty == "cardiology"
    assert sz.disease("MD-I-14").specialty == "psychiatry"
    assert sz.disease("MD-II-01").specialty == "nephrology"
    assert sz.disease("MD-II-03").specialty == "oncology"
    for d in sz.diseases:
        assert re.fullmatch(r"[a-z_]+", d.specialty), d.code
        assert d.admission_criteria_en.strip() and d.admission_criteria_zh.strip()


def test_transplant_organs(sz):
    t = sz.disease("MD-II-02")
    organs = {o.code: o for o in t.organs}
    basic = {"kidney", "heart_valve", "cornea", "bone", "skin", "blood_vessel", "bone_marrow"}
    supp = {"heart", "liver"}
    assert set(organs) == basic | supp
    for code in basic:
        assert organs[code].requires_supplementary is False, code
    for code in supp:
        assert organs[code].requires_supplementary is True, code
    assert t.requires_supplementary is False
    # Trigger 8 keys off kidney transplant: the kidney organ carries it.
    assert t.therapy_for("kidney") == "kidney_transplant"
    assert t.therapy_for("heart") == "transplant"
    assert t.therapy_for(None) == "transplant"
    assert sz.disease("MD-II-01").therapy_for(None) == "dialysis"


def test_every_trigger_therapy_is_reachable(sz):
    reachable = set()
    for d in sz.diseases:
        reachable.add(d.therapy_for(None))
        for o in d.organs:
            reachable.add(d.therapy_for(o.code))
    for t in sz.monitoring.triggers:
        if t.therapy:
            assert t.therapy in reachable, t.code


# RULES.md §11, written out here: number -> (kind, threshold, therapy)
EXPECTED_TRIGGERS = {
    1: ("visits_month", Decimal(15), None),
    2: ("visits_3months", Decimal(30), None),
    3: ("cost_month", Decimal(6000), None),
    4: ("general_cost_year", Decimal(20000), None),
    5: ("inpatient_scheme_cost_year", Decimal(800), None),
    6: ("therapy_cost_month", Decimal(10000), "tumour"),
    7: ("therapy_cost_month", Decimal(15000), "dialysis"),
    8: ("therapy_cost_month", Decimal(15000), "kidney_transplant"),
    9: ("manual", None, None),
    10: ("manual", None, None),
    11: ("manual", None, None),
    12: ("manual", None, None),
    13: ("manual", None, None),
}


@pytest.mark.parametrize("pack_id", ["shenzhen-2008", "zezhou"])
def test_trigger_thresholds(pack_id):
    p = load_pack(pack_id)
    m = p.monitoring
    assert m.visit_merge_hours == Decimal(4)
    assert m.consecutive_months == 3
    got = {t.number: (t.kind, t.threshold, t.therapy) for t in m.triggers}
    assert got == EXPECTED_TRIGGERS
    for t in m.triggers:
        assert re.fullmatch(rf"T{t.number:02d}-[a-z0-9-]+", t.code), t.code
        assert p.trigger(t.code) is t
        assert t.name_en and t.name_zh


# -------------------------------------------------------------- Zezhou numbers


def test_zezhou_pack(zz):
    assert zz.pack.city == "Zezhou"
    assert zz.pack.city_zh == "泽州"
    b = zz.benefits
    assert b.formula == "capped_monthly_rate"
    assert b.params.community_pct == Decimal(80)
    assert b.params.other_pct == Decimal(60)
    assert b.params.article == "ZZ §4"
    assert b.max_diseases == 2 and b.article_max_diseases == "ZZ §4"
    assert b.none_while_hospitalised is True and b.article_hospitalised == "ZZ §4"
    assert b.pooling_max_yuan == Decimal(40000)
    # ZZ §3: one signature, associate-senior title (= deputy chief) or the
    # department director; the text has no diagnostic-team list, so no head.
    sig = zz.certificates.signatures
    assert (sig.required, sig.min_title, sig.team_list_required, sig.head_must_sign, sig.director_may_sign) == (
        1, "deputy_chief", False, False, True)
    assert sig.article == "ZZ §3" and zz.certificates.article == "ZZ §3"
    assert zz.treatment.cash_therapies == []
    # Reused Shenzhen numbers (ZZ has none of its own).
    assert zz.validity.category_1_years == 2
    assert zz.deadlines.notice_working_days == 10
    assert zz.deadlines.verification_calendar_days == 90


def test_zezhou_catalogue(zz):
    assert len(zz.diseases) == 11
    zh = {d.name_zh for d in zz.diseases}
    for name in ("糖尿病", "高血压病（二、三期）", "冠心病", "帕金森病",
                 "类风湿关节炎", "系统性红斑狼疮", "恶性肿瘤"):
        assert name in zh
    for d in zz.diseases:
        assert d.monthly_cap_yuan is not None and d.monthly_cap_yuan > 0, d.code
        assert set(d.schemes) == ALL_SCHEMES, d.code
        assert d.category == 1, d.code
        assert d.article == "ZZ §1", d.code


# ------------------------------------------------------------ text hygiene


def _ambiguous(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.east_asian_width(ch) == "A"]


@pytest.mark.parametrize("pack_id", ["shenzhen-2008", "zezhou"])
def test_no_ambiguous_width_in_names(pack_id):
    p = load_pack(pack_id)
    texts = [p.pack.name_en, p.pack.name_zh, p.pack.city, p.pack.city_zh]
    for d in p.diseases:
        texts += [d.name_en, d.name_zh, d.admission_criteria_en, d.admission_criteria_zh]
        for o in d.organs:
            texts += [o.name_en, o.name_zh]
    for t in p.monitoring.triggers:
        texts += [t.name_en, t.name_zh]
    bad = {t: _ambiguous(t) for t in texts if _ambiguous(t)}
    assert not bad, bad


def _article_values(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if k.startswith("article") and isinstance(v, str):
                yield f"{path}.{k}", v
            else:
                yield from _article_values(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _article_values(v, f"{path}[{i}]")


@pytest.mark.parametrize("pack_id", ["shenzhen-2008", "zezhou"])
def test_article_tag_format(pack_id):
    path = packs_dir() / f"{pack_id}.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    values = list(_article_values(raw))
    assert values, "pack cites no articles"
    bad = [(k, v) for k, v in values if not ARTICLE_RE.match(v)]
    assert not bad, bad
    # Every tag the loaded pack carries (no tag has a default).
    from core.policy import article_tags

    p = load_pack(pack_id)
    loaded = article_tags(p)
    assert len(loaded) >= len(values)
    assert all(ARTICLE_RE.match(a) for _, a in loaded), loaded


def test_article_tags_match_pack_source(zz, sz):
    assert all(d.article.startswith("SZ-MD Art.") for d in sz.diseases)
    assert all(d.article.startswith("ZZ §") for d in zz.diseases)


# ---------------------------------------------------------- malformed packs


def _shenzhen_text() -> str:
    return (packs_dir() / "shenzhen-2008.toml").read_text(encoding="utf-8")


def _zezhou_text() -> str:
    return (packs_dir() / "zezhou.toml").read_text(encoding="utf-8")


def _refused(tmp_path: Path, text: str) -> PolicyError:
    f = tmp_path / "bad-pack.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as ei:
        load_file(f)
    err = ei.value
    assert err.file == str(f)
    assert str(f) in str(err)
    return err


def _has(err: PolicyError, key_part: str, msg_part: str) -> bool:
    return any(key_part in k and msg_part.lower() in m.lower() for k, m in err.problems)


def test_valid_copy_loads(tmp_path):
    f = tmp_path / "copy.toml"
    f.write_text(_shenzhen_text(), encoding="utf-8")
    assert load_file(f).id == "shenzhen-2008"


def test_missing_key_refused(tmp_path):
    text = _shenzhen_text().replace("notice_working_days = 10", "", 1)
    err = _refused(tmp_path, text)
    assert _has(err, "deadlines.notice_working_days", "required"), err.problems
    assert "deadlines.notice_working_days" in str(err)


def test_wrong_type_refused(tmp_path):
    text = _shenzhen_text().replace(
        "verification_calendar_days = 90", 'verification_calendar_days = "ninety"', 1
    )
    err = _refused(tmp_path, text)
    assert _has(err, "deadlines.verification_calendar_days", "integer"), err.problems


def test_percentage_over_100_refused(tmp_path):
    text = _shenzhen_text().replace("cat2_basic_pct = 90", "cat2_basic_pct = 150", 1)
    err = _refused(tmp_path, text)
    assert _has(err, "benefits.params", "cat2_basic_pct: Input should be less than or equal to 100"), err.problems
    assert "150" in str(err)


def test_duplicate_disease_code_refused(tmp_path):
    text = _shenzhen_text().replace('code = "MD-I-02"', 'code = "MD-I-01"', 1)
    err = _refused(tmp_path, text)
    assert _has(err, "diseases", "disease code 'MD-I-01' appears twice"), err.problems


def test_zezhou_disease_without_cap_refused(tmp_path):
    text = _zezhou_text().replace("monthly_cap_yuan = 200\n", "", 1)
    err = _refused(tmp_path, text)
    assert _has(err, "diseases", "'ZZ-02' needs monthly_cap_yuan"), err.problems


def test_toml_syntax_error_refused(tmp_path):
    text = _shenzhen_text().replace('city = "Shenzhen"', 'city = "Shenzhen', 1)
    err = _refused(tmp_path, text)
    assert _has(err, "(syntax)", "line"), err.problems


def test_unknown_key_refused(tmp_path):
    text = _shenzhen_text().replace("[validity]\n", "[validity]\ncategory_3_years = 1\n", 1)
    err = _refused(tmp_path, text)
    assert _has(err, "validity.category_3_years", "not permitted"), err.problems


def test_duplicate_trigger_code_refused(tmp_path):
    text = _shenzhen_text().replace('code = "T02-visits-3months"', 'code = "T01-visits-month"', 1)
    err = _refused(tmp_path, text)
    assert _has(err, "monitoring.triggers", "unique"), err.problems


def test_bad_trigger_refused(tmp_path):
    text = _shenzhen_text().replace('therapy = "tumour"\nname_en = "Tumour', 'name_en = "Tumour', 1)
    err = _refused(tmp_path, text)
    assert _has(err, "monitoring.triggers[5]", "needs a therapy"), err.problems
