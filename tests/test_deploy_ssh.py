"""The shared server over SSH (issue 11, item 7), built as docs/DEPLOY.md
says and driven through a real terminal.

The shared site of tests/deploy_site.py (service account, caseworker
group, wrapper, sudo rule) plus a real ``sshd`` on a free loopback port with
its own host key, config and authorized keys, all under a temporary
directory: the ``Match Group`` block forces the casedesk session
(``ForceCommand``) and allows no forwarding. A throwaway caseworker logs in
with a key through ``ssh -tt`` running in tmux: the lookup screen appears,
the header names them, a health centre selection (SZ-MT Art. 4) made
through the session is audited as them; with a command, with sftp or with
port forwarding they get nothing, and their own account cannot open the
database file.

Needs root, sshd, ssh, tmux and sudo (.ci/run installs openssh-server); skipped otherwise.
Users, processes and tmux sessions are removed afterwards, failure included.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from deploy_site import as_user, casedesk, needs_site, shared_server

SSHD, SSH, SFTP, KEYGEN = (Path(p) for p in ("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/sftp", "/usr/bin/ssh-keygen"))
TMUX, USERMOD = Path("/usr/bin/tmux"), Path("/usr/sbin/usermod")
PRIVSEP = Path("/run/sshd")  # sshd's compiled-in privilege separation directory

pytestmark = [
    needs_site,
    pytest.mark.skipif(not all(p.exists() for p in (SSHD, SSH, SFTP, KEYGEN, TMUX, USERMOD)),
                       reason="needs sshd, ssh, sftp, ssh-keygen and tmux (.ci/run installs openssh-server)"),
]

TIMEOUT = 60.0


def _run(*cmd, check=True, timeout=60, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=check, timeout=timeout, **kw)


def wait_for(what: str, condition, timeout: float = TIMEOUT, every: float = 0.1):
    """Poll ``condition()`` until it returns something true; fail naming ``what``."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = condition()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sshd_config(base: Path, keys: Path, port: int, group: str, session: Path) -> str:
    """This test's sshd: its own port, host key and pid file, then the block of
    docs/DEPLOY.md as it is written there (the group and the paths this test's)."""
    block = MATCH_BLOCK.format(group=group, keys=keys, session=session)
    return f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {base}/ssh_host_ed25519_key
PidFile {base}/sshd.pid
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowGroups {group}
StrictModes yes
LogLevel VERBOSE
Subsystem sftp internal-sftp

{block}"""


#: the end of /etc/ssh/sshd_config in docs/DEPLOY.md (kept in step with it by test_deploy_md_gives_this_block)
MATCH_BLOCK = """\
Match Group {group}
    AuthorizedKeysFile {keys}/%u
    ForceCommand {session}
    PermitTTY yes
    DisableForwarding yes
    PermitTunnel no
    PermitUserRC no
    PasswordAuthentication no
"""


SESSION = """\
#!/bin/sh
# sshd ForceCommand for the casedesk caseworkers (docs/DEPLOY.md): the app and nothing else.
if [ -n "$SSH_ORIGINAL_COMMAND" ]; then
    echo "casedesk: this login opens casedesk only; commands, sftp and scp are not available" >&2
    exit 1
fi
if [ ! -t 0 ] || [ ! -t 1 ]; then
    echo "casedesk: needs a terminal (ssh -t)" >&2
    exit 1
