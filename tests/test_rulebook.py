"""The rules readable from the product (issue 13, item 8): `casedesk rules`
and docs/rules-<pack>.md from one source (core.rulebook): words from
data/policies/<pack>.rules.toml, article tags and numbers from the pack,
where casedesk applies each rule from the code."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core import rulebook
from core.policy import PolicyError, article_tags, available_packs, load_file, load_pack

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "data" / "policies"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_docs_rules_are_generated_from_the_rules_files():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "rules.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for pack in available_packs():
        assert (ROOT / "docs" / f"rules-{pack}.md").is_file()


@pytest.mark.parametrize("pack", ["shenzhen-2008", "zezhou"])
def test_every_article_and_number_of_a_shipped_pack_has_its_rule(pack):
    assert pack in available_packs()
    assert rulebook.problems(load_pack(pack)) == []


@pytest.mark.parametrize("pack", ["shenzhen-2008", "zezhou"])
def test_each_rule_has_words_in_both_languages_and_its_article_from_the_pack(pack):
    policy = load_pack(pack)
    en, zh = rulebook.rules(policy, "en"), rulebook.rules(policy, "zh_CN")
    assert [r.id for r in en] == [r.id for r in zh] and len(en) >= 20
    tags = {tag for _key, tag in article_tags(policy)}
    for a, b in zip(en, zh):
        assert a.articles and set(a.articles) <= tags, a.id
        assert a.text and not CJK.search(a.text) and not CJK.search(a.title), a.id
        assert CJK.search(b.text) and CJK.search(b.title), b.id
        assert "{" not in a.text and "{" not in b.text, a.id  # every placeholder filled from the pack


def test_rules_files_are_not_packs():
    assert not any(p.endswith(".rules") for p in available_packs())
    with pytest.raises(PolicyError, match="rules file, not a pack"):
        load_pack("shenzhen-2008.rules")


def _copy_pack(tmp_path: Path, pack: str, edit_pack=None, edit_rules=None) -> Path:
    dst = tmp_path / f"{pack}.toml"
    text = (POLICIES / f"{pack}.toml").read_text(encoding="utf-8")
    dst.write_text(edit_pack(text) if edit_pack else text, encoding="utf-8")
    rules = (POLICIES / f"{pack}.rules.toml").read_text(encoding="utf-8")
    rulebook.rules_path(dst).write_text(edit_rules(rules) if edit_rules else rules, encoding="utf-8")
    return dst


def test_numbers_and_tags_are_read_from_the_pack_not_typed_twice(tmp_path):
    """SZ-MD Art. 12: change the pack's term and its article; the rule says so."""
    path = _copy_pack(tmp_path, "shenzhen-2008",
                      edit_pack=lambda t: t.replace("category_1_years = 2", "category_1_years = 3")
                      .replace('article = "SZ-MD Art. 12"', 'article = "SZ-MD Art. 12(1)"'))
    policy = load_file(path)
    validity = next(r for r in rulebook.rules(policy, "en", pack_file=path) if r.id == "validity")
    assert validity.articles == ("SZ-MD Art. 12(1)",)
    assert "valid 3 years" in validity.text
    assert ("validity.category_1_years", "3") in [(n.path, n.shown()) for n in validity.numbers]
    zh = next(r for r in rulebook.rules(policy, "zh_CN", pack_file=path) if r.id == "validity")
    assert "有效期为 3 年" in zh.text


def test_an_article_without_its_rule_is_named_and_still_listed(tmp_path):
    """Drop the SZ-MD Art. 7 entry: the check names the article and its number,
    and the listing still shows the article (no words) instead of leaving it out."""
    def drop(text: str) -> str:
        start = text.index('[[rule]]\nid = "benefits.category_2"')
        end = text.index("[[rule]]", start + 3)
        return text[:start] + text[end:]

    path = _copy_pack(tmp_path, "shenzhen-2008", edit_rules=drop)
    policy = load_file(path)
    found = rulebook.problems(policy, pack_file=path)
    assert any("benefits.params.article_cat2" in p and "SZ-MD Art. 7" in p for p in found), found
    assert any("number benefits.params.cat2_basic_pct" in p for p in found), found
    listed = {r.id: r for r in rulebook.rules(policy, "en", pack_file=path)}
    assert listed["benefits.params.article_cat2"].articles == ("SZ-MD Art. 7",)
    assert listed["benefits.params.article_cat2"].text == ""


