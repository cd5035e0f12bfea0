"""What happens when the app meets an error it did not expect.

The caseworker's terminal gets one short sentence and where the details
went; never a traceback, local variables, names or ID numbers (Textual's own
handler prints a traceback with every local, which holds the enrollee's name
and ID number). The details go to casedesk's log (``core.logs``: a 0600 file
in the user log directory or ``CASEDESK_LOG_DIR``, exception types and
frames without locals, messages scrubbed, ID and card numbers masked).
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.logs import LOGGER, format_stack, log_dir, setup_logging


def write_crash_log(error: BaseException, *, context: str = "") -> Path | None:
    """Log ``error``; the log's path, or None when it could not be written
    (the short message then says so, and nothing else is shown)."""
    try:
        path = setup_logging(log_dir())
        logging.getLogger(LOGGER).error("unexpected error in the app (%s)\n%s", context, format_stack(error))
        return path
    except OSError:
        return None
