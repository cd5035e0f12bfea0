"""The shared-server deployment of docs/DEPLOY.md with real OS users and a
real sudo (issue 9, item 1): a service account owns the data, caseworkers
start casedesk through a sudo rule, and neither LOGNAME/USER/SUDO_UID nor
opening the database file gets a clerk anywhere.

Needs root (it creates users with useradd and a sudoers drop-in, and removes
them afterwards) and sudo (.ci/run installs it); skipped otherwise.
"""

from __future__ import annotations

import pwd
import shutil
import sqlite3
from pathlib import Path

import pytest
from deploy_site import as_user, casedesk, needs_site, shared_server

pytestmark = needs_site


@pytest.fixture(scope="module")
def site():
    with shared_server() as s:
        yield s


@pytest.fixture(scope="module")
def deployed(site):
    r = casedesk(site, site["admin"], "db", "init")
    assert r.returncode == 0, r.stderr
    r = casedesk(site, site["admin"], "user", "add", site["clerk"], "--role", "clerk", "--reason", "new clerk",
                 env={"LOGNAME": "root", "USER": "root"})
    assert r.returncode == 0, r.stderr
    return site


def test_the_data_belongs_to_the_service_account_and_nobody_else(deployed):
    db, data = deployed["db"], deployed["data"]
    svc_uid = pwd.getpwnam(deployed["svc"]).pw_uid
    assert data.stat().st_mode & 0o777 == 0o700 and data.stat().st_uid == svc_uid
    for f in data.iterdir():
        assert f.stat().st_mode & 0o777 == 0o600 and f.stat().st_uid == svc_uid, f


def test_a_clerk_cannot_open_the_database_file(deployed):
    probe = "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from caseworker').fetchone())"
    py = {"PYTHONPATH": deployed["pythonpath"]}
    r = as_user(deployed["clerk"], deployed["python"], "-c", probe, deployed["db"], env=py)
    assert r.returncode != 0 and "unable to open database" in r.stderr, r.stderr
    r = as_user(deployed["clerk"], deployed["python"], "-m", "cli", "--db", deployed["db"], "user", "list", env=py)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_the_audit_records_the_real_user_not_logname(deployed):
    con = sqlite3.connect(deployed["db"])
    actors = con.execute("SELECT actor, action FROM audit_event ORDER BY seq").fetchall()
    con.close()
    assert actors == [(deployed["admin"], "user.add"), (deployed["admin"], "user.add")]


def test_a_clerk_cannot_forge_logname_user_or_sudo_uid(deployed):
    admin_uid = str(pwd.getpwnam(deployed["admin"]).pw_uid)
    forged = {"LOGNAME": deployed["admin"], "USER": deployed["admin"], "SUDO_UID": admin_uid,
              "SUDO_USER": deployed["admin"]}
    r = casedesk(deployed, deployed["clerk"], "user", "add", "evil", "--role", "admin", env=forged)
    assert r.returncode == 2 and f"{deployed['clerk']} (clerk) may not add caseworkers" in r.stderr, r.stderr
    # reads work, as the clerk
    r = casedesk(deployed, deployed["clerk"], "lookup", "nobody", env=forged)
    assert r.returncode == 1 and "no enrollee matches" in r.stdout, r.stderr
    # outside sudo: a SUDO_UID and a system config of the clerk's own are ignored
    fake = Path(deployed["base"]) / "fake.toml"
    fake.write_text(f'service_account = "{deployed["clerk"]}"\n', encoding="utf-8")
    shutil.chown(fake, deployed["clerk"])
    probe = "from core.auth import login; print(login().username)"
    for system in (fake, deployed["etc"] / "config.toml"):
        r = as_user(deployed["clerk"], deployed["python"], "-c", probe,
                    env={**forged, "CASEDESK_SYSTEM_CONFIG": str(system), "PYTHONPATH": deployed["pythonpath"]})
        assert r.stdout.strip() == deployed["clerk"], (system, r.stdout, r.stderr)


def test_a_clerk_cannot_point_the_service_account_at_another_database(deployed):
    r = casedesk(deployed, deployed["clerk"], "--db", "/tmp/mine.db", "db", "init")
    assert r.returncode == 2 and "configured database only" in r.stderr
    assert not Path("/tmp/mine.db").exists()


def test_someone_without_the_sudo_rule_gets_nothing(deployed):
    r = casedesk(deployed, deployed["stranger"], "lookup", "x")
    assert r.returncode != 0 and "no enrollee" not in r.stdout


def test_an_unknown_user_with_the_rule_is_refused_reads_included(deployed):
    # the admin deactivates the clerk: reads stop too
    r = casedesk(deployed, deployed["admin"], "user", "list", "--json")
    import json

    version = next(u["version"] for u in json.loads(r.stdout) if u["username"] == deployed["clerk"])
    r = casedesk(deployed, deployed["admin"], "user", "deactivate", deployed["clerk"], "--reason", "left",
                 "--version", str(version))
    assert r.returncode == 0, r.stderr
    r = casedesk(deployed, deployed["clerk"], "lookup", "x")
    assert r.returncode == 2 and "deactivated" in r.stderr


def test_db_check_through_sudo(deployed):
    r = casedesk(deployed, deployed["admin"], "db", "check")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "caseworkers match their audit trail" in r.stdout