def test_a_rule_naming_a_path_the_pack_lacks_is_refused(tmp_path):
    path = _copy_pack(tmp_path, "zezhou", edit_rules=lambda t: t.replace(
        'numbers = ["benefits.max_diseases"]', 'numbers = ["benefits.max_disease"]').replace(
        "{benefits.params.other_pct}%", "{benefits.params.othr_pct}%", 1))
    found = rulebook.problems(load_file(path), pack_file=path)
    assert any("'benefits.max_disease' is not a field" in p for p in found), found
    assert any("{benefits.params.othr_pct} is not a field" in p for p in found), found
    broken = rulebook.rules_path(path)
    broken.write_text(broken.read_text(encoding="utf-8").replace("en.title", "en.titel", 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="titel"):
        rulebook.problems(load_file(path), pack_file=path)


def test_where_casedesk_applies_a_rule_comes_from_the_code():
    sz, zz = rulebook.applied_at(load_pack("shenzhen-2008")), rulebook.applied_at(load_pack("zezhou"))
    assert {"core.rules.books.check_issue", "core.workflows:books.issue"} <= set(sz["books.article"])
    assert "core.rules.formulas._category_1" in sz["benefits.params.article_cat1"]
    assert "core.rules.formulas._capped_monthly_rate" in zz["benefits.params.article"]
    assert "core.rules.eligibility.hospital_reason" in zz["benefits.article_hospitalised"]  # ZZ §4
    assert any(p.startswith("core.services.monitoring") for p in sz["monitoring.triggers[*].article"])
    # every place named exists in the code
    for places in sz.values():
        for place in places:
            if ":" in place:
                continue
            module, names = rulebook.applied_groups([place])[0]
            tree = ast.parse((ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
            defined = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            defined |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                        for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
            assert set(names[0].split(".")) <= defined | {"(module)"}, place


def test_the_scanner_follows_aliases_loops_annotations_and_look_ups():
    source = '''
def a(policy):
    t = policy.treatment
    return t.article_place
def b(policy):
    return [trig.article for trig in policy.monitoring.triggers]
def c(p: "CappedMonthlyRate"):
    return p.article
def d(policy, code):
    return policy.disease(code).article
def e(policy):
    return policy.article("offsite.article_form")
def f(x):
    return x.article  # nothing says what x is
TABLE = {"who": lambda p: p.offsite.article_who}
'''
    known = set(rulebook.article_paths(load_pack("zezhou")))
    scan = rulebook._Scan("m", known)
    scan.visit(ast.parse(source))
    assert scan.found == {
        "treatment.article_place": {"m.a"},
        "monitoring.triggers[*].article": {"m.b"},
        "benefits.params.article": {"m.c"},
        "diseases[*].article": {"m.d"},
        "offsite.article_form": {"m.e"},
        "offsite.article_who": {"m.TABLE"},
    }


def _casedesk(tmp_path, *args, config: str = "none.toml"):
    env = {**os.environ, "CASEDESK_CONFIG": str(tmp_path / config), "LANG": "C.UTF-8",
           "CASEDESK_LOG_DIR": str(tmp_path / "logs")}
    env.pop("CASEDESK_DB", None)
    r = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    return r


def test_casedesk_rules_prints_the_zezhou_pack_in_chinese(tmp_path):
    r = _casedesk(tmp_path, "rules", "--pack", "zezhou", "--lang", "zh_CN")
    assert r.returncode == 0, r.stderr
    assert "泽州县医疗保险指定慢性病门诊管理规定 (zezhou)" in r.stdout
    block = r.stdout.split("[ZZ §4] 住院期间不享受", 1)[1].split("\n\n", 1)[0]  # ZZ §4, none while hospitalised
    assert "参保人住院期间，不同时享受指定慢性病门诊待遇。" in block
    assert "benefits.none_while_hospitalised: 是" in block
    assert "core.rules.eligibility: hospital_reason" in block
    assert "在社区卫生服务机构支付 80%" in r.stdout and "在其他医疗机构支付 60%" in r.stdout


def test_casedesk_rules_json_for_the_active_pack(tmp_path):
    r = _casedesk(tmp_path, "rules", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["pack"] == "shenzhen-2008" and data["lang"] == "en"
    by_id = {x["id"]: x for x in data["rules"]}
    assert by_id["benefits.category_2"]["articles"] == ["SZ-MD Art. 7"]
    assert {"path": "benefits.params.cat2_basic_pct", "value": "90", "values": [{"value": "90"}]} \
        in by_id["benefits.category_2"]["numbers"]
    assert all(x["text"] and x["articles"] for x in data["rules"])
    # the app's --lang works for the command too
    r = _casedesk(tmp_path, "--lang", "zh_CN", "rules", "--json")
    assert json.loads(r.stdout)["lang"] == "zh_CN"


@pytest.mark.parametrize("pack", ["nope", "../zezhou", "shenzhen-2008.rules"])
def test_casedesk_rules_refuses_an_unknown_pack(tmp_path, pack):
    r = _casedesk(tmp_path, "rules", "--pack", pack)
    assert r.returncode == 2 and "policy" in r.stderr and r.stdout == ""


def test_a_fresh_clone_carries_its_rules(tmp_path):
    """The rules files and docs are tracked by git, not made on the side."""
    git = Path("/usr/bin/git")
    if not git.exists() or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run([str(git), "-C", str(ROOT), "ls-files", "data/policies", "docs"],
                             capture_output=True, text=True).stdout.split()
    for pack in available_packs():
        assert f"data/policies/{pack}.rules.toml" in tracked
        assert f"docs/rules-{pack}.md" in tracked


def test_an_admins_pack_without_words_still_lists_every_article(tmp_path):
    """A pack installed in policy_dir with no rules file beside it: every
    article it holds is printed, saying there are no words for it yet."""
    packs = tmp_path / "packs"
    packs.mkdir(mode=0o755)
    shutil.copy(ROOT / "tests" / "packs" / "lianchi.toml", packs / "lianchi-test.toml")
    (tmp_path / "config.toml").write_text(f'policy_dir = "{packs}"\n', encoding="utf-8")
    r = _casedesk(tmp_path, "rules", "--pack", "lianchi-test", "--json", config="config.toml")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)["rules"]
    policy = load_file(packs / "lianchi-test.toml")
    assert {x["paths"][0] for x in listed} == set(rulebook.article_paths(policy))
    assert all(x["text"] == "" for x in listed)
    r = _casedesk(tmp_path, "rules", "--pack", "lianchi-test", config="config.toml")
    assert "no words for this rule in the pack's rules file yet" in r.stdout
