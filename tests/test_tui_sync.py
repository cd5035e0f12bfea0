"""The TUI header on a branch terminal says whether the centre answers and
what waits to be pushed (issue 11 item 6), in both languages; a database
that is not a branch shows nothing of it."""

from __future__ import annotations

import pytest

from core import gateway
from core.auth import Actor
from core.sync.link import init_branch
from tui.app import create_app
from tui_support import TODAY, wait_until
from tui.widgets.header import AppHeader

SIZE = (80, 24)

#: a centre nobody answers at: a socket directory that does not exist
DOWN = "postgresql+psycopg://branch@/casedesk?host=/nonexistent-casedesk-centre&port=5432"


def header_info(app) -> str:
    return str(app.screen.query_one(AppHeader).info_text())


@pytest.mark.parametrize("lang,expected", [("en", "offline, 0 waiting"), ("zh_CN", "离线，0 项待上传")])
async def test_a_branch_with_the_link_down_says_offline_and_what_waits(engine, policy, admin, lang, expected):
    gateway.write(engine, lambda s: init_branch(s, admin, code="FT01", central=DOWN))
    app = create_app(engine, Actor("admin1", "admin", ""), policy, lang, today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_line != "")
        assert app.sync_line == expected
        assert header_info(app).startswith(expected + " | ")
        await pilot.press("ctrl+q")
    assert app.failures == []


async def test_a_database_that_is_not_a_branch_shows_no_sync_line(engine, policy, clerk):
    app = create_app(engine, clerk, policy, "en", today=TODAY)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert app.sync_line == "" and "waiting" not in header_info(app)
        await pilot.press("ctrl+q")
