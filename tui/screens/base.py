"""Base classes of every casedesk screen.

:class:`BaseScreen` gives each screen the app header and footer, translated
key bindings, Escape to go back, the app's context (engine, actor, policy,
language, business date) and :meth:`BaseScreen.run_service`, which runs a
core service in a thread worker and hands the result (or the refusal) back
to the UI thread. :class:`WorkflowScreen` is a screen about one enrollee,
opened from the enrollee view through ``tui.screens.WORKFLOW_SCREENS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, RadioSet, Select, SelectionList, TextArea
from textual.worker import Worker, get_current_worker

from core import gateway
from core.auth import Actor
from core.errors import DomainError
from core.policy import Policy
from core.workflows import Machine, Step, check_step
from tui.i18n import N_, _, translate_bindings
from tui.widgets.header import AppHeader
from tui.widgets.keys import GlobalKeys
from tui.widgets.reasons import ReasonsList, refusal_text

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tui.app import CasedeskApp

T = TypeVar("T")


class ServiceDone(Message, Generic[T]):
    """A service call finished; ``callback(result)`` runs on the UI thread."""

    def __init__(self, result: T, callback: Callable[[T], Any], wrote: bool = False) -> None:
        super().__init__()
        self.result = result
        self.callback = callback
        #: the service wrote (and committed): the form's input is saved
        self.wrote = wrote


class ServiceRefused(Message):
    """A service raised :class:`DomainError`; nothing was written."""

    def __init__(self, error: DomainError, callback: Callable[[DomainError], Any]) -> None:
        super().__init__()
        self.error = error
        self.callback = callback


class ServiceFailed(Message):
    """A service raised something unexpected (a bug or a database problem)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


#: F10 prints the highlighted record's paper; screens with documents put it
#: last in their ``BINDINGS`` so the workflow's own keys come first in the footer
PRINT_BINDING = Binding("f10", "print_document", N_("Print"), id="print",
                        tooltip=N_("Print the document the rules require for the highlighted record (saved as PDF)"))


