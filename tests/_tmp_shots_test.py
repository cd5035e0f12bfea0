import pytest
from datetime import date
from certificate_world import make_world
from tui.app import create_app
from tui_document_steps import open_by_keys, settled, wait_until

D = date(2026, 5, 12)

@pytest.fixture
def w(engine, build, policy, clerk, reviewer):
    return make_world(engine, build, policy, clerk, reviewer)

@pytest.mark.parametrize("size,lang", [((80, 24), "zh_CN"), ((80, 24), "en"), ((200, 60), "en")])
async def test_shots(w, engine, policy, clerk, size, lang):
    w.recognise(date(2024, 7, 1))
    cert = w.draft(D, "MD-I-02")
    w.sign(cert, D)
    app = create_app(engine, clerk, policy, lang, today=D)
    tag = f"{size[0]}_{lang}"
    async with app.run_test(size=size) as pilot:
        await open_by_keys(pilot, w.enrollee.card_number, "c", "CertificatesScreen")
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/list_{tag}.svg")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.pane == "seal")
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/seal_{tag}.svg")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query_one("#seal-reasons").display)
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/sealref_{tag}.svg")
        await pilot.press("escape", "ctrl+n")
        await wait_until(pilot, lambda: app.screen.pane == "draft")
        await settled(pilot, "disease")
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/draft_{tag}.svg")
        await pilot.press("escape")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "BatchesScreen" and app.screen.view is not None)
        await pilot.pause(0.3)
        app.save_screenshot(f"/tmp/tw/batch_{tag}.svg")
