"""Start-up and the screen: ``casedesk lookup`` / ``check`` as processes
against ``python -c "import sqlmodel"``, and the TUI in a real terminal (a
pty) against the bare Textual app of bench/bare_app.py: cold start to the
first interactive screen, keystroke to results painted for a whole ID
number and for a name, and peak RSS (VmHWM). Each pair runs in turn, the
figures are medians."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import termios
import time
from pathlib import Path

from bench.figure import ROOT, Figure, Run, interleave, median, python, run_process

SIZE = (30, 100)  # rows, columns
READY = b"Find:"  # both screens label the search box so
RESULTS = b"results 1-"


def sample(path: Path) -> tuple[str, str, str]:
    """An enrollee with a confirmed certificate: ID number, disease code, name."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT e.id_number, c.disease_code, e.name FROM certificate c JOIN enrollee e "
                          "ON e.id = c.enrollee_id WHERE c.status = 'confirmed' AND length(e.name) = 3 "
                          "ORDER BY c.rowid DESC LIMIT 1").fetchone()
        if row is None:
            row = con.execute("SELECT id_number, 'MD-I-09', name FROM enrollee ORDER BY rowid DESC LIMIT 1").fetchone()
        return row
    finally:
        con.close()


def processes(run: Run, db: Path) -> list[Figure]:
    idn, disease, _ = sample(db)
    cli = [python(), "-m", "cli", "--db", str(db), "--lang", "en"]
    cmds = {"sqlmodel": [python(), "-c", "import sqlmodel"], "lookup": cli + ["lookup", idn],
            "check": cli + ["check", idn, disease]}
    for name in ("lookup", "check"):  # they must work, not only start
        done = run_process(cmds[name])
        if done.returncode not in (0, 1):
            raise RuntimeError(f"casedesk {name} failed ({done.returncode}): {done.stderr[-500:]}")
    times = interleave({k: (lambda c=c: run_process(c)) for k, c in cmds.items()}, 3 if run.reps <= 1 else 5 * run.reps)
    base = median(times["sqlmodel"]) * 1000
    return [Figure(f"`casedesk {k}` as a process vs python -c 'import sqlmodel'", median(times[k]) * 1000, base,
                   "ms", "<= 1.2x").check(max_ratio=1.2) for k in ("lookup", "check")]


class Term:
    """A program on a pseudo-terminal of :data:`SIZE`; its output is kept."""

    def __init__(self, cmd: list[str]) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[0], SIZE[1], 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(SIZE[1]), "LINES": str(SIZE[0]),
               "LANG": "C.UTF-8", "TEXTUAL_ANIMATIONS": "none"}
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.out = b""

    def wait_for(self, marker: bytes, since: int = 0, timeout: float = 30.0) -> float:
        """Seconds until ``marker`` appears in the output after byte ``since``."""
        t0 = time.perf_counter()
        while marker not in self.out[since:]:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0 or self.proc.poll() is not None:
                tail = self.out[-400:].decode(errors="replace")
                raise RuntimeError(f"{marker!r} never appeared (exit {self.proc.poll()}): {tail!r}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    pass
        return time.perf_counter() - t0

    def settle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Read until nothing more is written for ``quiet`` seconds."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            ready, _, _ = select.select([self.master], [], [], quiet)
            if not ready:
                return
            try:
                self.out += os.read(self.master, 65536)
            except OSError:
                return

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.type("\x11")  # ctrl+q
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


def session(cmd: list[str], idn: str, name: str) -> dict[str, float]:
    """Cold start, then a whole ID number typed key by key (the last key
    timed), then a name (the last character timed), then the peak RSS."""
    term = Term(cmd)
    try:
        term.wait_for(READY)
        start = time.perf_counter() - term.started  # from the spawn
        term.settle()
        out: dict[str, float] = {"start": start}
        for label, text in (("id", idn), ("name", name)):
            term.type(text[:-1])
            term.settle()
            mark = len(term.out)
            t = time.perf_counter()
            term.type(text[-1])
            term.wait_for(RESULTS, since=mark)
            out[label] = time.perf_counter() - t
            term.settle()
            term.type("\x7f" * len(text))  # backspace it away
            term.settle()
        out["rss"] = term.peak_rss_mb()
        return out
    finally:
        term.close()


def screen(run: Run, db: Path) -> list[Figure]:
    idn, _, name = sample(db)
    cmds = {"casedesk": [python(), "-m", "cli", "--db", str(db), "--lang", "en"],
            "bare": [python(), str(ROOT / "bench" / "bare_app.py"), str(db)]}
    got: dict[str, list[dict[str, float]]] = {k: [] for k in cmds}
    for _ in range(1 if run.reps <= 1 else 2 * run.reps):
        for k, c in cmds.items():
            got[k].append(session(c, idn, name))
    m = {k: {f: median([r[f] for r in v]) for f in ("start", "id", "name", "rss")} for k, v in got.items()}
    cd, bare = m["casedesk"], m["bare"]
    return [
        Figure("TUI cold start to the first interactive screen (pty)", cd["start"] * 1000, bare["start"] * 1000,
               "ms", "<= 1.25x").check(max_ratio=1.25),
        Figure("TUI keystroke to results, whole ID number", cd["id"] * 1000, bare["id"] * 1000, "ms",
               "<= 100 ms").check(max_value=100),
        Figure("TUI keystroke to results, name", cd["name"] * 1000, bare["name"] * 1000, "ms",
               "<= 150 ms").check(max_value=150),
        Figure("TUI peak RSS (VmHWM)", cd["rss"], bare["rss"], "MB", "<= 1.3x").check(max_ratio=1.3),
    ]


def figures(run: Run) -> list[Figure]:
    db = run.dataset()
    return processes(run, db) + screen(run, db)
