"""The shared server of docs/DEPLOY.md, built for real (issue 9 item 1, issue
11 item 7): throwaway users and group (useradd), the service account owning
a 0700 data directory, the wrapper and a real sudo rule; removed afterwards.
Used by tests/test_deploy_sudo.py and tests/test_deploy_ssh.py. Needs root.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from contextlib import contextmanager
from pathlib import Path

import pytest

SUDO = Path("/usr/bin/sudo")
VISUDO = Path("/usr/sbin/visudo")
USERADD, USERDEL = Path("/usr/sbin/useradd"), Path("/usr/sbin/userdel")
GROUPADD, GROUPDEL = Path("/usr/sbin/groupadd"), Path("/usr/sbin/groupdel")
RUNUSER = Path("/usr/sbin/runuser")
TOOLS = (SUDO, VISUDO, USERADD, USERDEL, GROUPADD, GROUPDEL, RUNUSER)

#: skip a module that builds the site where it cannot be built
needs_site = pytest.mark.skipif(
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


@contextmanager
def shared_server(tag: str | None = None):
    """Users, group, directories, wrapper and sudo rule as docs/DEPLOY.md lays
    them out; every user, the group, the sudo rule and the files go again on
    leaving, failure included. Names carry a random tag (xdist-safe)."""
    tag = tag or secrets.token_hex(3)
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
               "wrapper": wrapper, "etc": etc, "base": base, "group": group, "tag": tag}
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
    """``casedesk ARGS`` typed by ``user`` (through the wrapper and the sudo rule)."""
    return as_user(user, site["wrapper"], "--lang", "en", *args, env=env)
