"""The one-screen view of an enrollee: facts, documents, filings, cases, alerts.

A read service: it loads the rows of one enrollee straight from the tables
(a handful of indexed queries, no scans) and returns plain frozen dataclasses
that the TUI and the CLI can show without touching the session again.

Alerts come from :func:`alerts_for`: the enrollee's worklist items
(:func:`core.services.worklist.alerts`: SZ-MD Art. 12 renewal window,
SZ-MT Art. 14-15 case deadlines with the calendar's ``provisional`` flag),
plus what only this view shows: a notice still running, a renewal window
opening soon, an expired recognition, and missing documents (record book,
SZ-MD Art. 5; health centre, SZ-MT Art. 4).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from core.i18n import N_, Bilingual, Code
from core.models import (
    AccountState,
    BookEntry,
    Certificate,
    Enrollee,
    FilingInstitution,
    HealthCentreSelection,
    Institution,
    InvestigationCase,
    OffsiteFiling,
    RecordBook,
    Scheme,
)
from core.policy import Policy
from core.rules.certificates import renewal_window
from core.services.lookup import get_enrollee
from core.services.worklist import RENEWAL_STATUSES, WorkItem
from core.services.worklist import alerts as worklist_alerts
from core.workflows import CASE, CERTIFICATE
from core.workflows.definitions import (
    BOOK_CURRENT,
    CERT_GIVES_BENEFITS,
    CERT_IN_PROCESS,
    CERT_RENEWABLE,
    FILING_CURRENT,
)

#: statuses of a certificate that is still in force or on its way there (the certificate machine)
LIVE_CERTIFICATE = CERT_IN_PROCESS | CERT_GIVES_BENEFITS


@dataclass(frozen=True)
class Place:
    """An institution as shown on screen."""

    id: str
    code: str
    name: str
    name_zh: str
    city: str
    level: int
    kind: str

    def label(self, lang: str = "en") -> str:
        return Bilingual(self.name, self.name_zh).text(lang)


@dataclass(frozen=True)
class CertificateView:
    id: str
    number: str
    disease_code: str
    disease_name: str
    disease_name_zh: str
    organ: str | None
    category: int
    status: str
    #: ``valid`` | ``expired`` | ``not_yet`` | ``pending`` (not confirmed) | ``ended``
    standing: str
    valid_from: date | None
    valid_until: date | None
    confirmed_on: date | None
    institution: Place | None
    offsite: bool
    continuation: bool

    def disease_label(self, lang: str = "en") -> str:
        return Bilingual(self.disease_name, self.disease_name_zh).text(lang)


@dataclass(frozen=True)
class BookView:
    id: str
    number: str
    status: str
    issued_on: date
    issued_at: Place | None
    diseases: list[str]


@dataclass(frozen=True)
class FilingInstitutionView:
    position: int
    place: Place
    stamped: bool


@dataclass(frozen=True)
class FilingView:
    id: str
    basis: str
    place_city: str
    place_province: str
    status: str
    filed_on: date
    voucher_number: str | None
    cancelled_on: date | None
    institutions: list[FilingInstitutionView]


@dataclass(frozen=True)
class HealthCentreView:
    place: Place
    selected_on: date | None
    applicant: str


@dataclass(frozen=True)
class InvestigationView:
    id: str
    number: str
    status: str
    trigger: str
    trigger_month: str
    notice_on: date
    notice_due: date
    notice_due_provisional: bool
    opened_on: date | None
    verification_due: date | None
    decision_due: date | None
    decision_due_provisional: bool
    resumption_due: date | None
    resumption_due_provisional: bool
    assigned_to: str | None
    closed_on: date | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Alert:
    """Something the caseworker should act on, with its due date if any."""

    kind: str
    article: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)
    due: date | None = None
    provisional: bool = False
    overdue: bool = False
    record_id: str = ""

    def message(self, lang: str = "en") -> str:
        from core.i18n import translate

        return translate(self.msgid, lang, **self.params)


@dataclass(frozen=True)
class StayView:
    admitted_on: date
    discharged_on: date | None
    institution_code: str = ""

    def covers(self, on: date) -> bool:
        return self.admitted_on <= on and (self.discharged_on is None or on < self.discharged_on)


@dataclass(frozen=True)
class ChangeView:
    field: str
    value: str
    previous: str
    effective_from: date


@dataclass(frozen=True)
class EnrolleeOverview:
    id: str
    version: int
    name: str
    id_number: str
    card_number: str
    sex: str
    birth_date: date | None
    scheme: str
    supplementary: bool
    city_household: bool
    employment: str
    disabled_grade: int | None
    employer: str
    phone: str
    address: str
    residence_city: str
    stationed_elsewhere: bool
    account_state: str
    account_state_since: date | None
    individual_account_fen: int
    branch: str
    certificates: list[CertificateView]
    book: BookView | None
    filing: FilingView | None
    health_centre: HealthCentreView | None
    investigation: InvestigationView | None
    alerts: list[Alert]
    on: date
    #: closed investigation cases, newest first (a short history line)
    closed_cases: list[InvestigationView] = field(default_factory=list)
    #: record books other than the one shown (void, used up, replaced), newest first
    earlier_books: list[BookView] = field(default_factory=list)
    #: where a stationed enrollee works (issue 13)
    stationed_city: str = ""
    #: hospital stays, newest first (ZZ §4: none while hospitalised)
    stays: list[StayView] = field(default_factory=list)
    #: the latest recorded change of a fact (issue 13), or None
    last_change: ChangeView | None = None

    @property
    def suspended(self) -> bool:
        return self.account_state == AccountState.SUSPENDED


# --------------------------------------------------------------------------- helpers


def _place(inst: Institution | None) -> Place | None:
    if inst is None:
        return None
    return Place(
        id=str(inst.id), code=inst.code, name=inst.name, name_zh=inst.name_zh,
        city=inst.city, level=inst.level, kind=inst.kind,
    )


def _institutions(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Institution]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.exec(select(Institution).where(col(Institution.id).in_(ids)))
    return {r.id: r for r in rows}


def standing(cert: Certificate, on: date) -> str:
    """Where a certificate stands on ``on`` (see :class:`CertificateView`).
    A renewed (superseded) certificate stands as the confirmed one it was
    until its own last day (SZ-MD Art. 12)."""
    if cert.status not in CERT_GIVES_BENEFITS:
        return "pending" if cert.status in CERT_IN_PROCESS else "ended"
    if cert.valid_from is not None and on < cert.valid_from:
        return "not_yet"
    if cert.valid_until is not None and on > cert.valid_until:
        return "expired"
    return "valid"


#: benefit-giving first, then the steps in process from the latest (the machine's forward path)
_STATUS_ORDER = {s: i for i, s in enumerate(
    [*sorted(CERT_GIVES_BENEFITS), *reversed([e.sources[0] for e in CERTIFICATE.events if e.forward])]
)}


def _cert_sort_key(c: Certificate) -> tuple:
    return (_STATUS_ORDER.get(c.status, 9), -(c.drafted_on.toordinal()), c.number)


# --------------------------------------------------------------------------- parts


def _certificates(session: Session, e: Enrollee) -> list[Certificate]:
    rows = list(session.exec(select(Certificate).where(Certificate.enrollee_id == e.id)))
    return sorted(rows, key=_cert_sort_key)


def _certificate_views(session: Session, certs: list[Certificate], policy: Policy, on: date) -> list[CertificateView]:
    places = _institutions(session, {c.institution_id for c in certs})
    out = []
    for c in certs:
        d = policy.disease(c.disease_code)
        out.append(CertificateView(
            id=str(c.id), number=c.number, disease_code=c.disease_code,
            disease_name=d.name_en if d else c.disease_code,
            disease_name_zh=d.name_zh if d else c.disease_code,
            organ=c.organ, category=c.category, status=c.status, standing=standing(c, on),
            valid_from=c.valid_from, valid_until=c.valid_until, confirmed_on=c.confirmed_on,
            institution=_place(places.get(c.institution_id)), offsite=c.offsite,
            continuation=c.continuation,
        ))
    return out


def _book(session: Session, e: Enrollee) -> BookView | None:
    books = list(session.exec(
        select(RecordBook).where(RecordBook.enrollee_id == e.id)
        .order_by(col(RecordBook.issued_on).desc(), col(RecordBook.number).desc())
    ))
    if not books:
        return None
    book = next((b for b in books if b.status in BOOK_CURRENT), books[0])
    entries = session.exec(
        select(BookEntry).where(BookEntry.book_id == book.id).order_by(col(BookEntry.added_on), col(BookEntry.disease_code))
    )
    places = _institutions(session, {book.issued_at_id} if book.issued_at_id else set())
    return BookView(
        id=str(book.id), number=book.number, status=book.status, issued_on=book.issued_on,
        issued_at=_place(places.get(book.issued_at_id)) if book.issued_at_id else None,
        diseases=[x.disease_code for x in entries],
    )


def _earlier_books(session: Session, e: Enrollee, shown: BookView | None) -> list[BookView]:
    books = session.exec(
        select(RecordBook).where(RecordBook.enrollee_id == e.id)
        .order_by(col(RecordBook.issued_on).desc(), col(RecordBook.number).desc())
    )
    return [BookView(id=str(b.id), number=b.number, status=b.status, issued_on=b.issued_on, issued_at=None,
                     diseases=[]) for b in books if shown is None or str(b.id) != shown.id]


def _closed_cases(session: Session, e: Enrollee) -> list[InvestigationView]:
    rows = session.exec(
        select(InvestigationCase)
        .where(InvestigationCase.enrollee_id == e.id, col(InvestigationCase.closed_on).is_not(None))
        .order_by(col(InvestigationCase.closed_on).desc(), col(InvestigationCase.number).desc())
    )
    return [_investigation_view(c) for c in rows]


def _filing(session: Session, e: Enrollee) -> FilingView | None:
    filings = list(session.exec(
        select(OffsiteFiling).where(OffsiteFiling.enrollee_id == e.id).order_by(col(OffsiteFiling.filed_on).desc())
    ))
    if not filings:
        return None
    f = next((x for x in filings if x.status in FILING_CURRENT), filings[0])
    members = list(session.exec(
        select(FilingInstitution).where(FilingInstitution.filing_id == f.id).order_by(col(FilingInstitution.position))
    ))
    places = _institutions(session, {m.institution_id for m in members})
    insts = [
        FilingInstitutionView(position=m.position, place=p, stamped=m.stamped)
        for m in members if (p := _place(places.get(m.institution_id))) is not None
    ]
    return FilingView(
        id=str(f.id), basis=f.basis, place_city=f.place_city, place_province=f.place_province,
        status=f.status, filed_on=f.filed_on, voucher_number=f.voucher_number,
        cancelled_on=f.cancelled_on, institutions=insts,
    )


def _health_centre(session: Session, e: Enrollee) -> HealthCentreView | None:
    sel = session.exec(
        select(HealthCentreSelection)
        .where(HealthCentreSelection.enrollee_id == e.id, col(HealthCentreSelection.ended_on).is_(None))
        .order_by(col(HealthCentreSelection.selected_on).desc())
    ).first()
    inst_id = sel.institution_id if sel is not None else e.health_centre_id
    if inst_id is None:
        return None
    place = _place(session.get(Institution, inst_id))
    if place is None:
        return None
    return HealthCentreView(
        place=place,
        selected_on=sel.selected_on if sel is not None else None,
        applicant=sel.applicant if sel is not None else "",
    )


def _investigation(session: Session, e: Enrollee) -> InvestigationCase | None:
    return session.exec(
        select(InvestigationCase)
        .where(InvestigationCase.enrollee_id == e.id, col(InvestigationCase.closed_on).is_(None))
        .order_by(col(InvestigationCase.notice_on).desc(), col(InvestigationCase.number).desc())
    ).first()


def _investigation_view(c: InvestigationCase) -> InvestigationView:
    return InvestigationView(
        id=str(c.id), number=c.number, status=c.status, trigger=c.trigger, trigger_month=c.trigger_month,
        notice_on=c.notice_on, notice_due=c.notice_due, notice_due_provisional=c.notice_due_provisional,
        opened_on=c.opened_on, verification_due=c.verification_due, decision_due=c.decision_due,
        decision_due_provisional=c.decision_due_provisional, resumption_due=c.resumption_due,
        resumption_due_provisional=c.resumption_due_provisional, assigned_to=c.assigned_to,
        closed_on=c.closed_on, outcome=c.outcome,
    )


# --------------------------------------------------------------------------- alerts


def _from_worklist(item: WorkItem) -> Alert:
    return Alert(kind=item.kind, article=item.article, msgid=item.msgid, params=dict(item.params),
                 due=item.due, provisional=item.provisional, overdue=item.overdue, record_id=item.record_id)


def _certificate_alerts(certs: list[Certificate], policy: Policy, on: date) -> list[Alert]:
    """SZ-MD Art. 12 alerts the worklist does not carry: a window opening
    soon (within the pack's ``renewal_alert_days``) and a recognition that
    expired with no re-application."""
    article = policy.validity.article
    renewed = {c.previous_id for c in certs if c.previous_id is not None and c.status in RENEWAL_STATUSES}
    out: list[Alert] = []
    for c in certs:
        window = renewal_window(c, policy)
        if c.status not in CERT_RENEWABLE or window is None or c.id in renewed:
            continue
        opens, until = window
        params = {"number": c.number, "disease": c.disease_code, "opens": opens.isoformat(),
                  "until": until.isoformat()}
        if on > until:
            out.append(Alert("certificate_expired", article,
                             N_("Certificate {number} ({disease}) expired on {until}; the enrollee must be recognised again."),
                             params, due=until, overdue=True, record_id=str(c.id)))
        elif on < opens and (opens - on).days <= policy.deadlines.renewal_alert_days:
            out.append(Alert("renewal_soon", article,
                             N_("Renewal window for certificate {number} ({disease}) opens on {opens}."),
                             params, due=opens, record_id=str(c.id)))
    return out


def _notice_alert(case: InvestigationCase | None, policy: Policy, on: date) -> list[Alert]:
    """A notice still running (the worklist lists it only once overdue)."""
    if case is None or not CASE.can_fire("no_show", case.status) or case.explanation_on is not None:
        return []
    if on > case.notice_due:
        return []
    return [Alert("notice_running", policy.deadlines.article_notice,
                  N_("Case {number}: the enrollee is to come and explain by {due}."),
                  {"number": case.number, "due": case.notice_due.isoformat()},
                  due=case.notice_due, provisional=case.notice_due_provisional, record_id=str(case.id))]


def _document_alerts(e: Enrollee, certs: list[Certificate], book: BookView | None,
                     centre: HealthCentreView | None, policy: Policy, on: date) -> list[Alert]:
    out = []
    recognised = [c for c in certs if standing(c, on) == "valid"]
    if recognised and (book is None or book.status not in BOOK_CURRENT):
        out.append(Alert("book_missing", policy.books.article,
                         N_("Recognised but holds no active record book; issue one against the card, ID card and certificate.")))
    elif book is not None:
        for c in recognised:
            if c.disease_code not in book.diseases:
                out.append(Alert("book_entry_missing", policy.books.article,
                                 N_("Certificate {number} ({disease}) is confirmed but its disease is not in record "
                                    "book {book}; add it."),
                                 {"number": c.number, "disease": c.disease_code, "book": book.number},
                                 record_id=str(c.id)))
    if e.scheme in (Scheme.INPATIENT, Scheme.MIGRANT) and centre is None:
        out.append(Alert("health_centre_missing", policy.health_centre.article,
                         N_("No community health centre selected ({scheme} scheme)."),
                         {"scheme": Code("scheme", e.scheme)}))
    return out


def _provisional_alerts(session: Session, e: Enrollee) -> list[Alert]:
    """At a branch: the records changed here that the centre has not taken yet
    (waiting to be sent or answered) or refused (issue 11 item 4) — provisional."""
    from core.sync.outbox import provisional_for

    return [Alert(kind="sync_conflict" if p.state == "conflict" else "provisional", article="",
                  msgid=N_("{record} {number} was changed here and is provisional: {state}."),
                  params={"record": Code("record_kind", p.table), "number": p.number or "",
                          "state": Code("sync_state", p.state)}, record_id=p.row_id)
            for p in provisional_for(session, e.id)]


def alerts_for(session: Session, e: Enrollee, certs: list[Certificate], book: BookView | None,
               centre: HealthCentreView | None, case: InvestigationCase | None, policy: Policy,
               on: date) -> list[Alert]:
    """Every alert of one enrollee, overdue first, then by due date: the
    enrollee's worklist items (:func:`core.services.worklist.alerts`), plus
    what only this view shows (notice running, renewal soon, expired
    recognition, missing record book or health centre)."""
    alerts = [_from_worklist(i) for i in worklist_alerts(session, e.id, on, policy)]
    alerts += _notice_alert(case, policy, on) + _certificate_alerts(certs, policy, on)
    alerts += _document_alerts(e, certs, book, centre, policy, on)
    alerts += _provisional_alerts(session, e)
    return sorted(alerts, key=lambda a: (not a.overdue, a.due or date.max, a.kind))


# --------------------------------------------------------------------------- entry point


def enrollee_overview(session: Session, ref: str | uuid.UUID, *, on: date, policy: Policy) -> EnrolleeOverview:
    """Everything about one enrollee on ``on``. ``ref``: UUID, ID number or card number.

    Raises :class:`core.errors.NotFound` for an unknown enrollee.
    """
    e = get_enrollee(session, ref)
    certs = _certificates(session, e)
    book = _book(session, e)
    centre = _health_centre(session, e)
    case = _investigation(session, e)
    return EnrolleeOverview(
        id=str(e.id), version=e.version, name=e.name, id_number=e.id_number, card_number=e.card_number,
        sex=e.sex, birth_date=e.birth_date, scheme=e.scheme, supplementary=e.supplementary,
        city_household=e.city_household, employment=e.employment, disabled_grade=e.disabled_grade,
        employer=e.employer, phone=e.phone, address=e.address, residence_city=e.residence_city,
        stationed_elsewhere=e.stationed_elsewhere, account_state=e.account_state,
        account_state_since=e.account_state_since, individual_account_fen=e.individual_account_fen,
        branch=e.branch,
        certificates=_certificate_views(session, certs, policy, on),
        book=book,
        filing=_filing(session, e),
        health_centre=centre,
        investigation=_investigation_view(case) if case is not None else None,
        alerts=alerts_for(session, e, certs, book, centre, case, policy, on),
        on=on,
        closed_cases=_closed_cases(session, e),
        earlier_books=_earlier_books(session, e, book),
        stationed_city=e.stationed_city,
        stays=_stays(session, e),
        last_change=_last_change(session, e),
    )


def _stays(session: Session, e: Enrollee) -> list[StayView]:
    from core.services.stays import stays_of

    rows = stays_of(session, e.id)
    insts = _institutions(session, {h.institution_id for h in rows if h.institution_id})
    return [StayView(h.admitted_on, h.discharged_on, insts[h.institution_id].code if h.institution_id in insts else "")
            for h in rows]


def _last_change(session: Session, e: Enrollee) -> ChangeView | None:
    from core.services.changes import changes_of

    rows = changes_of(session, "enrollee", e.id)
    if not rows:
        return None
    c = max(rows, key=lambda r: (r.created_at, r.effective_from))
    return ChangeView(c.field, c.value, c.previous, c.effective_from)
