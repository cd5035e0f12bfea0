import pytest
from datetime import date
from certificate_world import make_world
from core.services import books
from tui.app import create_app
from tui_document_steps import open_by_keys, settled, wait_until

D = date(2026, 3, 10)

@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)

@pytest.mark.parametrize("size,lang", [((80, 24), "zh_CN"), ((80, 24), "en"), ((200, 60), "en")])
async def test_shots(w, engine, policy, clerk, size, lang):
    c1 = w.recognise(D)
    c2 = w.recognise(D, "MD-I-02")
    w.run(lambda s: books.issue_book(s, w.clerk, policy=w.policy, certificate_number=c1.number,
                                     card_presented=True, id_card_presented=True, on=D))
    app = create_app(engine, clerk, policy, lang, today=date(2026, 5, 12))
    tag = f"{size[0]}_{lang}"
    async with app.run_test(size=size) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "b", "BooksScreen")
        await pilot.pause(0.3)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: app.screen.query_one("#reasons").display)
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/books_{tag}.svg")
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "EnrolleeScreen")
        await pilot.press("r")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ReplacementsScreen" and app.screen.file is not None)
        await pilot.press("down", "down")
        await pilot.pause(0.5)
        app.screen.query_one("#office-filter").focus()
        await pilot.press("tab", "space", "tab", "space", "ctrl+s", "enter")
        await wait_until(pilot, lambda: app.screen.query_one("#result").display)
        await pilot.pause(0.5)
        app.save_screenshot(f"/tmp/tw/repl_{tag}.svg")
