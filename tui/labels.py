"""Display labels for stored codes (schemes, statuses, roles ...).

Each label is an msgid marked with ``N_`` and translated where shown with
:func:`label`. An unknown code is shown as it is stored.
"""

from __future__ import annotations

from datetime import date

from core.labels import LABELS  # the one table of code labels
from tui.i18n import _


def label(kind: str, code: str | None) -> str:
    """The translated label of ``code`` in the ``kind`` table."""
    if code is None:
        return ""
    msgid = LABELS.get(kind, {}).get(str(code))
    return _(msgid) if msgid else str(code)


def yes_no(value: bool) -> str:
    return label("yes_no", "yes" if value else "no")


def day(value: date | None) -> str:
    """A date as ISO text, or a dash when there is none."""
    return value.isoformat() if value else "-"


def due(value: date | None, provisional: bool) -> str:
    """A due date with the calendar's provisional mark."""
    if value is None:
        return "-"
    return _("{date} (provisional)", date=value.isoformat()) if provisional else value.isoformat()


def category(value: int) -> str:
    """Disease category as ASCII (Roman numerals are ambiguous-width)."""
    return _("Cat. {n}", n=value)


def amount(fen: int) -> str:
    """Yuan with two decimals, grouped as the app's language writes numbers (Babel)."""
    from babel.numbers import format_decimal

    from core.policy import fen_to_yuan
    from tui.i18n import current_lang

    return format_decimal(fen_to_yuan(fen), format="#,##0.00", locale=current_lang())


def yuan(fen: int) -> str:
    return _("{amount} yuan", amount=amount(fen))
