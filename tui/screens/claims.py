"""Cash reimbursement claims (SZ-MD Art. 10; SZ-MT Art. 14; ZZ §8), key ``m``
on the enrollee view.

One form for a receipt: the disease, the institution, the receipt number,
the treatment date, the amounts (drugs and treatment, large-equipment
examinations, local supplementary costs) and the emergency / peritoneal
dialysis marks. Ctrl+A keeps the receipt and clears the form for the next
one; Ctrl+S registers the kept receipts (and the one in the form) as one
claim and lets casedesk decide each at once. The claim picked below shows
each receipt's decision with every reason and its article; Ctrl+D decides
it again, Ctrl+G approves it (a reviewer who neither registered nor decided
it), Ctrl+W withdraws it (with the reason typed). A refusal lists each
reason with its article and keeps the form.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from core.errors import DomainError
from core.gateway import Session
from core.ids import mask_id_number
from core.queries.claims import ClaimView, claims_of_enrollee
from core.rules.claims import ItemInput, ReceiptInput
from core.services import claims as svc
from core.services.eligibility import parse_amount_fen
from core.services.lookup import get_enrollee
from tui.i18n import N_, _
from tui.labels import amount, day, label
from tui.screens.facts import _FormScreen  # the subject, form, reasons and result of a form screen
from tui.widgets.date_field import DateInput
from tui.widgets.fields import AsciiCheckbox, AsciiSelect
from tui.widgets.reasons import ReasonsList


@dataclass(frozen=True)
class ClaimSubject:
    id: str
    name: str
    id_masked: str
    claims: tuple[ClaimView, ...]


def load_claims(session: Session, ref: str) -> ClaimSubject:
    e = get_enrollee(session, ref)
    return ClaimSubject(str(e.id), e.name, mask_id_number(e.id_number), claims_of_enrollee(session, e.id))


def claim_detail(c: ClaimView, lang: str) -> RenderableType:
    head = Text.assemble((c.number, "bold"), "  ", label("claim_status", c.status), "  ",
                         _("claimed {claimed}, paid {paid}", claimed=amount(c.claimed_fen), paid=amount(c.paid_fen)))
    parts: list[RenderableType] = [head]
    for r in c.receipts:
        verdict = (_("paid") if r.pays else _("not paid")) if r.pays is not None else _("not decided")
        parts.append(Text.assemble(
            (f"{r.position}. ", "bold"), f"{r.institution_code} {r.institution(lang)}  {r.receipt_number}  ",
            day(r.treated_on), "  ", amount(r.amount_fen), "  ",
            (verdict + " " + amount(r.paid_fen), "bold green" if r.pays else "bold red")))
        t = Table(box=None, show_header=False, pad_edge=False, expand=True)
        t.add_column(no_wrap=True)
        t.add_column(no_wrap=True, style="dim")
        t.add_column(ratio=1, overflow="fold")
        for reason in r.reasons(lang):
            t.add_row("+" if reason["ok"] else "x", reason["article"], reason["message"])
        parts.append(t)
    return Group(*parts)


class ClaimsScreen(_FormScreen):
    TITLE_MSGID = N_("Cash claims")
    HELP_MSGID = N_("Cash reimbursement at the agency (SZ-MD Art. 10; SZ-MT Art. 14). Fill in a receipt; "
                    "Ctrl+A keeps it and clears the form for the next; Ctrl+S registers the receipts as one claim "
                    "and casedesk decides each from the facts on its treatment date. For the claim picked: "
                    "Ctrl+D decides again, Ctrl+G approves (a second caseworker), Ctrl+W withdraws with the reason.")
    CSS_PATH = "claims.tcss"

    BINDINGS = [
        Binding("ctrl+a", "keep", N_("Keep receipt"), id="claims.keep",
                tooltip=N_("Keep this receipt for the claim and clear the form for the next one")),
        Binding("ctrl+s", "register", N_("Register"), id="claims.register",
                tooltip=N_("Register the receipts as one claim and decide each (SZ-MD Art. 10)")),
        Binding("ctrl+d", "decide", N_("Decide"), id="claims.decide",
                tooltip=N_("Decide the picked claim again from the facts on each treatment date")),
        Binding("ctrl+g", "approve", N_("Approve"), id="claims.approve",
                tooltip=N_("Approve the picked claim (a reviewer who neither registered nor decided it)")),
        Binding("ctrl+w", "withdraw", N_("Withdraw"), id="claims.withdraw",
                tooltip=N_("Withdraw the picked claim, with the reason typed")),
    ]

    def __init__(self, enrollee_id: str | uuid.UUID | None = None, **kwargs) -> None:
        super().__init__(enrollee_id, **kwargs)
        self.subject: ClaimSubject | None = None
        self.kept: list[ReceiptInput] = []
        self.pick: str | None = None

    def compose_body(self) -> Iterable[Widget]:
        diseases = [(f"{d.code}  {d.name(self.lang)}", d.code) for d in self.policy.diseases]
        with VerticalScroll(id="form"):
            yield Static(_("Loading..."), id="subject")
            with Horizontal(classes="field-row"):
                yield Label(_("Disease"))
                yield AsciiSelect(diseases, prompt=_("Pick a disease"), id="disease", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Institution"))
                yield Input(placeholder=_("institution code"), id="institution", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Receipt no."))
                yield Input(placeholder=_("as printed on the receipt"), id="receipt", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Treated on"))
                yield DateInput(self.today, id="treated")
            with Horizontal(classes="field-row"):
                yield Label(_("Drugs, care"))
                yield Input(placeholder=_("yuan"), id="basic", compact=True)
                yield Label(_("Equipment"), classes="inline")
                yield Input(placeholder=_("yuan"), id="large", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Supplementary"))
                yield Input(placeholder=_("yuan, local supplementary costs"), id="supp", compact=True)
            with Horizontal(classes="field-row"):
                yield Label("")
                yield AsciiCheckbox(_("Emergency rescue"), id="emergency", compact=True)
                yield AsciiCheckbox(_("Peritoneal dialysis"), id="peritoneal", compact=True)
            with Horizontal(classes="field-row"):
                yield Label(_("Reason"))
                yield Input(placeholder=_("optional; needed to withdraw"), id="reason", compact=True)
            yield ReasonsList(id="reasons")
            yield Static("", id="result")
            with Horizontal(classes="field-row"):
                yield Label(_("Claim"))
                yield AsciiSelect([], prompt=_("no claim yet"), id="claim", compact=True)
            yield Static("", id="detail")

    def on_mount(self) -> None:
        if self.enrollee_id:
            self.load()
        else:
            self.query_one("#subject", Static).update(_("Open this screen from an enrollee."))
        self.query_one("#disease", Select).focus()

    # ------------------------------------------------------------------ loading
    def load(self) -> None:
        ref, pick = self.enrollee_id or "", self.pick
        self.run_service(lambda s: load_claims(s, ref), lambda subj: self._loaded(subj, pick), group="subject")

    def _loaded(self, subject: ClaimSubject, pick: str | None = None) -> None:
        self.subject = subject
        self.set_screen_title(_("Cash claims: {name}", name=subject.name))
        kept = _("{n} receipt(s) kept", n=len(self.kept)) if self.kept else ""
        self.query_one("#subject", Static).update(Text.assemble((subject.name, "bold"), "  ",
                                                                (subject.id_masked, "dim"), "  ", kept))
        picker = self.query_one("#claim", Select)
        picker.set_options([(f"{c.number}  {label('claim_status', c.status)}", c.number) for c in subject.claims])
        if subject.claims:
            picker.value = pick if pick in {c.number for c in subject.claims} else subject.claims[0].number
        self._show_picked()

    @on(Select.Changed, "#claim")
    def _picked(self) -> None:
        self._show_picked()

    def _picked_claim(self) -> ClaimView | None:
        value = self.query_one("#claim", Select).value
        if self.subject is None or not isinstance(value, str):
            return None
        return next((c for c in self.subject.claims if c.number == value), None)

    def _show_picked(self) -> None:
        c = self._picked_claim()
        self.query_one("#detail", Static).update(claim_detail(c, self.lang) if c else "")

    # ------------------------------------------------------------------ the form
    def _done_with(self, message: str, pick: str | None) -> None:
        self.pick = pick  # the claim just changed stays picked when the list reloads
        self._done(message)

    def _receipt(self) -> ReceiptInput | None:
        """The receipt in the form; None (refusal shown) when a value cannot be read."""
        art = self.policy.claims.article
        try:
            treated = self.query_one("#treated", DateInput).day("treated_on", art)
            items = []
            for selector, text, large, supp in (("#basic", _("drugs and treatment"), False, False),
                                                ("#large", _("large-equipment examinations"), True, False),
                                                ("#supp", _("local supplementary costs"), False, True)):
                value = self.query_one(selector, Input).value.strip()
                if value:
                    items.append(ItemInput(text, parse_amount_fen(value, "amount"), large, supp))
        except DomainError as exc:
            self._refused(exc)
            return None
        return ReceiptInput(self.query_one("#receipt", Input).value, self.query_one("#institution", Input).value,
                            treated, tuple(items), emergency=self.query_one("#emergency", AsciiCheckbox).value,
                            peritoneal_dialysis=self.query_one("#peritoneal", AsciiCheckbox).value)

    def _form_filled(self) -> bool:
        return any(self.query_one(s, Input).value.strip() for s in ("#institution", "#receipt", "#basic", "#large",
                                                                  "#supp"))

    def _clear_receipt(self) -> None:
        for s in ("#institution", "#receipt", "#basic", "#large", "#supp"):
            self.query_one(s, Input).value = ""
        self.query_one("#emergency", AsciiCheckbox).value = False
        self.query_one("#peritoneal", AsciiCheckbox).value = False

    def action_keep(self) -> None:
        if self.subject is None:
            return
        r = self._receipt()
        if r is None:
            return
        self.kept.append(r)
        self._clear_receipt()
        self.query_one("#result", Static).update(Text(_("{n} receipt(s) kept for the claim.", n=len(self.kept)),
                                                      style="bold"))
        self.query_one("#institution", Input).focus()

    def action_register(self) -> None:
        if self.subject is None:
            return
        receipts = list(self.kept)
        if self._form_filled() or not receipts:
            r = self._receipt()
            if r is None:
                return
            receipts.append(r)
        disease = self.query_one("#disease", Select).value
        code = disease if isinstance(disease, str) else ""
        actor, policy, ref, on, reason = self.actor, self.policy, self.subject.id, self.today, \
            self.query_one("#reason", Input).value

        def work(s: Session) -> tuple[str, str]:
            c = svc.register_claim(s, actor, ref, code, receipts, on=on, policy=policy, reason=reason)
            s.flush()
            d = svc.decide_claim(s, actor, c.id, on=on, policy=policy)
            return d.number, amount(d.paid_fen)

        def ok(out: tuple[str, str]) -> None:
            self.kept.clear()
            self._clear_receipt()
            self._done_with(_("Claim {number} registered and decided: {paid} to pay.", number=out[0], paid=out[1]),
                            out[0])

        self.run_service(work, ok, write=True, on_refused=self._refused, group="write")

    def _step(self, fn, message: str, **kw) -> None:
        c = self._picked_claim()
        if c is None:
            return
        actor, policy, on, number, version = self.actor, self.policy, self.today, c.number, c.version

        def work(s: Session) -> str:
            return fn(s, actor, number, on=on, policy=policy, expected_version=version, **kw).number

        self.run_service(work, lambda n: self._done_with(_(message, number=n), n), write=True,
                         on_refused=self._refused, group="write")

    def action_decide(self) -> None:
        self._step(svc.decide_claim, N_("Claim {number} decided again."),
                   reason=self.query_one("#reason", Input).value)

    def action_approve(self) -> None:
        self._step(svc.approve_claim, N_("Claim {number} approved: on this month's payment list."),
                   reason=self.query_one("#reason", Input).value)

    def action_withdraw(self) -> None:
        self._step(svc.withdraw_claim, N_("Claim {number} withdrawn."), reason=self.query_one("#reason", Input).value)
