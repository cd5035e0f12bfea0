"""Every state-changing event has a reason and an article (issue 9, item 3
and 14), found by enumerating the services: statically (every audit call in
core/services names an article, every action has a step name) and on a
real database the demo walked through every workflow."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from core.labels import LABELS

SERVICES = Path(__file__).resolve().parents[1] / "core" / "services"
# casedesk's own administration: no article of the regulations applies
NO_ARTICLE = {"user.add", "user.set_role", "user.deactivate", "db.demo", "db.restore"}


def _audit_calls():
    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"
                    and node.func.attr in {"created", "changed", "record"}):
                action = next((a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
                               and "." in a.value), None)
                yield path.name, node.lineno, action, {k.arg for k in node.keywords}


def test_the_services_are_enumerated():
    calls = list(_audit_calls())
    assert len(calls) > 40
    assert {name for name, *_ in calls} >= {"certificates.py", "books.py", "registry.py", "users.py",
                                            "investigations.py", "offsite.py", "replacements.py"}


@pytest.mark.parametrize("where,line,action,keywords", list(_audit_calls()),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_audit_call_in_the_services_names_an_article(where, line, action, keywords):
    if action in NO_ARTICLE:
        return
    assert "article" in keywords, f"{where}:{line} audits {action or 'an event'} with no article"


def test_every_action_has_a_step_name_for_its_reason():
    actions = {a for _w, _l, a, _k in _audit_calls() if a}
    missing = sorted(a for a in actions if a not in LABELS["action"])
    assert not missing


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    from core.db import init_database
    from core.demo import fill_demo
    from core.policy import load_pack

    eng, _ = init_database(str(tmp_path_factory.mktemp("cov") / "demo.db"), demo=True)
    fill_demo(eng, load_pack(), enrollees=40, today=date(2026, 11, 22))
    yield eng
    eng.dispose()


def test_every_event_the_workflows_write_has_a_reason_and_an_article(walked):
    with walked.connect() as c:
        rows = c.execute(text("SELECT action, reason, article FROM audit_event")).all()
    assert len({a for a, _r, _t in rows}) > 30  # the demo walks every workflow
    no_reason = sorted({a for a, r, _t in rows if not r.strip()})
    no_article = sorted({a for a, _r, t in rows if not t and a not in NO_ARTICLE})
    assert no_reason == [] and no_article == []


def test_the_demo_audits_its_caseworkers_and_its_switch_to_demo_mode(walked):
    from core.auth import os_username

    with walked.connect() as c:
        users = c.execute(text("SELECT count(*) FROM caseworker")).scalar_one()
        added = c.execute(text("SELECT count(*) FROM audit_event WHERE action = 'user.add'")).scalar_one()
        demo = c.execute(text("SELECT actor FROM audit_event WHERE action = 'db.demo'")).all()
    assert users == added
    assert demo == [(os_username(),)]
    from core.checks import check_database

    assert check_database(walked).ok


def test_demo_needs_an_admin_unless_the_database_was_made_as_a_demo(tmp_path):
    from core.auth import Actor
    from core.db import init_database, write_session
    from core.demo import DemoRefused, fill_demo
    from core.errors import PermissionDenied
    from core.policy import load_pack
    from core.services import users
    from tests.conftest import db_fingerprint

    real, _ = init_database(str(tmp_path / "real.db"))
    with write_session(real) as s:
        users.add_first_admin(s, username="boss")
        users.add_user(s, Actor("boss", "admin"), username="clerk.x", role="clerk", reason="new")
    before = db_fingerprint(real)
    with pytest.raises(DemoRefused, match="needs an admin"):
        fill_demo(real, load_pack(), enrollees=20)  # an unknown user, no enrollees yet: issue 9, probe 4
    with pytest.raises(PermissionDenied):
        fill_demo(real, load_pack(), enrollees=20, by=Actor("clerk.x", "clerk"))
    assert db_fingerprint(real) == before
    # a database made as a demo but already holding caseworkers is no longer anyone's to fill
    demo, _ = init_database(str(tmp_path / "demo.db"), demo=True)
    with write_session(demo) as s:
        users.add_first_admin(s, username="boss")
    with pytest.raises(DemoRefused):
        fill_demo(demo, load_pack(), enrollees=20)
