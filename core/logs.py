"""Private files and a log that holds no personal data (issue 9, item 4).

- :func:`private_umask` sets the process umask to ``077`` at start-up, so the
  database, its ``-wal``/``-shm`` files (SQLite gives them the database
  file's mode), backups, logs and their directories are created 0600/0700.
- :func:`setup_logging` attaches a stdlib :class:`RotatingFileHandler` to the
  ``casedesk`` logger, writing ``casedesk.log`` in the platform's user log
  directory (``platformdirs``). Every record passes :class:`MaskingFilter`:
  ID and card numbers are masked (:func:`core.ids.mask_text`), SQL parameters
  are cut, and no locals are ever formatted.
- :func:`log_crash` writes an unexpected error: the command's names and
  options (never its arguments: they carry ID numbers and names), the
  exception types and the stack's file/line/function, and the masked message.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path

from core.ids import mask_text

LOGGER = "casedesk"
LOG_FILE = "casedesk.log"
MAX_BYTES = 1_000_000
BACKUPS = 5

# SQLAlchemy appends "[SQL: …]" and "[parameters: …]" (and a background link)
# to its messages; the parameters are personal data, the statement may hold
# literals too.
_SQLA_TAIL = re.compile(r"\s*\[(SQL|parameters|Background on this error)[^\]]*\].*", re.DOTALL)


def private_umask() -> None:
    """Files and directories this process creates are its owner's only."""
    os.umask(0o077)


def log_dir() -> Path:
    env = os.environ.get("CASEDESK_LOG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_log_dir

    return Path(user_log_dir("casedesk", appauthor=False))


def scrub(text: str) -> str:
    """A message fit for the log: SQL and its parameters cut, IDs masked."""
    return mask_text(_SQLA_TAIL.sub("", str(text)))


def describe_exception(exc: BaseException) -> str:
    """``Type: scrubbed message`` of ``exc`` (no parameters, IDs masked)."""
    orig = getattr(exc, "orig", None)  # DBAPIError: the driver's own message
    message = str(orig) if orig is not None else str(exc)
    message = scrub(message.strip().splitlines()[0] if message.strip() else "")
    if len(message) > 300:
        message = message[:300] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class MaskingFilter(logging.Filter):
    """Formats each record's message once, scrubbed, and drops its args and
    exception object so no handler can format them again unmasked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.msg += "\n" + format_stack(record.exc_info[1])
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def format_stack(exc: BaseException) -> str:
    """Each exception in the chain as type + scrubbed message and its frames
    as file:line in function (``traceback`` without ``capture_locals``)."""
    out: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    chain: list[BaseException] = []
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        chain.append(cur)
        cur = cur.__cause__ or (None if cur.__suppress_context__ else cur.__context__)
    for e in reversed(chain):
        out.append(describe_exception(e))
        for fs in traceback.extract_tb(e.__traceback__):
            out.append(f"  {fs.filename}:{fs.lineno} in {fs.name}")
    return "\n".join(out)


_configured: Path | None = None


def setup_logging(directory: Path | None = None) -> Path:
    """The rotating, masked, 0600 log; returns its path. Idempotent."""
    global _configured
    if directory is None and _configured is not None:
        return _configured
    directory = directory or log_dir()
    path = directory / LOG_FILE
    if _configured == path:
        return path
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # the handler opens the file itself: create it private first (umask or not)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger(LOGGER)
    for old in list(logger.handlers):
        if isinstance(old, RotatingFileHandler):
            logger.removeHandler(old)
            old.close()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    _configured = path
    return path


def command_words(argv: list[str]) -> str:
    """The command, its sub-command and option names of ``argv``; every
    value (an ID number, a name, a path) is shown as ``…``."""
    words: list[str] = []
    commands = 0
    for token in argv:
        if token.startswith("-"):
            words.append(token.split("=", 1)[0] if re.fullmatch(r"--?[a-z][a-z-]*(=.*)?", token, re.DOTALL) else "…")
        elif commands < 2 and re.fullmatch(r"[a-z][a-z-]{1,20}", token) and (commands == 0 or words[-1] in _GROUPS):
            words.append(token)
            commands += 1
        else:
            words.append("…")
    return " ".join(words)


_GROUPS = {"db", "user", "certificate", "batch", "case", "offsite", "audit", "import"}


def log_crash(exc: BaseException, argv: list[str]) -> str:
    """Log an unexpected error; returns where it went (for the message)."""
    try:
        path = setup_logging()
        logging.getLogger(LOGGER).error("unexpected error in: casedesk %s\n%s",
                                        command_words(argv), format_stack(exc))
        return str(path)
    except OSError:
        return "(the log could not be written)"