class BaseScreen(Screen[Any]):
    """Header, body, footer; Escape goes back; services run in thread workers.

    Subclasses set ``TITLE_MSGID`` (an ``N_`` msgid) and ``HELP_MSGID`` (one
    sentence for the F1 screen), yield their widgets from :meth:`compose_body`
    and declare ``BINDINGS`` with English descriptions and tooltips, each with
    an ``id=``; they are translated when the screen is created.
    """

    TITLE_MSGID: ClassVar[str] = N_("casedesk")
    HELP_MSGID: ClassVar[str] = ""
    #: False for the home screen, which has nothing to go back to
    CAN_GO_BACK: ClassVar[bool] = True
    #: where the screen sits in the one navigation path (``CasedeskApp.go``):
    #: 0 lookup (home), 1 worklist / monitoring, 2 enrollee, 3 a workflow,
    #: 4 a step opened from a workflow (the monthly batch)
    NAV_LEVEL: ClassVar[int] = 3
    #: False for screens whose fields only search or filter: leaving them
    #: never asks about discarding input
    HOLDS_FORMS: ClassVar[bool] = True

    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="back", tooltip=N_("Go back to the previous screen")),
    ]

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self)
        #: form field -> its value before the caseworker's first key in it
        self._typed: dict[Widget, object] = {}

    # ------------------------------------------------------------------ navigation identity
    def same_place(self, other: Screen[Any]) -> bool:
        """True when ``other`` (a new screen of the same class) shows what
        this one shows, so navigation switches to this instance instead."""
        return getattr(self, "enrollee_id", None) == getattr(other, "enrollee_id", None)

    # ------------------------------------------------------------------ unsaved input
    def note_key(self, focused: Widget | None) -> None:
        """A key (or paste) is about to reach ``focused``: remember the value
        its form field had before the caseworker touched it."""
        if not self.HOLDS_FORMS or focused is None:
            return
        field = form_field(focused)
        if field is not None and field.screen is self and field not in self._typed:
            self._typed[field] = field_value(field)

    def has_unsaved_input(self) -> bool:
        """The caseworker typed or picked something that is not saved yet."""
        return any(w.is_attached and field_value(w) != before for w, before in self._typed.items())

    def mark_clean(self) -> None:
        """What is in the fields now is saved (or deliberately dropped)."""
        self._typed.clear()

    # ------------------------------------------------------------------ context
    @property
    def casedesk(self) -> "CasedeskApp":
        return self.app  # type: ignore[return-value]

    @property
    def engine(self) -> "Engine":
        return self.casedesk.engine

    @property
    def actor(self) -> Actor:
        return self.casedesk.actor

    @property
    def policy(self) -> Policy:
        return self.casedesk.policy

    @property
    def lang(self) -> str:
        return self.casedesk.lang

    @property
    def today(self) -> date:
        return self.casedesk.today

    def screen_title(self) -> str:
        return _(self.TITLE_MSGID)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield AppHeader(self.screen_title())
        yield from self.compose_body()
        yield GlobalKeys()
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> Iterable[Widget]:
        return ()

    @on(events.Mount)
    def _quiet_when_headless(self) -> None:
        # a handler of its own (not on_mount): Textual calls every class's
        # on_mount, so subclasses define on_mount without calling super()
        if self.app.is_headless:
            # tests and snapshots: no blinking cursor, so frames are stable
            for field in self.query(Input):
                field.cursor_blink = False

    def set_screen_title(self, title: str) -> None:
        self.query_one(AppHeader).set_title(title)

    # ------------------------------------------------------------------ actions
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back" and not self.CAN_GO_BACK:
            return False
        if action == "print_document" and not self.printable():
            return False
        return True

    def action_back(self) -> None:
        """Escape: one step back, after asking when a form holds input."""
        if not self.CAN_GO_BACK:
            return
        if self.has_unsaved_input():
            self.casedesk.ask_discard(self.step_back)
        else:
            self.step_back()

    def step_back(self) -> None:
        """Go back one step without asking (a screen with panes goes back to
        its list first; see the certificate screen)."""
        self.mark_clean()
        if len(self.app.screen_stack) > 1 and self.app.screen is self:
            self.dismiss()

    # ------------------------------------------------------------------ documents
    def printable(self) -> list[tuple[str, str]]:
        """``(kind, number)`` of the documents that belong to what the screen
        shows (see :data:`core.documents.KINDS`), the latest step's last;
        empty when there is nothing to print. F10 prints the last one, the
        command palette offers each."""
        return []

    def action_print_document(self, kind: str = "", number: str = "") -> None:
        """Save the document as PDF through :mod:`core.services.documents`,
        send it to the printer when CUPS is there, and say where it went."""
        docs = self.printable()
        if not docs:
            self.notify(_("Nothing to print here."), severity="warning")
            return
        kind, number = (kind, number) if kind else docs[-1]
        actor, policy, lang, on = self.actor, self.policy, self.lang, self.today

        def work(session: Session):
            from core.services.documents import print_document

            return print_document(session, actor, policy, kind, number, lang=lang, on=on)

        def done(printed) -> None:
            self.run_worker(lambda: self._send(printed), thread=True, group="printer")

        self.run_service(work, done, write=True, group="print")

    def _send(self, printed) -> None:
        from core.services.documents import send_to_printer

        sent = send_to_printer(printed)
        from tui.labels import label

        msg = _("Saved {kind} {number} to {path}.", kind=label("document", sent.kind), number=sent.number,
                path=str(sent.path))
        if sent.printer:
            msg += " " + _("Printer: {answer}", answer=sent.printer)
        self.app.call_from_thread(self.notify, msg, title=_("Printed"), timeout=10, markup=False)

    # ------------------------------------------------------------------ services
    def run_service(
        self,
        work: gateway.Work[T],
        on_done: Callable[[T], Any],
        *,
        write: bool = False,
        on_refused: Callable[[DomainError], Any] | None = None,
        group: str = "service",
        exclusive: bool | None = None,
    ) -> Worker[None]:
        """Run ``work(session)`` through :func:`core.gateway.run` in a thread
        worker, then ``on_done(result)`` here.

        ``work`` passes the session on to ``core`` query functions and
        services only, and returns a plain result (frozen records,
        dataclasses: the gateway refuses an ORM row). ``write=True`` runs it
        in one transaction, committed before ``on_done`` is called, rolled
        back on any error. A :class:`DomainError` goes to ``on_refused``
        (default :meth:`show_refusal`); anything else is reported by the app.

        ``exclusive`` (default: for reads only) lets a newer call in the same
        ``group`` supersede an older one, whose result is then dropped. A
        write is never superseded: its outcome is always shown.
        """
        engine = self.engine
        refused = on_refused or self.show_refusal

        def job() -> None:
            worker = get_current_worker()
            try:
                result = gateway.run(engine, work, write=write)
            except DomainError as exc:
                if not worker.is_cancelled:
                    self.post_message(ServiceRefused(exc, refused))
                return
            except Exception as exc:  # noqa: BLE001 - shown to the caseworker, kept for tests
                self.post_message(ServiceFailed(exc))
                return
            if not worker.is_cancelled:
                self.post_message(ServiceDone(result, on_done, wrote=write))

        if exclusive is None:
            exclusive = not write
        return self.run_worker(job, thread=True, exclusive=exclusive, group=group, exit_on_error=False)

    def _gone(self) -> bool:
        """Closed (or the app is closing): a late result has nowhere to go."""
        return not self.is_attached or self.app._exit or self not in self.app.screen_stack

    def on_service_done(self, message: ServiceDone) -> None:
        message.stop()
        if self._gone():
            return
        if message.wrote:
            self.mark_clean()
        message.callback(message.result)

    def on_service_refused(self, message: ServiceRefused) -> None:
        message.stop()
        if self._gone():
            return
        message.callback(message.error)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.casedesk.report_failure(message.error)

    # ------------------------------------------------------------------ steps before keys
    def step(self, record: Any, event: str, machine: Machine, *, on: date | None = None,
             facts: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None) -> Step:
        """What :func:`core.workflows.check_step` says about ``event`` on
        ``record`` for this caseworker (``on``: the step's date, default the
        business date)."""
        return check_step(machine, event, record, self.actor, on or self.today, today=self.today,
                          policy=self.policy, facts=facts, inputs=inputs)

    def refuse_before_asking(self, record: Any, event: str, machine: Machine, *,
                             on_refused: Callable[[DomainError], Any] | None = None, **kw: Any) -> bool:
        """Pre-check a step before its confirmation dialog: when the machine
        or its rules would refuse it, show the reasons instead and return True."""
        st = self.step(record, event, machine, **kw)
        if st.allowed:
            return False
        (on_refused or self.show_refusal)(DomainError(list(st.reasons)))
        return True

    def role_allows(self, machine: Machine, event: str) -> bool:
        """The caseworker's role may take ``event`` at all (keys are shown only then)."""
        return self.actor.can(machine.event(event).permission)

    def show_refusal(self, error: DomainError) -> None:
        """Show a refusal: in the screen's ``ReasonsList`` if it has one, and
        as a notification naming field and article."""
        for widget in self.query(ReasonsList):
            widget.show_error(error)
            break
        self.notify(refusal_text(error, self.lang), title=_("Refused"), severity="error", timeout=8)


