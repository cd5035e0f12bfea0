"""The TUI speaks through the one catalogue, and Chinese stays aligned.

East-Asian ambiguous-width characters (✓ ✗ · … “ ” ① ≥ Ⅱ, box drawing,
arrows) are drawn one or two cells wide depending on the terminal, which
breaks columns in Chinese; labels, their translations and what the screens
show must not use them.
"""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import pytest

from core.auth import Actor
from core.i18n import catalogue
from tui.app import create_app
from tui.i18n import _, set_default_lang, translate_bindings
from tui_support import TODAY, build_scene, screen_text, table_text, wait_until

ROOT = Path(__file__).resolve().parent.parent
LABEL_SOURCES = sorted((ROOT / "tui").rglob("*.py")) + [ROOT / "core" / "services" / "overview.py"]


def msgids_in(path: Path) -> list[tuple[str, int]]:
    """(msgid, line) of every ``_("...")`` and ``N_("...")`` call with a literal."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.args[0].value, node.lineno))
    return out


def ambiguous(text: str) -> list[str]:
    """Characters whose cell width a terminal may get wrong: East-Asian
    ambiguous ones, and any other non-ASCII character that is not wide
    (dingbats such as a check mark are "neutral" in Unicode yet drawn wide
    by many CJK fonts). ASCII and wide/full-width CJK text pass."""
    return sorted({c for c in text if unicodedata.east_asian_width(c) == "A"
                   or (ord(c) > 127 and unicodedata.east_asian_width(c) not in ("W", "F"))})


def all_msgids() -> list[tuple[str, str]]:
    return [(f"{p.relative_to(ROOT)}:{line}", m) for p in LABEL_SOURCES for m, line in msgids_in(p)]


def test_the_label_walk_finds_the_tui_msgids():
    found = {m for _, m in all_msgids()}
    assert len(found) > 150
    assert "Quick check" in found and "Renewal window for certificate {number} ({disease}) opens on {opens}." in found


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_labels_and_translations_have_no_ambiguous_width_characters(lang):
    translations = catalogue(lang)
    bad = []
    for where, msgid in all_msgids():
        for text in (msgid, translations.get(msgid, "")):
            if ambiguous(text):
                bad.append(f"{where}: {text!r} has {ambiguous(text)}")
    assert bad == []


def test_the_ambiguity_check_can_fail():
    assert ambiguous("OK \u2713 \u2026 \u00b7") == ["\u00b7", "\u2026", "\u2713"]
    assert ambiguous("[+] [-] \u786e\u8ba4 OK") == []


def test_underscore_translates_in_the_app_language():
    set_default_lang("zh_CN")
    try:
        assert _("Quick check") == catalogue("zh_CN").get("Quick check", "Quick check")
    finally:
        set_default_lang("en")
    assert _("Hello {name}", name="Wang") == "Hello Wang"


def test_bindings_are_translated_on_the_node():
    class Node:
        def __init__(self):
            from textual.binding import Binding, BindingsMap

            self._bindings = BindingsMap([Binding("f1", "help", "Help", tooltip="Show help", id="x")])

    node = Node()
    translate_bindings(node, "zh_CN")
    b = node._bindings.key_to_bindings["f1"][0]
    zh = catalogue("zh_CN")
    assert b.description == zh.get("Help", "Help") and b.tooltip == zh.get("Show help", "Show help")
    assert b.id == "x" and b.action == "help"


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
async def test_screens_show_no_ambiguous_width_characters(engine, build, clerk, policy, lang):
    build_scene(build, engine)
    app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, lang, today=TODAY)
    shown = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"SZ202600")
        await wait_until(pilot, lambda: app.screen.page is not None and app.screen.page.query == "SZ202600")
        shown.append(screen_text(app.screen))
        shown.append(table_text(app.screen.query_one("#results")))
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "overview", None) is not None)
        shown.append(screen_text(app.screen))
        await pilot.press("f2")
        await wait_until(pilot, lambda: getattr(app.screen, "result", None) is not None)
        shown.append(screen_text(app.screen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        shown.append(screen_text(app.screen))
    assert app.failures == []
    for text in shown:
        assert ambiguous(text) == [], text
