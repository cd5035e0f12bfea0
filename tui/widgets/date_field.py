"""A one-line date input for the step date of a workflow (off-site
cancellation, investigation steps): ``YYYY-MM-DD``, prefilled with the
business date. :meth:`DateInput.day` parses it with
:func:`core.rules.worklist.parse_date` and refuses an empty field the same
way core refuses, naming the field and the article.
"""

from __future__ import annotations

from datetime import date

from textual.widgets import Input

from core.errors import DomainError
from core.i18n import N_
from core.rules.worklist import parse_date


class DateInput(Input):
    def __init__(self, value: date | None = None, *, id: str | None = None) -> None:
        super().__init__(value.isoformat() if value else "", placeholder="YYYY-MM-DD", id=id, compact=True,
                         max_length=10)

    def day(self, field: str, article: str) -> date:
        """The typed date; :class:`DomainError` when it is empty or not a date."""
        parsed = parse_date(self.value, field, article)
        if parsed is None:
            raise DomainError.one(article, field, N_("Give the date as YYYY-MM-DD."))
        return parsed
