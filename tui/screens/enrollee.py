"""The enrollee on one screen, and one key to start each workflow.

Shows the facts (scheme, supplementary, household, employment, account
state: a suspended account is a red banner saying what it means), the
certificates with status and validity, the record book, the off-site filing
and its three institutions, the community health centre, the open
investigation and the alerts with due dates. The full ID number is shown
here and nowhere else. Data comes from :func:`core.services.overview.enrollee_overview`
in a thread worker, and is reloaded whenever the screen comes back to the
front (after a workflow screen closes).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from core.policy import Policy
from core.services.overview import (
    Alert,
    CertificateView,
    EnrolleeOverview,
    FilingView,
    enrollee_overview,
)
from tui.i18n import N_, _
from tui.labels import category, day, due, label, yes_no, yuan
from tui.screens.base import BaseScreen

#: key, workflow name (``tui.screens.WORKFLOW_SCREENS``), footer text, tooltip
WORKFLOW_KEYS: list[tuple[str, str, str, str]] = [
    ("c", "certificates", N_("Cert"),
     N_("Certificates: draft, sign, seal, confirm, re-apply, invalidate (SZ-MD Art. 4, 12, 13)")),
    ("b", "books", N_("Book"), N_("Record book: issue or renew (SZ-MD Art. 5)")),
    ("r", "replacements", N_("Replace"), N_("Replace a lost certificate or record book (SZ-MD Art. 5)")),
    ("o", "offsite", N_("Off-site"), N_("Off-site filing of three institutions (SZ-MT Art. 9, 10)")),
    ("h", "health_centre", N_("Centre"), N_("Select a community health centre (SZ-MT Art. 4)")),
    ("i", "investigations", N_("Case"), N_("Investigation and suspension of bookkeeping (SZ-MT Art. 13-15)")),
    ("f", "facts", N_("Facts"),
     N_("Change a fact from a date: scheme, retirement, return to the city (SZ-MT Art. 9)")),
    ("s", "stays", N_("Stay"),
     N_("Hospital admission and discharge: no Zezhou chronic outpatient benefit during a stay")),
    ("m", "claims", N_("Claims"),
     N_("Cash reimbursement claims: receipts, the decision per receipt, approval (SZ-MD Art. 10; SZ-MT Art. 14)")),
    ("y", "history", N_("History"), N_("Audit history of this enrollee: who, when, what, why, article")),
]

#: keys left out of the footer so the others fit 80 columns (F1 help and the palette list them)
FOOTER_HIDDEN = {"stays", "claims"}


class EnrolleeScreen(BaseScreen):
    TITLE_MSGID = N_("Enrollee")
    HELP_MSGID = N_("Everything about one enrollee. Each workflow starts with one key; "
                    "the view reloads when you come back.")
    CSS_PATH = "enrollee.tcss"
    NAV_LEVEL = 2
    HOLDS_FORMS = False

    BINDINGS = [
        Binding(key, f"workflow('{name}')", text, id=f"enrollee.{name}", tooltip=tip, show=name not in FOOTER_HIDDEN)
        for key, name, text, tip in WORKFLOW_KEYS
    ]

    def __init__(self, enrollee_id: str) -> None:
        super().__init__()
        self.enrollee_id = enrollee_id
        self.overview: EnrolleeOverview | None = None

    def compose_body(self) -> Iterable[Widget]:
        with VerticalScroll(id="body"):
            yield Static(_("Loading..."), id="identity")
            yield Static("", id="facts")
            yield Static("", id="stay")
            yield Static("", id="account")
            yield Static("", id="alerts")
            yield Static("", id="certificates")
            yield Static("", id="investigation")
            yield Static("", id="book")
            yield Static("", id="filing")
            yield Static("", id="health-centre")
            yield Static("", id="earlier")

    def on_mount(self) -> None:
        self.query_one("#body").focus()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        self.load()

    def load(self) -> None:
        ref, on, policy = self.enrollee_id, self.today, self.policy
        self.run_service(lambda s: enrollee_overview(s, ref, on=on, policy=policy), self.show, group="overview")

    def action_workflow(self, name: str) -> None:
        self.casedesk.open_workflow(name, self.enrollee_id)

    # ------------------------------------------------------------------ rendering
    def show(self, ov: EnrolleeOverview) -> None:
        self.overview = ov
        self.set_screen_title(_("Enrollee: {name}", name=ov.name))
        self.query_one("#identity", Static).update(identity(ov))
        self.query_one("#facts", Static).update(facts(ov))
        stay = stay_and_change(ov, self.today)
        self.query_one("#stay", Static).update(stay)
        self.query_one("#stay", Static).display = bool(stay.plain)
        account_box = self.query_one("#account", Static)
        account_box.update(account(ov))
        account_box.set_class(ov.suspended, "banner-suspended")
        # ended ones (void, superseded, withdrawn, invalidated) are in the "Earlier" line
        current = [c for c in ov.certificates if c.standing != "ended"]
        self.query_one("#certificates", Static).update(certificates(current, self.lang))
        self.query_one("#book", Static).update(book(ov, self.policy, self.lang))
        self.query_one("#filing", Static).update(filing(ov.filing, self.lang))
        self.query_one("#health-centre", Static).update(health_centre(ov, self.lang))
        self.query_one("#investigation", Static).update(investigation(ov, self.policy, self.lang, self.today))
        self.query_one("#earlier", Static).update(earlier(ov))
        self.query_one("#alerts", Static).update(alerts(ov.alerts, self.lang))


def _field(name: str, value: str) -> Text:
    return Text.assemble((name + " ", "dim"), value)


def _line(*parts: Text) -> Text:
    return Text("  ").join(parts)


def _section(title: str, body: str | Text) -> Text:
    """``Title: body`` with the title in bold."""
    return Text.assemble((title + ": ", "bold"), body)


def identity(ov: EnrolleeOverview) -> Text:
    out = Text(ov.name, style="bold")
    out.append("  ")
    out.append_text(_field(_("ID"), ov.id_number))
    out.append("  ")
    out.append_text(_field(_("Card"), ov.card_number))
    if ov.birth_date:
        out.append("  ")
        out.append_text(_field(_("Born"), ov.birth_date.isoformat()))
    return out


def facts(ov: EnrolleeOverview) -> Text:
    employment = label("employment", ov.employment)
    if ov.disabled_grade:
        employment = _("{employment}, disabled serviceman grade {grade}", employment=employment, grade=ov.disabled_grade)
    parts = [
        _field(_("Scheme"), label("scheme", ov.scheme)),
        _field(_("Supplementary"), yes_no(ov.supplementary)),
        _field(_("City household"), yes_no(ov.city_household)),
        _field(_("Employment"), employment),
    ]
    if ov.residence_city:
        parts.append(_field(_("Lives in"), label("city", ov.residence_city)))
    if ov.stationed_elsewhere:
        parts.append(_field(_("Stationed in"), label("city", ov.stationed_city) if ov.stationed_city else _("yes")))
    return _line(*parts)


def stay_and_change(ov: EnrolleeOverview, today: date) -> Text:
    """The hospital stay (the open one, else the latest; ZZ §4) and the
    latest change of a fact, on one line; empty when there is neither."""
    from tui.screens.facts import change_text, stay_text

    parts = []
    if ov.stays:
        stay = next((h for h in ov.stays if h.discharged_on is None), ov.stays[0])
        style = "bold yellow" if stay.covers(today) else ""
        parts.append(Text.assemble((_("Hospital") + " ", "dim"), (stay_text(stay), style)))
    if ov.last_change is not None:
        parts.append(Text.assemble((_("Changed") + " ", "dim"), change_text(ov.last_change)))
    return _line(*parts) if parts else Text("")


def account(ov: EnrolleeOverview) -> Text:
    if ov.suspended:
        since = day(ov.account_state_since)
        return Text(_("ACCOUNT SUSPENDED since {since}: no bookkeeping; the enrollee keeps benefits, pays cash "
                      "and claims cash reimbursement (SZ-MT Art. 14).", since=since))
    return _line(
        _field(_("Account"), _("normal: bookkeeping at designated institutions")),
        _field(_("Individual account"), yuan(ov.individual_account_fen)),
    )


def _validity(c: CertificateView) -> str:
    if c.valid_from is None and c.valid_until is None:
        return "-"
    if c.valid_until is None:
        return _("from {start}", start=day(c.valid_from))
    return f"{day(c.valid_from)}..{day(c.valid_until)}"


def certificates(certs: list[CertificateView], lang: str) -> RenderableType:
    """The certificates as a table: number, status with standing, and
    validity are never cut; category and disease name (they run long:
    "Malignant tumour, outpatient ...") wrap in what is left."""
    if not certs:
        return _section(_("Certificates"), _("none"))
    t = Table(title=_("Certificates"), title_justify="left", title_style="bold", expand=True,
              show_edge=False, pad_edge=False, box=None, header_style="dim")
    for h in (_("Number"), _("Status"), _("Valid")):
        t.add_column(h, no_wrap=True)
    t.add_column(_("Disease"), ratio=1, overflow="fold")
    for c in certs:
        standing = Text(label("standing", c.standing))
        if c.standing == "valid":
            standing.stylize("green")
        elif c.standing in ("expired", "ended"):
            standing.stylize("red")
        disease = c.disease_label(lang) + (f" ({c.organ})" if c.organ else "")
        t.add_row(c.number, Text.assemble(label("certificate_status", c.status), " ", standing), _validity(c),
                  f"{category(c.category)} {disease}")
    for column in t.columns[:3]:
        column.min_width = max(cell_len(str(x)) for x in [column.header, *column.cells])
    return t


def _disease_name(code: str, policy: Policy, lang: str) -> str:
    d = policy.disease(code)
    return d.name(lang) if d else code


def book(ov: EnrolleeOverview, policy: Policy, lang: str) -> Text:
    b = ov.book
    if b is None:
        return _section(_("Record book"), _("none issued"))
    diseases = _(", ").join(_disease_name(c, policy, lang) for c in b.diseases) if b.diseases else "-"
    return _section(_("Record book"), _("{number} {status}, issued {issued}; diseases: {diseases}", number=b.number,
                         status=label("book_status", b.status), issued=day(b.issued_on), diseases=diseases))


def filing(f: FilingView | None, lang: str) -> RenderableType:
    if f is None:
        return _section(_("Off-site filing"), _("none"))
    place = label("city", f.place_city) + (f", {label('province', f.place_province)}" if f.place_province else "")
    summary = _section(_("Off-site filing"), _("{place}, {basis}, {status}, filed {filed}, voucher {voucher}",
                            place=place, basis=label("filing_basis", f.basis),
                            status=label("filing_status", f.status), filed=day(f.filed_on),
                            voucher=f.voucher_number or "-"))
    lines: list[RenderableType] = [summary]
    for fi in f.institutions:
        stamp = _("stamped") if fi.stamped else _("not stamped")
        lines.append(Text(_("  {n}. {name} ({city}, level {level}), {stamp}", n=fi.position,
                            name=fi.place.label(lang), city=label("city", fi.place.city), level=fi.place.level, stamp=stamp)))
    return Group(*lines)


def health_centre(ov: EnrolleeOverview, lang: str) -> Text:
    hc = ov.health_centre
    if hc is None:
        return _section(_("Health centre"), _("none selected"))
    if hc.selected_on is None:
        return _section(_("Health centre"), hc.place.label(lang))
    return _section(_("Health centre"), _("{name}, selected {on} by {applicant}", name=hc.place.label(lang),
                         on=day(hc.selected_on), applicant=label("applicant", hc.applicant)))


#: the deadline an open case waits for next, by status (SZ-MT Art. 14, 15)
NEXT_DEADLINE = {
    "notice_sent": ("notice_due", "notice_due_provisional", N_("come by {due}")),
    "suspended": ("verification_due", None, N_("verify by {due}")),
    "verified": ("decision_due", "decision_due_provisional", N_("deliver by {due}")),
    "decided": ("resumption_due", "resumption_due_provisional", N_("resume by {due}")),
}


def _trigger_name(code: str, policy: Policy, lang: str) -> str:
    t = policy.trigger(code)
    return f"{t.number}. {t.name(lang)}" if t else code


def investigation(ov: EnrolleeOverview, policy: Policy, lang: str, today: date) -> Text:
    """The open case: status, trigger, and the next deadline (bold, red once passed)."""
    c = ov.investigation
    if c is None:
        return _section(_("Investigation"), _("none open"))
    text = _section(_("Investigation"), _("case {number}, {status}, trigger {trigger} ({month}), notice {notice}",
                                          number=c.number, status=label("case_status", c.status),
                                          trigger=_trigger_name(c.trigger, policy, lang), month=c.trigger_month,
                                          notice=day(c.notice_on)))
    if c.opened_on:
        text.append(_(", suspended from {opened}", opened=day(c.opened_on)))
    nxt = NEXT_DEADLINE.get(c.status)
    when = getattr(c, nxt[0]) if nxt else None
    if nxt and when is not None:
        provisional = bool(getattr(c, nxt[1])) if nxt[1] else False
        text.append("; ")
        text.append(_(nxt[2], due=due(when, provisional)), style="bold red" if when < today else "bold")
    return text


def earlier(ov: EnrolleeOverview) -> Text:
    """Closed cases, ended certificates and earlier record books, in one short line."""
    parts = [_("case {number} {status}, closed {on}", number=c.number, status=label("case_status", c.status),
               on=day(c.closed_on)) for c in ov.closed_cases]
    parts += [f"{c.number} {label('certificate_status', c.status)}" for c in ov.certificates if c.standing == "ended"]
    parts += [f"{b.number} {label('book_status', b.status)}" for b in ov.earlier_books]
    if not parts:
        return Text("")
    return Text.assemble((_("Earlier") + ": ", "bold"), (_(", ").join(parts), "dim"))


def alert_line(a: Alert, lang: str) -> Text:
    if a.overdue:
        mark = Text(_("OVERDUE"), style="bold red")
    elif a.due is not None:
        mark = Text(_("DUE"), style="bold yellow")
    else:
        mark = Text(_("NOTE"), style="bold")
    out = Text.assemble(mark, " ")
    if a.due is not None:
        out.append(due(a.due, a.provisional) + " ", style="bold")
    out.append(a.message(lang))
    out.append(f" [{a.article}]", style="dim")
    return out


def alerts(items: list[Alert], lang: str) -> RenderableType:
    if not items:
        return _section(_("Alerts"), _("none"))
    return Group(Text(_("Alerts") + ":", style="bold"), *(alert_line(a, lang) for a in items))
