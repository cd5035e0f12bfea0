"""Monthly batch of certificate originals (SZ-MD Art. 4(1), step 5).

Each month a diagnostic hospital sends the agency the originals and copies of
the disease documents of the certificates confirmed that month. Pick the
hospital and the month (Enter or Ctrl+S lists them): the certificates in the
batch and those still waiting are shown with the batch's state. Ctrl+G
gathers the waiting certificates into the batch, Ctrl+O marks the batch
received by the agency. Opened from the certificate screen (Ctrl+B) with the
highlighted certificate's hospital and month filled in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from functools import partial

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label

from core.errors import DomainError
from core.gateway import Session
from core.models import Certificate, MonthlyBatch
from core.queries.documents import BatchView, batch_view
from core.records import frozen
from core.services import certificates as svc
from tui.i18n import N_, _
from tui.labels import day, label
from tui.screens.base import PRINT_BINDING, WorkflowScreen
from tui.screens.certificate_data import diagnostic_hospitals, short_place
from tui.screens.certificates import picked
from tui.widgets.confirm import ConfirmScreen
from tui.widgets.filter_picker import FilterPicker
from tui.widgets.paged import PagedTable, Row
from tui.widgets.reasons import ReasonsList, refusal_text


class BatchesScreen(WorkflowScreen):
    TITLE_MSGID = N_("Monthly batch")
    HELP_MSGID = N_("A hospital's certificates confirmed in a month go to the agency as one batch of originals "
                    "(SZ-MD Art. 4). Pick the hospital and the month, Enter lists them; Ctrl+G gathers the "
                    "waiting ones into the batch, Ctrl+O marks the batch received.")
    CSS_PATH = "batches.tcss"
    NAV_LEVEL = 4

    BINDINGS = [
        Binding("ctrl+s", "show", N_("List"), id="batches.show",
                tooltip=N_("List the batch of the hospital and month")),
        Binding("ctrl+g", "assemble", N_("Gather"), id="batches.assemble",
                tooltip=N_("Put the waiting certificates into the month's batch")),
        Binding("ctrl+o", "receive", N_("Received"), id="batches.receive",
                tooltip=N_("Mark the month's batch of originals received by the agency")),
        Binding("pagedown", "next_page", N_("Next page"), id="batches.next_page", key_display="PgDn",
                tooltip=N_("Show the next page of certificates")),
        Binding("pageup", "previous_page", N_("Prev page"), id="batches.previous_page", key_display="PgUp",
                tooltip=N_("Show the previous page of certificates")),
        PRINT_BINDING,
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, *, institution_id: str | None = None,
                 institution_code: str = "", month: str | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        #: the hospital to list as soon as the picker has loaded it
        self.institution_id = institution_id
        self.institution_code = institution_code
        self.month = month
        self.view: BatchView | None = None

    def same_place(self, other) -> bool:
        return (self.institution_id, self.month) == (getattr(other, "institution_id", None),
                                                     getattr(other, "month", None))

    def compose_body(self) -> Iterable[Widget]:
        yield FilterPicker(_("Hospital"), id="hospital", placeholder=_("code, name or city"))
        with Horizontal(classes="field-row"):
            yield Label(_("Month"))
            yield Input(value=self.month or self.today.strftime("%Y-%m"), placeholder="YYYY-MM", id="month",
                        compact=True)
        yield Label("", id="status")
        yield ReasonsList(id="reasons")
        yield PagedTable(id="certs", flex=("disease",))

    def on_mount(self) -> None:
        table = self.query_one("#certs", PagedTable)
        for key, text in (("number", N_("Number")), ("disease", N_("Disease")), ("confirmed", N_("Confirmed")),
                          ("status", N_("Status")), ("where", N_("Batch"))):
            table.add_column(_(text), key=key)
        hospital = self.query_one("#hospital", FilterPicker)
        hospital.set_loader(partial(diagnostic_hospitals, policy=self.policy, lang=self.lang))
        hospital.focus_filter()
        if self.institution_id:
            hospital.preset(self.institution_id, self.institution_code)

    # ------------------------------------------------------------------ listing
    def _form(self) -> tuple[str | None, str]:
        return self.query_one("#hospital", FilterPicker).value, self.query_one("#month", Input).value.strip()

    def action_show(self) -> None:
        institution, month = self._form()

        def work(session: Session) -> BatchView:
            return batch_view(session, picked(institution, "institution_id", N_("Pick a hospital.")), month)

        self.run_service(work, self._shown, on_refused=self._refused, group="load")

    def printable(self) -> list[tuple[str, str]]:
        v = self.view
        return [("batch", f"{v.institution.code}/{v.month}")] if v is not None and v.batch is not None else []

    def _shown(self, view: BatchView) -> None:
        self.view = view
        self.query_one("#reasons", ReasonsList).clear()
        rows: list[Row] = [(str(c.id), self._row(c, _("in batch"))) for c in view.in_batch]
        rows += [(str(c.id), self._row(c, _("waiting"))) for c in view.waiting]
        table = self.query_one("#certs", PagedTable)
        table.set_rows(rows)
        self._status()

    def _row(self, c: Certificate, where: str) -> tuple:
        return (Text(c.number), Text(c.disease_code), Text(day(c.confirmed_on)),
                Text(label("certificate_status", c.status)), Text(where))

    def _status(self) -> None:
        view = self.view
        if view is None:
            return
        place = short_place(view.institution, self.lang)
        if view.batch is None:
            state = _("no batch yet")
        elif view.batch.received_on is None:
            state = _("batch not received")
        else:
            state = _("received {day} by {user}", day=day(view.batch.received_on), user=view.batch.received_by)
        text = _("{place}, {month}: {state}; {count} in the batch, {waiting} waiting.", place=place,
                 month=view.month, state=state, count=len(view.in_batch), waiting=len(view.waiting))
        page = self.query_one("#certs", PagedTable).page_text()
        self.query_one("#status", Label).update(Text(text + (f"  {page}" if page else ""), style="bold"))

    def _refused(self, error: DomainError) -> None:
        self.query_one("#reasons", ReasonsList).show_error(error)
        self.notify(refusal_text(error, self.lang), title=_("Refused"), severity="error", timeout=8)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_show()

    @on(FilterPicker.Changed, "#hospital")
    def _hospital_changed(self, event: FilterPicker.Changed) -> None:
        if self.institution_id is not None and event.key == self.institution_id:
            self.institution_id = None
            self.action_show()

    # ------------------------------------------------------------------ writes
    def _write(self, work: Callable[[Session, uuid.UUID, str], MonthlyBatch], done_msgid: str) -> None:
        institution, month = self._form()

        def job(session: Session) -> MonthlyBatch:
            return frozen(work(session, picked(institution, "institution_id", N_("Pick a hospital.")), month))

        def done(batch: MonthlyBatch) -> None:
            self.notify(_(done_msgid, month=batch.month))
            self.action_show()

        self.run_service(job, done, write=True, on_refused=self._refused, group="write")

    def action_assemble(self) -> None:
        actor, on, policy = self.actor, self.today, self.policy
        self._write(lambda s, inst, month: svc.assemble_batch(s, actor, policy=policy, institution_id=inst, month=month, on=on),
                    N_("Waiting certificates gathered into the {month} batch."))

    def action_receive(self) -> None:
        actor, on, policy = self.actor, self.today, self.policy
        _inst, month = self._form()
        expected = self.view.batch.version if self.view and self.view.batch and self.view.month == month else None

        def go(yes: bool | None) -> None:
            if yes:
                self._write(lambda s, inst, m: svc.receive_batch(s, actor, policy=policy, institution_id=inst, month=m, on=on,
                                                                 expected_version=expected),
                            N_("The {month} batch of originals is marked received."))

        self.app.push_screen(ConfirmScreen(_("Mark the {month} batch of originals received today?", month=month)),
                             go)

    def action_next_page(self) -> None:
        if self.query_one("#certs", PagedTable).next_page():
            self._status()

    def action_previous_page(self) -> None:
        if self.query_one("#certs", PagedTable).previous_page():
            self._status()