fi
exec {wrapper}
"""


@pytest.fixture(scope="module")
def server():
    """The shared site, a demo-filled database, a caseworker who may log in
    with a key, and sshd listening on a free loopback port."""
    sshd = keys = None
    with shared_server() as site:
        base: Path = site["base"]
        try:
            clerk, group = site["clerk"], site["group"]
            # a key login needs an account that is not locked ('!' in shadow) and a shell for ForceCommand
            _run(USERMOD, "-p", "*", "-s", "/bin/sh", clerk)
            session = base / "bin" / "casedesk-ssh"
            session.write_text(SESSION.format(wrapper=site["wrapper"]), encoding="utf-8")
            session.chmod(0o755)
            # the keys as an admin keeps them (root's, 0644), on a path no one else may write: sshd's
            # StrictModes refuses one under /tmp (world-writable), so a private directory under /run
            keys = Path(tempfile.mkdtemp(prefix=f"casedesk-keys-{site['tag']}-", dir="/run"))
            keys.chmod(0o755)
            client = base / "client"
            client.mkdir(mode=0o700)
            _run(KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "casedesk-test", "-f", client / "id_ed25519")
            (keys / clerk).write_text((client / "id_ed25519.pub").read_text(encoding="utf-8"), encoding="utf-8")
            (keys / clerk).chmod(0o644)
            _run(KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", base / "ssh_host_ed25519_key")
            config = base / "sshd_config"
            host_key = (base / "ssh_host_ed25519_key.pub").read_text(encoding="utf-8").split()[:2]
            # sshd's privilege separation directory, as the openssh-server package makes it at boot; left in
            # place afterwards (another xdist worker's sshd may be using it)
            PRIVSEP.mkdir(mode=0o755, exist_ok=True)

            # the database: created by the first admin, demo data, the clerk added (all through sudo)
            for args in (("db", "init"), ("demo",),
                         ("user", "add", clerk, "--role", "clerk", "--name", "Test Clerk", "--reason", "ssh test")):
                r = casedesk(site, site["admin"], *args)
                assert r.returncode == 0, (args, r.stdout, r.stderr)

            for _attempt in range(5):  # a free port can be taken between choosing and binding it: choose again
                port = free_port()
                config.write_text(sshd_config(base, keys, port, group, session), encoding="utf-8")
                _run(SSHD, "-t", "-f", config)  # the config as DEPLOY.md gives it is valid
                log_path = base / "sshd.log"
                with log_path.open("w") as log:
                    sshd = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT)
                listening = f"Server listening on 127.0.0.1 port {port}."
                wait_for("sshd to listen", lambda: listening in log_path.read_text() or sshd.poll() is not None)
                if sshd.poll() is None:
                    break
                sshd.wait()
                assert "Address already in use" in log_path.read_text(), log_path.read_text()
                sshd = None
            assert sshd is not None, "no free loopback port for sshd"
            (client / "known_hosts").write_text(f"[127.0.0.1]:{port} {' '.join(host_key)}\n", encoding="utf-8")
            yield {**site, "port": port, "client": client, "sshd_log": base / "sshd.log"}
        finally:
            if sshd is not None:
                sshd.terminate()
                try:
                    sshd.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    sshd.kill()
                    sshd.wait()
            # what sshd started for the test users is gone before they are removed (by pid, theirs only)
            _end_processes_of({pwd.getpwnam(site[u]).pw_uid for u in ("clerk", "svc")})
            if keys is not None:
                shutil.rmtree(keys, ignore_errors=True)


def _processes_of(uids: set[int]) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if {int(u) for u in uid_line.split()[1:]} & uids:
            pids.append(int(status.parent.name))
    return pids


def _end_processes_of(uids: set[int]) -> None:
    """Sessions end when their client goes; wait for that, then end any left (SIGKILL, by pid)."""
    end = time.monotonic() + 15
    while (pids := _processes_of(uids)) and time.monotonic() < end:
        time.sleep(0.2)
    for pid in pids:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    end = time.monotonic() + 10
    while _processes_of(uids) and time.monotonic() < end:
        time.sleep(0.1)


def ssh_args(server, *extra, log: str = "ssh.log") -> list[str]:
    """ssh as the test caseworker with their key, this server's host key only; messages go to ``log``."""
    c = server["client"]
    return [str(SSH), "-F", "/dev/null", "-i", str(c / "id_ed25519"), "-o", "IdentitiesOnly=yes",
            "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={c / 'known_hosts'}", "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=20", "-E", str(c / log), "-p", str(server["port"]), *extra,
            f"{server['clerk']}@127.0.0.1"]


