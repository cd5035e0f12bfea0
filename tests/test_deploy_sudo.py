"""The shared-server deployment of docs/DEPLOY.md with real OS users and a
real sudo (issue 9, item 1): a service account owns the data, caseworkers
start casedesk through a sudo rule, and neither LOGNAME/USER/SUDO_UID nor
opening the database file gets a clerk anywhere.

Needs root (it creates users with useradd and a sudoers drop-in, and removes
them afterwards) and sudo (.ci/run installs it); skipped otherwise.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

SUDO = Path("/usr/bin/sudo")
VISUDO = Path("/usr/sbin/visudo")
USERADD, USERDEL = Path("/usr/sbin/useradd"), Path("/usr/sbin/userdel")
GROUPADD, GROUPDEL = Path("/usr/sbin/groupadd"), Path("/usr/sbin/groupdel")
RUNUSER = Path("/usr/sbin/runuser")
TOOLS = (SUDO, VISUDO, USERADD, USERDEL, GROUPADD, GROUPDEL, RUNUSER)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(t.exists() for t in TOOLS),
    reason="needs root, sudo, useradd and runuser (.ci/run installs sudo)",
)


def _world_usable(path: Path) -> bool:
    """Can any user run ``path``: every parent directory searchable by others?"""
    path = path.resolve()
    return all(p.stat().st_mode & 0o001 for p in path.parents) and bool(path.stat().st_mode & 0o001)


def _interpreter() -> tuple[str, str]:
    """A Python other users may run, and the PYTHONPATH that finds casedesk
    and its dependencies: this venv's, unless it lives under a private home
    (pyenv in /root); then the system's python3.11 with this venv's packages."""
    import site
    import sysconfig

    repo = str(Path(__file__).resolve().parents[1])
    if _world_usable(Path(sys.executable)):
        return sys.executable, repo
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if system.exists() and _world_usable(Path(sysconfig.get_paths()["purelib"])):
        return str(system), ":".join([repo, *site.getsitepackages()])
    pytest.skip("no Python interpreter other users can run")


def _run(*cmd, check=True):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=check, timeout=120)


@pytest.fixture(scope="module")
def site():
    """Users, group, directories, wrapper and sudo rule as docs/DEPLOY.md lays them out."""
    tag = secrets.token_hex(3)
    svc, admin, clerk, stranger = (f"cd{r}{tag}" for r in ("svc", "adm", "clk", "str"))
    group = f"cdusers{tag}"
    base = Path(tempfile.mkdtemp(prefix="casedesk-deploy-", dir="/tmp"))
    sudoers = Path(f"/etc/sudoers.d/casedesk-test-{tag}")
    made_users: list[str] = []
    try:
        base.chmod(0o755)
        _run(GROUPADD, group)
        _run(USERADD, "--system", "--no-create-home", "--home-dir", base / "home", "--shell", "/usr/sbin/nologin", svc)
        made_users.append(svc)
        for name, groups in ((admin, group), (clerk, group), (stranger, "")):
            _run(USERADD, "--no-create-home", "--home-dir", base / "home", *(["-G", groups] if groups else []), name)
            made_users.append(name)
        etc, data, bindir = base / "etc", base / "data", base / "bin"
        for d in (etc, bindir):
            d.mkdir()
        data.mkdir(mode=0o700)
        shutil.chown(data, svc, svc)
        data.chmod(0o700)
        db = data / "casedesk.db"
        (etc / "config.toml").write_text(f'service_account = "{svc}"\ndb = "{db}"\n', encoding="utf-8")
        (etc / "config.toml").chmod(0o644)
        # what sudo runs as the service account (root-owned; the system config path is fixed here, not by the caller)
        python, pythonpath = _interpreter()
        real = bindir / "casedesk-real"
        real.write_text(textwrap.dedent(f"""\
            #!/bin/sh
            export CASEDESK_SYSTEM_CONFIG={etc / 'config.toml'}
            export PYTHONPATH={pythonpath}
            exec {python} -m cli "$@"
            """), encoding="utf-8")
        real.chmod(0o755)
        # what caseworkers type
        wrapper = bindir / "casedesk"
        wrapper.write_text(f'#!/bin/sh\nexec {SUDO} -n -u {svc} -- {real} "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
        rule = textwrap.dedent(f"""\
            Defaults>{svc} env_reset, umask=0077, !lecture
            %{group} ALL=({svc}) NOPASSWD: {real}
            """)
        tmp_rule = base / "rule"
        tmp_rule.write_text(rule, encoding="utf-8")
        _run(VISUDO, "-cf", tmp_rule)
        sudoers.write_text(rule, encoding="utf-8")
        sudoers.chmod(0o440)
        yield {"python": python, "pythonpath": pythonpath, "svc": svc, "admin": admin, "clerk": clerk, "stranger": stranger, "db": db, "data": data,
               "wrapper": wrapper, "etc": etc, "base": base}
    finally:
        sudoers.unlink(missing_ok=True)
        for name in made_users:
            _run(USERDEL, name, check=False)
        _run(GROUPDEL, group, check=False)
        shutil.rmtree(base, ignore_errors=True)


def as_user(user, *cmd, env=None):
    """Run ``cmd`` as ``user`` (groups from /etc/group) with exactly ``env`` added to a plain environment."""
    base_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp"}
    extra = [f"{k}={v}" for k, v in {**base_env, **(env or {})}.items()]
    return _run(RUNUSER, "-u", user, "--", "/usr/bin/env", "-i", *extra, *cmd, check=False)


def casedesk(site, user, *args, env=None):
    return as_user(user, site["wrapper"], "--lang", "en", *args, env=env)


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
