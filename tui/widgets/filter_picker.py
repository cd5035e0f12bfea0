"""A filterable pick list: a filter field over a short list of choices.

Used by the certificate, record book, replacement and batch screens to pick
a disease, an organ, a hospital, a physician, a team member or an issuing
office. Typing narrows the list (debounced); Up / Down in the filter field
move the highlight, and the highlighted choice is the value, so Tab moves on
with it. Choices come either from a fixed list (filtered here) or from a
loader ``(session, query, limit) -> list[Choice]`` run in the screen's
thread worker with at most ``limit + 1`` rows asked for, so a picker never
loads more than a page. Enter in the filter field is left to the screen
(it submits the step).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from core.gateway import Session
from tui.i18n import N_, _, translate_bindings

DEBOUNCE_SECONDS = 0.2
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Choice:
    """One row of a picker: ``key`` is what the screen uses (a UUID as text,
    a code), ``label`` what the caseworker reads (ASCII marks only)."""

    key: str
    label: str


Loader = Callable[[Session, str, int], list[Choice]]


class FilterInput(Input):
    """The filter field: Up / Down move the picker's highlight."""

    BINDINGS = [
        Binding("down", "move(1)", N_("Next choice"), id="picker.next", show=False,
                tooltip=N_("Highlight the next choice of the list under this field")),
        Binding("up", "move(-1)", N_("Previous choice"), id="picker.previous", show=False,
                tooltip=N_("Highlight the previous choice of the list under this field")),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        translate_bindings(self)

    def action_move(self, step: int) -> None:
        picker = next((a for a in self.ancestors if isinstance(a, FilterPicker)), None)
        if picker is not None:
            picker.move(step)


class FilterPicker(Vertical):
    """Title and filter field on one line, the matching choices under it."""

    DEFAULT_CSS = """
    FilterPicker {
        height: auto;
    }
    FilterPicker > .picker-list {
        height: auto;
        max-height: 5;
        margin: 0 1 0 15;
        background: $boost;
    }
    """

    class Changed(Message):
        """The highlighted choice changed (``key`` is None when nothing matches)."""

        def __init__(self, picker: "FilterPicker", key: str | None) -> None:
            super().__init__()
            self.picker = picker
            self.key = key

        @property
        def control(self) -> "FilterPicker":
            return self.picker

    def __init__(self, title: str, *, id: str, placeholder: str = "", choices: Sequence[Choice] = (),
                 loader: Loader | None = None, empty_text: str = "", limit: int = DEFAULT_LIMIT,
                 prefer_index: int = 0) -> None:
        super().__init__(id=id)
        self.title = title
        self.placeholder = placeholder
        self.choices: list[Choice] = list(choices)
        self.loader = loader
        self.empty_text = empty_text or N_("Nothing matches.")
        self.limit = limit
        #: the row highlighted after a load when nothing else is wanted
        self.prefer_index = prefer_index
        self.shown: dict[str, Choice] = {}
        self._wanted: str | None = None
        self._posted: str | None = None
        self._timer: Timer | None = None
        #: True while a typed filter or a load is on its way
        self.busy = False

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self.title)
            yield FilterInput(placeholder=self.placeholder, id=f"{self.id}-filter", compact=True)
        options = OptionList(id=f"{self.id}-list", classes="picker-list", compact=True)
        options.can_focus = False
        yield options

    def on_mount(self) -> None:
        self.reload()

    # ------------------------------------------------------------------ value
    @property
    def filter_input(self) -> FilterInput:
        return self.query_one(FilterInput)

    @property
    def value(self) -> str | None:
        """The key of the highlighted choice."""
        options = self.query_one(OptionList)
        option = options.highlighted_option if options.highlighted is not None else None
        return option.id if option is not None and not option.disabled else None

    @property
    def choice(self) -> Choice | None:
        key = self.value
        return self.shown.get(key) if key is not None else None

    def focus_filter(self) -> None:
        self.filter_input.focus()

    def move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def select(self, key: str | None) -> None:
        """Highlight ``key`` now if it is listed, else when the list next loads."""
        self._wanted = key
        if key is not None and key in self.shown:
            options = self.query_one(OptionList)
            options.highlighted = options.get_option_index(key)

    def preset(self, key: str | None, text: str = "") -> None:
        """Type ``text`` into the filter and highlight ``key`` when the list loads."""
        self._wanted = key
        field = self.filter_input
        if field.value != text:
            field.value = text  # Input.Changed reloads
        else:
            self.reload()

    # ------------------------------------------------------------------ sources
    def set_choices(self, choices: Sequence[Choice]) -> None:
        """A fixed list; the highlighted choice stays if it is still listed."""
        self.choices, self.loader = list(choices), None
        self._keep()
        self.reload()

    def set_loader(self, loader: Loader | None) -> None:
        """Load from the database; the highlighted choice stays if it is still listed."""
        self.loader = loader
        self._keep()
        self.reload()

    def _keep(self) -> None:
        if self._wanted is None:
            self._wanted = self.value

    def reload(self) -> None:
        """Fill the list for the filter as typed now."""
        query = self.filter_input.value.strip()
        if self.loader is None:
            needle = query.lower()
            hits = [c for c in self.choices if needle in c.label.lower() or needle in c.key.lower()]
            self._fill(hits[: self.limit], len(hits) > self.limit)
            return
        loader, limit = self.loader, self.limit
        screen = self.screen
        self.busy = True
        screen.run_service(  # type: ignore[attr-defined]
            lambda s: loader(s, query, limit + 1),
            lambda rows: self._fill(rows[:limit], len(rows) > limit),
            group=f"picker-{self.id}",
        )

    def _fill(self, rows: list[Choice], more: bool) -> None:
        self.busy = False
        options = self.query_one(OptionList)
        before = self._wanted if self._wanted is not None else self.value
        self.shown = {c.key: c for c in rows}
        options.clear_options()
        options.add_options([Option(Text(c.label), id=c.key) for c in rows])
        if more:
            options.add_option(Option(Text(_("... more: type to narrow the list")), disabled=True))
        if not rows:
            options.add_option(Option(Text(_(self.empty_text)), disabled=True))
        if rows:
            keys = [c.key for c in rows]
            options.highlighted = keys.index(before) if before in keys else min(self.prefer_index, len(keys) - 1)
        self._wanted = None
        self._announce()

    # ------------------------------------------------------------------ events
    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        if self.loader is None:
            self.reload()
            return
        self.busy = True
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        self.reload()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._announce()

    def _announce(self) -> None:
        key = self.value
        if key != self._posted:
            self._posted = key
            self.post_message(self.Changed(self, key))
