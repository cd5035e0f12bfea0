"""What happens when the app meets an error it did not expect.

The caseworker's terminal gets one short sentence and the name of a crash
log; never a traceback, local variables, names or ID numbers (Textual's own
handler prints a traceback with every local, which holds the enrollee's
name and ID number). The crash log is a file only its owner can read
(0600), in the user log directory, with the traceback *without locals* and
every ID number and card number in it masked (``core.ids``).
"""

from __future__ import annotations

import os
import traceback
from datetime import datetime
from pathlib import Path

from core.ids import mask_text

def mask_numbers(text: str) -> str:
    """Every ID number and long number in ``text`` masked (:func:`core.ids.mask_text`)."""
    return mask_text(text)


def crash_dir() -> Path:
    """Where crash logs go: ``CASEDESK_LOG_DIR``, else the user log directory."""
    env = os.environ.get("CASEDESK_LOG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_log_dir

    return Path(user_log_dir("casedesk", appauthor=False))


def crash_report(error: BaseException) -> str:
    """The traceback of ``error`` (no locals), ID numbers masked."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return mask_numbers("".join(lines))


def write_crash_log(error: BaseException, *, context: str = "") -> Path | None:
    """Write the crash log of ``error``; its path, or None when it could not
    be written (the short message then says so, and nothing else is shown)."""
    try:
        folder = crash_dir()
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"crash-{stamp}.log"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if context:
                out.write(mask_numbers(context) + "\n")
            out.write(crash_report(error))
        return path
    except OSError:
        return None