class Terminal:
    """A tmux session (own socket) running one command; read and typed into."""

    def __init__(self, base: Path, command: list[str], width: int = 100, height: int = 30):
        self.base = base
        self.socket = base / f"tmux-{os.getpid()}.sock"
        self.name = "casedesk"
        _run(TMUX, "-S", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", self.name,
             "-x", width, "-y", height, "--", *command,
             env={"PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": str(base)})
        _run(TMUX, "-S", self.socket, "set-option", "-t", self.name, "remain-on-exit", "on")

    def screen(self) -> str:
        r = _run(TMUX, "-S", self.socket, "capture-pane", "-p", "-t", self.name, check=False)
        return r.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        _run(TMUX, "-S", self.socket, "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def wait(self, what: str, text, timeout: float = TIMEOUT) -> str:
        """Poll the screen until it shows ``text`` (or ``text(screen)`` holds)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if (text(screen) if callable(text) else text in screen):
                return screen
            time.sleep(0.1)
        logs = "".join(f"\n--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                       for p in (self.base / "sshd.log", self.base / "client" / "ssh.log") if p.exists())
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} ({text!r}); the screen:\n{self.screen()}{logs}")

    def close(self) -> None:
        _run(TMUX, "-S", self.socket, "kill-server", check=False)
        self.socket.unlink(missing_ok=True)


def _enrollee_for_a_health_centre(db: Path) -> tuple[str, str]:
    """An employed inpatient-scheme enrollee of the demo (SZ-MT Art. 4: the employer applies)."""
    con = sqlite3.connect(db)
    try:
        card, name = con.execute("SELECT card_number, name FROM enrollee WHERE scheme = 'inpatient' AND "
                                 "employment = 'employed' AND employer != '' ORDER BY card_number").fetchone()
    finally:
        con.close()
    return card, name


def _events_of(db: Path, actor: str) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT actor, action FROM audit_event WHERE actor = ? ORDER BY seq", (actor,)).fetchall()
    finally:
        con.close()


def test_a_caseworker_logs_in_with_a_key_and_casedesk_opens_as_them(server):
    clerk, db = server["clerk"], server["db"]
    card, _name = _enrollee_for_a_health_centre(db)
    term = Terminal(server["base"], ssh_args(server, "-tt"))
    try:
        screen = term.wait("the lookup screen", "Lookup")
        term.wait("the header naming the caseworker", f"{clerk} (clerk)")
        assert "Traceback" not in screen
        term.keys(card, literal=True)
        term.wait("the enrollee in the results", card)
        term.keys("Enter")
        term.wait("the enrollee view", "Health centre")
        term.keys("h")
        term.wait("the health centre screen", "Applicant")
        screen = term.wait("the candidate centres", "Centres: ")
        centre = "SZC002" if "(SZC001)" in screen else "SZC001"  # not the current one
        term.keys(centre, literal=True)
        term.wait("the centre found", "Centres: 1")
        term.keys("Enter")  # to the list
        term.keys("Enter")  # pick
        term.wait("the centre picked", lambda screen: any(
            line.split()[:2] == ["Centre", centre] for line in screen.splitlines() if line.strip()))
        before = _events_of(db, clerk)
        term.keys("C-s")
        term.wait("the selection recorded", "recorded")
        # SZ-MT Art. 4: recorded and audited as the caseworker who logged in, not as the service account
        events = wait_for("the audit events", lambda: _events_of(db, clerk)[len(before):])
        assert {"health_centre.end", "health_centre.select", "enrollee.health_centre"} <= {a for _u, a in events}
        assert not _events_of(db, server["svc"])
        con = sqlite3.connect(db)
        try:
            recorded = con.execute("SELECT s.recorded_by FROM health_centre_selection s JOIN institution i "
                                   "ON i.id = s.institution_id WHERE i.code = ? AND s.ended_on IS NULL",
                                   (centre,)).fetchall()
        finally:
            con.close()
        assert (clerk,) in recorded
        term.keys("C-q")
        wait_for("the session to end", lambda: "Pane is dead" in term.screen() or "closed" in term.screen())
    finally:
        term.close()


def test_a_command_over_ssh_gets_nothing(server):
    r = _run(*ssh_args(server, "-T"), f"/usr/bin/cat {server['db']}", check=False)
    assert r.returncode != 0 and "opens casedesk only" in r.stderr, (r.stdout, r.stderr)
    assert "SQLite format" not in r.stdout
    r = _run(*ssh_args(server, "-T"), "/bin/sh -i", check=False, input="id\n")
    assert r.returncode != 0 and "uid=" not in r.stdout


def test_sftp_and_forwarding_are_refused(server):
    c = server["client"]
    r = _run(SFTP, "-F", "/dev/null", "-i", c / "id_ed25519", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
             "-o", f"UserKnownHostsFile={c / 'known_hosts'}", "-P", server["port"],
             f"{server['clerk']}@127.0.0.1", input=f"get {server['db']} {c / 'stolen.db'}\n", check=False)
    assert r.returncode != 0 and not (c / "stolen.db").exists(), (r.stdout, r.stderr)
    # a tunnel to anything (here: sshd itself) is administratively prohibited
    r = _run(*ssh_args(server, "-W", f"127.0.0.1:{server['port']}", log="tunnel.log"), check=False, input="")
    said = (c / "tunnel.log").read_text(errors="replace")
    assert r.returncode != 0 and "prohibited" in said, (r.stderr, said)


def test_without_a_terminal_casedesk_does_not_start(server):
    r = _run(*ssh_args(server, "-T", log="no-tty.log"), check=False, input="")
    assert r.returncode != 0 and "needs a terminal" in r.stderr, (r.stdout, r.stderr)


def test_the_caseworkers_own_account_cannot_open_the_database(server):
    """Where they have a shell of their own (the console), the file modes keep them out."""
    probe = "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('select 1 from audit_event')"
    r = as_user(server["clerk"], server["python"], "-c", probe, server["db"])
    assert r.returncode != 0 and "unable to open database" in r.stderr, r.stderr
    svc = pwd.getpwnam(server["svc"]).pw_uid
    assert server["data"].stat().st_uid == svc and server["data"].stat().st_mode & 0o777 == 0o700
    assert server["db"].stat().st_mode & 0o777 == 0o600


def test_deploy_md_gives_this_block():
    """docs/DEPLOY.md shows the sshd block and the session script this test runs."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    assert MATCH_BLOCK.format(group="casedesk-users", keys="/etc/ssh/casedesk_keys",
                              session="/usr/local/lib/casedesk/ssh-session") in text
    assert SESSION.format(wrapper="/usr/local/bin/casedesk") in text