#: widgets whose value is a caseworker's input (the Select's overlay and the
#: Input inside a compound widget count as their field)
FORM_FIELDS: tuple[type[Widget], ...] = (Input, Select, Checkbox, TextArea, RadioSet, SelectionList)


def form_field(widget: Widget) -> Widget | None:
    """The form field ``widget`` belongs to (itself, or the Select it opens)."""
    node: Any = widget
    while node is not None and not isinstance(node, Screen):
        if isinstance(node, Select):
            return node
        node = node.parent
    return widget if isinstance(widget, FORM_FIELDS) else None


def field_value(widget: Widget) -> object:
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, SelectionList):
        return tuple(widget.selected)
    if isinstance(widget, RadioSet):
        return widget.pressed_index
    return getattr(widget, "value", None)


class WorkflowScreen(BaseScreen):
    """A workflow about one enrollee (certificates, books, off-site ...).

    Registered by name in ``tui.screens.WORKFLOW_SCREENS`` and opened with
    ``CasedeskApp.open_workflow(name, enrollee_id)``, which calls
    ``cls(enrollee_id=...)``. ``enrollee_id`` is the enrollee's UUID as text,
    or None when the workflow is opened without one (from the palette).
    """

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enrollee_id: str | None = str(enrollee_id) if enrollee_id is not None else None
