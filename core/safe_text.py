"""Text that is safe to print to a terminal (issue 9, item 5).

Stored text (names, details, reasons) and typed input may hold C0/C1
control characters: ``\\x1b[2J`` clears a screen, ``\\x1b]0;…\\a`` retitles
the window, ``\\r`` overwrites a line, U+202E reverses what follows. Every
CLI printer passes its text through :func:`neutralise`, which shows each such
character as a visible ``\\xNN`` / ``\\uNNNN`` escape, so an escape sequence
becomes harmless characters and the reader still sees that it was there.

:func:`dumps_json` is ``json.dumps`` with the same guarantee: the JSON still
decodes to the original strings, but no control character reaches the
terminal raw (``json`` escapes C0 itself; DEL, C1 and the bidirectional
controls are escaped here as ``\\uNNNN``).
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 except tab and newline, DEL, C1, and the Unicode line/paragraph
# separators and bidirectional embedding/override/isolate controls.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralise(text: object) -> str:
    """``text`` with every terminal control character shown as an escape."""
    return _UNSAFE.sub(_visible, str(text))


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps_json(data: Any, **kwargs: Any) -> str:
    """``json.dumps`` (UTF-8 kept readable) with no raw control character."""
    kwargs.setdefault("ensure_ascii", False)
    return _UNSAFE.sub(_json_escape, json.dumps(data, **kwargs))
