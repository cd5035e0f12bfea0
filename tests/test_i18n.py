"""One catalogue, complete in en and zh_CN, and Chinese that aligns."""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import i18n as tool  # noqa: E402

from core.i18n import catalogue, ngettext, plural_catalogue, translate  # noqa: E402

EXTRACTED = tool.extract()
FOUND = [m for m in EXTRACTED if isinstance(m, str)]
PLURALS = [m for m in EXTRACTED if isinstance(m, tuple)]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_message_in_both_catalogues():
    en, zh = catalogue("en"), catalogue("zh_CN")
    missing_en = [m for m in FOUND if m not in en]
    missing_zh = [m for m in FOUND if m not in zh]
    assert missing_en == [], "run python tools/i18n.py update"
    assert missing_zh == [], f"{len(missing_zh)} messages lack a zh_CN translation, e.g. {missing_zh[:5]}"


def test_every_plural_message_has_its_forms_in_both_catalogues():
    for lang, forms_needed in (("en", 2), ("zh_CN", 1)):
        forms, _index = plural_catalogue(lang)
        missing = [m for m in PLURALS if len(forms.get(m[0], ())) != forms_needed]
        assert missing == [], f"{lang}: run python tools/i18n.py update and translate {missing[:5]}"
        zh_bad = [m for m in PLURALS if any(_fields(f) - {"n"} != _fields(m[0]) - {"n"}
                                            for f in forms.get(m[0], ()))]
        assert zh_bad == []


def test_ngettext_picks_the_form_for_the_number():
    # "1 certificates", "1 events" (issue 8)
    assert ngettext("{n} finding", "{n} findings", 1, "en") == "1 finding"
    assert ngettext("{n} finding", "{n} findings", 2, "en") == "2 findings"
    assert ngettext("{n} finding", "{n} findings", 1, "zh_CN") == ngettext("{n} finding", "{n} findings", 3,
                                                                           "zh_CN").replace("3", "1")
    assert re.search(r"[\u4e00-\u9fff]", ngettext("{n} finding", "{n} findings", 2, "zh_CN"))


def test_translations_keep_placeholders():
    zh = catalogue("zh_CN")
    bad = [m for m in FOUND if m in zh and _fields(m) != _fields(zh[m])]
    assert bad == []


def test_chinese_has_no_ambiguous_width_characters():
    zh = catalogue("zh_CN")
    bad = {m: zh[m] for m in FOUND if m in zh and any(unicodedata.east_asian_width(c) == "A" for c in zh[m])}
    assert bad == {}


def test_translate_formats_in_both_languages():
    msg = "{user} ({role}) may not {action}: it needs the {needed} role."
    en = translate(msg, "en", user="u", role="clerk", action="confirm", needed="reviewer")
    zh = translate(msg, "zh_CN", user="u", role="clerk", action="confirm", needed="reviewer")
    assert en == "u (clerk) may not confirm: it needs the reviewer role."
    assert zh != en and "u" in zh and re.search(r"[\u4e00-\u9fff]", zh)


def test_codes_and_names_in_messages_follow_the_language():
    from core.i18n import Bilingual, Code, Msg

    msg = "Record book {number} is {status}."
    zh = translate(msg, "zh_CN", number="B-1", status=Code("book_status", "used_up"))
    en = translate(msg, "en", number="B-1", status=Code("book_status", "used_up"))
    assert en == "Record book B-1 is used up."
    assert "used" not in zh and catalogue("zh_CN")["used up"] in zh
    name = Bilingual("Diabetes mellitus", "糖尿病")
    assert translate("{name}", "zh_CN", name=name) == "糖尿病"
    assert translate("{name}", "en", name=name) == "Diabetes mellitus"
    assert translate("{action}", "zh_CN", action=Msg("confirm certificates")) == catalogue("zh_CN")["confirm certificates"]
