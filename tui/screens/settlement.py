"""Settlement summary (SZ-MD Art. 11), from the command palette: per
institution and month, the visits and costs booked and each fund's share.

Type the month (YYYY-MM; the previous month is filled in); Ctrl+R or Enter
computes :func:`core.services.settlement.monthly_settlement`. The same
figures come from ``casedesk settlement YYYY-MM --csv FILE``.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from core.rules.monitoring import Month
from core.services.settlement import SettlementReport, monthly_settlement
from tui.i18n import N_, _
from tui.labels import amount
from tui.screens.base import BaseScreen
from tui.widgets.reasons import ReasonsList


def report_table(report: SettlementReport, lang: str) -> RenderableType:
    head = Text(_("Booked {start} to {end} ({article})", start=report.start.isoformat(), end=report.end.isoformat(),
                  article=report.article), style="bold")
    if not report.rows:
        return Group(head, Text(_("Nothing booked in this month.")))
    t = Table(box=None, pad_edge=False, header_style="dim", expand=True)
    t.add_column(_("Institution"), ratio=1, overflow="fold")
    for h in (_("Visits"), _("Booked"), _("Basic fund"), _("Suppl. fund"), _("Account")):
        t.add_column(h, justify="right", no_wrap=True)
    for r in report.rows:
        t.add_row(f"{r.institution_code} {r.name_in(lang)}", str(r.visits), amount(r.booked_fen), amount(r.basic_fen),
                  amount(r.supplementary_fen), amount(r.account_fen))
    t.add_row(Text(_("Total"), style="bold"), str(report.total("visits")), amount(report.total("booked_fen")),
              amount(report.total("basic_fen")), amount(report.total("supplementary_fen")),
              amount(report.total("account_fen")))
    parts: list[RenderableType] = [head, t]
    le = report.total("large_equipment_fen")
    if le:
        parts.append(Text(_("Large-equipment examinations booked but not counted: {amount}", amount=amount(le)),
                          style="dim"))
    return Group(*parts)


class SettlementScreen(BaseScreen):
    TITLE_MSGID = N_("Settlement")
    HELP_MSGID = N_("The month's settlement with the designated institutions (SZ-MD Art. 11): per institution the "
                    "visits and costs booked and each fund's share. Ctrl+R computes the month typed.")
    CSS_PATH = "settlement.tcss"
    NAV_LEVEL = 1
    HOLDS_FORMS = False

    BINDINGS = [Binding("ctrl+r", "compute", N_("Compute"), id="settlement.compute",
                        tooltip=N_("Compute the settlement summary of the month"))]

    def __init__(self) -> None:
        super().__init__()
        self.report: SettlementReport | None = None

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(classes="field-row"):
            yield Label(_("Month"))
            yield Input(Month.of(self.today).shift(-1).label, placeholder="YYYY-MM", id="month", compact=True)
        yield ReasonsList(id="reasons")
        with VerticalScroll(id="report"):
            yield Static(_("Ctrl+R computes the month."), id="summary")

    def on_mount(self) -> None:
        self.query_one("#month", Input).focus()
        self.action_compute()

    @on(Input.Submitted, "#month")
    def _submitted(self) -> None:
        self.action_compute()

    def action_compute(self) -> None:
        month, policy = self.query_one("#month", Input).value.strip(), self.policy
        self.query_one("#reasons", ReasonsList).clear()
        self.run_service(lambda s: monthly_settlement(s, month, policy=policy), self.show, group="settlement")

    def show(self, report: SettlementReport) -> None:
        self.report = report
        self.query_one("#summary", Static).update(report_table(report, self.lang))
