"""A one-line date input for the step date of a workflow (off-site
cancellation, investigation steps, the quick check's day): ``YYYY-MM-DD``,
prefilled with the business date. It edits like a date: only digits and
dashes go in, focus puts the cursor at the end (no select-all, so a typed
key never wipes the date), and beside it the weekday and whether the day is
a holiday or a make-up working day (``core.calendar``) are shown.
:meth:`DateInput.day` parses it with :func:`core.rules.worklist.parse_date`
and refuses an empty field the same way core refuses, naming the field and
the article.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.widgets import Input, Label

from core.calendar import default_calendar
from core.errors import DomainError
from core.i18n import N_
from core.rules.worklist import parse_date
from tui.i18n import _

WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def day_note(value: str) -> str:
    """``Tue``, ``Sat``, ``Thu, holiday``, ``Sun, working day``; ``?`` for a
    day that is not (yet) a date; ``(no calendar)`` past the calendar's data."""
    try:
        d = date.fromisoformat(value.strip())
    except ValueError:
        return "?" if value.strip() else ""
    weekday = _(WEEKDAYS[d.weekday()])
    working, known = default_calendar().is_working_day(d)
    weekend = d.weekday() >= 5
    if not known:
        return _("{weekday} (no calendar)", weekday=weekday)
    if not working and not weekend:
        return _("{weekday}, holiday", weekday=weekday)
    if working and weekend:
        return _("{weekday}, working day", weekday=weekday)
    return weekday


class DateInput(Input):
    DEFAULT_CSS = """
    DateInput {
        width: 12;
    }
    """

    def __init__(self, value: date | None = None, *, id: str | None = None) -> None:
        super().__init__(value.isoformat() if value else "", placeholder="YYYY-MM-DD", id=id, compact=True,
                         max_length=10, restrict=r"[0-9-]*", select_on_focus=False)
        self.note = Label(day_note(self.value), classes="date-note")

    def on_mount(self) -> None:
        if self.parent is not None and not self.note.is_attached:
            self.parent.mount(self.note, after=self)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.input is self:
            self.note.update(day_note(self.value))

    def day(self, field: str, article: str) -> date:
        """The typed date; :class:`DomainError` when it is empty or not a date."""
        parsed = parse_date(self.value, field, article)
        if parsed is None:
            raise DomainError.one(article, field, N_("Give the date as YYYY-MM-DD."))
        return parsed
