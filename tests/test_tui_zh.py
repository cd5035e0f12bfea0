"""Wholly Chinese when asked (issue 8): every screen, rendered in zh_CN at
80x24, shows no stored code and no English label. What may stay Latin:
record numbers and codes (C-2024-0001, H-SZ-001, MD-I-09), article tags
(SZ-MD Art. 4), key names (Esc, PgDn, f1), and what people typed or the
registry holds as a name (Li Lei, Dr Chen, Pearl River Trading, user names,
the values in input fields)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Input

from core.auth import Actor
from tui.app import create_app
from tui_screens import SCREENS, screen_lines
from tui_support import TODAY, build_scene

#: record numbers, codes and masked numbers: capitals and digits joined by dashes
CODE = re.compile(r"\b[A-Z][A-Z0-9*]*(?:-[A-Z0-9*]+)+\b|\bSZ[0-9*]+\b")
ARTICLE = re.compile(r"\b(?:SZ-MD|SZ-MT) Art\. [0-9, -]+|\bZZ §[0-9]+")
KEYS = {"Esc", "Enter", "PgUp", "PgDn", "Tab", "Up", "Down", "Left", "Right", "YYYY-MM"}
#: names the scene's registry holds (data, shown as stored), the pack id, the database file
DATA = ("Li Lei", "Zhao Min", "Dr Chen", "Pearl River Trading", "clerk1", "Clerk One", "rev1", "shenzhen-2008",
        "casedesk.db")
WORD = re.compile(r"[A-Za-z][A-Za-z_'.-]*[A-Za-z]")


def english_left(text: str, typed: list[str]) -> list[str]:
    """Latin words in ``text`` once numbers, codes, articles, keys and data are taken out."""
    for value in sorted(typed + list(DATA), key=len, reverse=True):
        if value:
            text = text.replace(value, " ")
    # a name may wrap across lines: its words one by one too
    names = {w for value in DATA for w in value.split()}
    text = ARTICLE.sub(" ", text)
    text = CODE.sub(" ", text)
    text = re.sub(r"\^[a-z]|\bf[0-9]+\b", " ", text)
    return sorted({w for w in WORD.findall(text) if w not in KEYS and w not in names})


def test_the_check_finds_codes_and_english():
    assert english_left("险种 comprehensive  账户 SUSPENDED", []) == ["SUSPENDED", "comprehensive"]
    assert english_left("T12-reported-violation seal_ref: 城市 Guangzhou", []) == [
        "Guangzhou", "reported-violation", "seal_ref"]
    assert english_left("诊断证明书 C-2024-0001（SZ-MD Art. 4）Esc 返回 ^p 命令 f1 帮助 Li Lei", []) == []


@pytest.mark.parametrize("name", list(SCREENS))
async def test_every_screen_is_wholly_chinese(engine, build, clerk, policy, name):
    build_scene(build, engine)
    app = create_app(engine, Actor("clerk1", "clerk", "futian"), policy, "zh_CN", today=TODAY)
    async with app.run_test(size=(80, 24)) as pilot:
        await SCREENS[name](pilot)
        typed = [w.value for w in app.screen.query(Input)]
        text = "\n".join(screen_lines(app))
    assert app.failures == []
    assert english_left(text, typed) == [], text
