"""A throwaway PostgreSQL 15 cluster on a Unix socket, one per process.

Used by the session-scoped ``pg_cluster`` fixture in ``tests/conftest.py``
(so each pytest-xdist worker gets its own data directory and socket) and by
``bench/`` for the PostgreSQL figures. The server binaries are taken from
``/usr/lib/postgresql/15/bin`` (or ``$CASEDESK_PG_BIN``), never looked up on
PATH. initdb refuses to run as root: as root, initdb, pg_ctl and the server
run as the ``postgres`` account (``nobody`` when there is none).

The cluster listens on no TCP port (``listen_addresses=''``): the port only
names the socket file inside the cluster's own directory, so two clusters
never collide. Databases are cheap: :meth:`PgCluster.new_database` copies a
template (the migrated one in the fixtures), so a test gets a clean database
in a few tens of milliseconds instead of migrating its own.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BINDIR = Path("/usr/lib/postgresql/15/bin")
PORT = 5432  # names the socket file only; no TCP
#: settings of a test cluster: durability off (it is thrown away)
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "120"}


def pg_bin() -> Path | None:
    """The PostgreSQL 15 server binaries, or None when they are not installed."""
    cand = Path(os.environ.get("CASEDESK_PG_BIN") or BINDIR)
    return cand if (cand / "initdb").is_file() and (cand / "pg_ctl").is_file() else None


def _server_account() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root and there is no postgres or nobody account to run PostgreSQL as")


def _run(cmd: list[str], cwd: Path, account: tuple[int, int] | None) -> subprocess.CompletedProcess:
    kw: dict = {}
    if account is not None:
        kw = {"user": account[0], "group": account[1], "extra_groups": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["HOME"] = str(cwd)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, **kw)


@dataclass
class PgCluster:
    root: Path
    bindir: Path
    locale: str
    account: tuple[int, int] | None
    port: int = PORT
    _names: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sock(self) -> Path:
        return self.root / "sock"

    def url(self, dbname: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """A SQLAlchemy URL for ``dbname`` over the cluster's socket."""
        return f"{driver}://casedesk@/{dbname}?host={self.sock}&port={self.port}"

    def conninfo(self, dbname: str = "postgres") -> str:
        """A libpq connection string (psycopg.connect) for ``dbname``."""
        return f"host={self.sock} port={self.port} user=casedesk dbname={dbname}"

    def admin(self, sql: str, params: tuple = ()) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.conninfo(), autocommit=True) as c:
            c.execute(sql, params)  # type: ignore[arg-type]

    def new_database(self, *, template: str = "template0", locale: str | None = None,
                     name: str | None = None) -> str:
        """Create a database (a copy of ``template``; ``locale`` only with
        template0) and return its name."""
        from psycopg import sql

        name = name or f"t{os.getpid()}_{next(self._names)}"
        q = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        if locale:
            q += sql.SQL(" LC_COLLATE {loc} LC_CTYPE {loc}").format(loc=sql.Literal(locale))
        self.admin(q.as_string())
        return name

    def drop_database(self, name: str) -> None:
        from psycopg import sql

        self.admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)).as_string())

    def stop(self, *, remove: bool = True) -> None:
        """Stop the server; ``remove`` its directory too (a kept one, see
        :func:`start_cluster`'s ``root``, is stopped cleanly and stays)."""
        _run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate" if remove else "fast", "stop"],
             self.root, self.account)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, locale: str = "C.UTF-8", settings: dict[str, str] | None = None,
                  prefix: str = "casedesk-pg-", bindir: Path | None = None, root: Path | None = None) -> PgCluster:
    """initdb + start a cluster in a new temporary directory; the caller stops it.

    ``locale`` is the cluster's default (pg_trgm needs a UTF-8 LC_CTYPE for
    CJK, see migration 0004); ``settings`` are passed as ``-c name=value``
    and override :data:`FAST`. ``root``: a directory to keep the cluster in
    between runs (bench/ data sets): initdb only the first time, and
    ``stop(remove=False)``. Raises RuntimeError with the server's words
    when initdb or the start fails."""
    bindir = bindir or pg_bin()
    if bindir is None:
        raise RuntimeError(f"PostgreSQL server binaries not found in {BINDIR}")
    account = _server_account()
    kept = root is not None
    if root is None:
        # not tmp_path: pytest's base directory is 0700 root, which the server's account cannot enter
        root = Path(tempfile.mkdtemp(prefix=prefix))
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o777 if account else 0o700)
    cluster = PgCluster(root=root, bindir=bindir, locale=locale, account=account)
    cluster.sock.mkdir(exist_ok=True)
    os.chmod(cluster.sock, 0o777 if account else 0o700)
    if not (kept and (cluster.data / "PG_VERSION").exists()):
        init = _run([str(bindir / "initdb"), "-D", str(cluster.data), "-U", "casedesk", "--auth=trust",
                     "-E", "UTF8", f"--locale={locale}", "--no-sync"], root, account)
        if init.returncode:
            if not kept:
                shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    opts = {**FAST, **(settings or {}), "listen_addresses": "''", "unix_socket_directories": f"'{cluster.sock}'",
            "port": str(cluster.port)}
    o = " ".join(f"-c {k}={v}" for k, v in opts.items())
    start = _run([str(bindir / "pg_ctl"), "-D", str(cluster.data), "-o", o, "-w", "-t", "120",
                  "-l", str(root / "log"), "start"], root, account)
    if start.returncode:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        cluster.stop(remove=not kept)
        raise RuntimeError(f"pg_ctl start failed: {start.stderr.strip()} {log[-2000:]}")
    return cluster
