"""Locate the packaged policy/calendar data directory."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Return the data directory.

    An installed wheel carries the data inside the package as ``core/_data``
    (see ``[tool.hatch.build.targets.wheel.force-include]``); a source checkout
    keeps it at ``<repo>/data``.
    """
    candidates = (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent / "data")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "casedesk data directory not found; looked in "
        + ", ".join(str(c) for c in candidates)
    )
