"""Build each printed document from its record (SZ-MT Art. 10, 14, 15; SZ-MD Art. 4, 5).

Every builder reads the record through core's look-ups in the session it is
given and returns a :class:`~core.documents.model.Document` whose text is in
the requested language: ``en``, ``zh_CN`` or ``both`` (Chinese first, the
English beneath, as the agency prints for both audiences). Nothing here is
taken from a screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from sqlmodel import Session, select

from core.errors import DomainError
from core.i18n import N_, Bilingual, Code, translate
from core.ids import mask_id_number as mask_id
from core.models import (
    Certificate,
    Enrollee,
    Institution,
    InvestigationCase,
    MonthlyBatch,
    OffsiteFiling,
    RecordBook,
    Replacement,
)
from core.documents.model import Block, Boxes, Document, Fields, Heading, Para, Table
from core.policy import Policy

# Article tags come from the pack (policy.certificates, .books, .offsite).


@dataclass(frozen=True)
class _T:
    """Text in the document's language; ``both`` gives Chinese then English."""

    lang: str

    def __call__(self, msgid: str, **params: Any) -> str:
        if self.lang == "both":
            zh, en = translate(msgid, "zh_CN", **params), translate(msgid, "en", **params)
            return zh if zh == en else f"{zh}\n{en}"
        return translate(msgid, self.lang, **params)

    def label(self, msgid: str, **params: Any) -> str:
        """A short label: ``中文 / English`` when printing both."""
        if self.lang == "both":
            zh, en = translate(msgid, "zh_CN", **params), translate(msgid, "en", **params)
            return zh if zh == en else f"{zh} / {en}"
        return translate(msgid, self.lang, **params)

    def name(self, en: str, zh: str) -> str:
        b = Bilingual(en, zh)
        if self.lang == "both":
            return b.text("zh_CN") if b.text("zh_CN") == en else f"{b.text('zh_CN')} / {en}"
        return b.text(self.lang)

    def code(self, kind: str, value: str | None) -> str:
        if value is None or value == "":
            return "-"
        return self.label("{value}", value=Code(kind, value))


def _day(d: date | None) -> str:
    return d.isoformat() if d else "-"


def _due(t: _T, d: date | None, provisional: bool) -> str:
    if d is None:
        return "-"
    if provisional:
        return t.label(N_("{day} (provisional: the working-day calendar has no data for that year yet)"),
                       day=d.isoformat())
    return d.isoformat()


def _agency(t: _T, policy: Policy) -> str:
    return t.label(N_("{city} Municipal Social Insurance Agency"),
                   city=Bilingual(policy.pack.city, policy.pack.city_zh))


def _enrollee_fields(t: _T, e: Enrollee) -> list[tuple[str, str]]:
    return [(t.label(N_("Enrollee")), e.name),
            (t.label(N_("ID number")), mask_id(e.id_number)),
            (t.label(N_("Social security card")), e.card_number)]


def _institution(t: _T, inst: Institution | None) -> str:
    if inst is None:
        return "-"
    return f"{t.name(inst.name, inst.name_zh)} ({inst.code})"


def _not_found(field: str, article: str, number: str) -> DomainError:
    from core.errors import NotFound

    return NotFound.one(article, field, N_("Nothing to print: no record numbered {number}."), number=number)


# --------------------------------------------------------------------------- investigation papers


def _case(session: Session, number: str) -> tuple[InvestigationCase, Enrollee]:
    from core.services.investigations import get_case

    case = get_case(session, number)
    return case, session.get(Enrollee, case.enrollee_id)  # type: ignore[return-value]


def _trigger(t: _T, policy: Policy, case: InvestigationCase) -> str:
    trig = policy.trigger(case.trigger)
    if trig is None:
        return case.trigger
    return t.name(trig.name_en, trig.name_zh)


def notice(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Written notice to come and explain (SZ-MT Art. 14)."""
    case, e = _case(session, number)
    art = policy.deadlines.article_notice
    blocks: list[Block] = [
        Fields(tuple(_enrollee_fields(t, e) + [
            (t.label(N_("Case")), case.number),
            (t.label(N_("Trigger")), _trigger(t, policy, case)),
            (t.label(N_("Month")), case.trigger_month),
            (t.label(N_("Notice date")), _day(case.notice_on)),
            (t.label(N_("Come by")), _due(t, case.notice_due, case.notice_due_provisional)),
        ])),
        Para(t(N_("Your medical insurance records for {month} meet a condition under which the agency "
                  "checks how the card was used: {trigger}."), month=case.trigger_month,
               trigger=_trigger(t, policy, case)), policy.monitoring.article),
        Para(t(N_("Please come to the agency within {days} working days of this notice, by {due}, "
                  "to explain."), days=policy.deadlines.notice_working_days,
               due=_due(t, case.notice_due, case.notice_due_provisional)), art),
        Heading(t.label(N_("Bring with you"))),
        Para(t(N_("- your social security card\n- your resident identity card\n- your medical records\n"
                  "- the receipts of the treatment"))),
        Para(t(N_("If you do not come by the date above, or the explanation is not enough, a case is opened "
                  "and bookkeeping on your account is suspended from that day; you keep your benefits but "
                  "pay in cash and claim reimbursement.")), art),
        Para(t(N_("Where to come: the counter of the {agency}, branch {branch}."), agency=_agency(t, policy),
               branch=case.branch or "-")),
        Boxes((t.label(N_("Agency stamp")), t.label(N_("Received by the enrollee (signature and date)")))),
    ]
    return _doc("notice", case.number, t(N_("Notice to explain")), t, on, art, policy, blocks, e,
                "investigation_case", str(case.id))


def suspension(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Notice that a case is opened and bookkeeping suspended (SZ-MT Art. 14)."""
    case, e = _case(session, number)
    art = policy.deadlines.article_notice
    if case.opened_on is None:
        raise DomainError.one(art, "case", N_("Case {number} is not opened: there is no suspension to notify."),
                              number=case.number)
    blocks: list[Block] = [
        Fields(tuple(_enrollee_fields(t, e) + [
            (t.label(N_("Case")), case.number),
            (t.label(N_("Trigger")), _trigger(t, policy, case)),
            (t.label(N_("Suspended from")), _day(case.opened_on)),
            (t.label(N_("Verification due by")), _day(case.verification_due)),
        ])),
        Para(t(N_("A case has been opened on your account and bookkeeping is suspended from {day}."),
               day=_day(case.opened_on)), art),
        Para(t(N_("What this means: your medical insurance benefits continue, but the institution does not "
                  "book the fund's share; you pay in cash and bring the receipts to the agency, which "
                  "examines and reimburses them."))
             , art),
        Para(t(N_("How to claim: bring your social security card, ID card, the receipts and the itemised "
                  "lists to the agency counter.")), policy.treatment.article_cash),
        Para(t(N_("The agency finishes its verification by {due} and tells you the result within {days} "
                  "working days after that."), due=_day(case.verification_due),
               days=policy.deadlines.decision_working_days), art),
        Boxes((t.label(N_("Agency stamp")), t.label(N_("Received by the enrollee (signature and date)")))),
    ]
    return _doc("suspension", case.number, t(N_("Notice of case opened and bookkeeping suspended")), t, on,
                art, policy, blocks, e, "investigation_case", str(case.id))


def decision(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Verification decision and resumption notice, or referral (SZ-MT Art. 14, 15)."""
    case, e = _case(session, number)
    art, art_out = policy.deadlines.article_notice, policy.deadlines.article_resumption
    if case.outcome is None:
        raise DomainError.one(art, "case", N_("Case {number} has no verification result yet."),
                              number=case.number)
    rows = _enrollee_fields(t, e) + [
        (t.label(N_("Case")), case.number),
        (t.label(N_("Verified on")), _day(case.verified_on)),
        (t.label(N_("Outcome")), t.code("case_outcome", case.outcome)),
        (t.label(N_("Decision delivered on")), _day(case.decided_on)),
    ]
    blocks: list[Block] = []
    if case.outcome == "no_violation":
        rows.append((t.label(N_("Bookkeeping resumes by")),
                     _due(t, case.resumption_due, case.resumption_due_provisional)))
        if case.resumed_on:
            rows.append((t.label(N_("Bookkeeping resumed on")), _day(case.resumed_on)))
        blocks = [Fields(tuple(rows)),
                  Para(t(N_("The verification found no violation. Bookkeeping on your account resumes within "
                            "{days} working days of the verification, by {due}."),
                         days=policy.deadlines.resumption_working_days,
                         due=_due(t, case.resumption_due, case.resumption_due_provisional)), art_out)]
    elif case.outcome == "violation":
        blocks = [Fields(tuple(rows)),
                  Para(t(N_("The verification found a violation; it is dealt with under the Measures, and "
                            "bookkeeping stays suspended.")), art_out)]
    else:
        blocks = [Fields(tuple(rows)),
                  Para(t(N_("The verification found a suspected crime; the case is referred to the judicial "
                            "authorities.")), art_out)]
    blocks.append(Para(t(N_("The result is delivered within {days} working days of the verification."),
                         days=policy.deadlines.decision_working_days), art))
    blocks.append(Boxes((t.label(N_("Agency stamp")), t.label(N_("Received by the enrollee (signature and date)")))))
    return _doc("decision", case.number, t(N_("Verification decision")), t, on, art_out, policy, blocks, e,
                "investigation_case", str(case.id))


# --------------------------------------------------------------------------- off-site filing


def _filing(session: Session, number: str) -> tuple[OffsiteFiling, Enrollee, list[Institution]]:
    """The filing, its enrollee and its institutions in the order chosen."""
    from core.services.offsite import filed_institutions, get_filing

    f = get_filing(session, number)
    return f, session.get(Enrollee, f.enrollee_id), filed_institutions(session, f.id)  # type: ignore[return-value]


def _filer(t: _T, f: OffsiteFiling) -> list[tuple[str, str]]:
    rows = [(t.label(N_("Filed by")), t.code("filed_by", f.filed_by))]
    if f.filed_by == "employer":
        rows.append((t.label(N_("Employer")), f.employer_name or "-"))
    if f.filed_by == "agent":
        rows += [(t.label(N_("Agent")), f.agent_name or "-"),
                 (t.label(N_("Agent ID number")), mask_id(f.agent_id_number) if f.agent_id_number else "-"),
                 (t.label(N_("Agent phone")), f.agent_phone or "-"),
                 (t.label(N_("Relation to the enrollee")), f.agent_relation or "-")]
    return rows


def filing_form(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Registration form for off-site designated institutions, in the pack's number of copies (SZ-MT Art. 10(a))."""
    f, e, insts = _filing(session, number)
    place = f.place_city + (f", {f.place_province}" if f.place_province else "")
    blocks: list[Block] = [
        Fields(tuple(_enrollee_fields(t, e) + [
            (t.label(N_("Basis")), t.code("filing_basis", f.basis)),
            (t.label(N_("Place of residence or work")), place),
            (t.label(N_("Employer")), e.employer or "-"),
            (t.label(N_("Filed on")), _day(f.filed_on)),
        ] + _filer(t, f))),
        Para(t(N_("The enrollee chooses {n} local public medical institutions of township level or higher in "
                  "the place; each stamps this form."), n=policy.offsite.institutions), policy.offsite.article_form),
        Table((t.label(N_("No.")), t.label(N_("Institution")), t.label(N_("Level")),
               t.label(N_("Institution stamp"))),
              tuple((str(i), _institution(t, inst), str(inst.level) if inst.level else "-", "")
                    for i, inst in enumerate(insts, start=1)), widths=(1, 9, 2, 5)),
        Para(t(N_("The local social security institution examines and stamps the form: {office}."),
               office=f.local_ss_office or "-"), policy.offsite.article_form),
        Boxes((t.label(N_("Local social security institution stamp")),
               t.label(N_("Affiliated social insurance agency stamp")))),
    ]
    copies = tuple(t.label(N_("Copy {n} of {total}"), n=i, total=policy.offsite.form_copies)
                   for i in range(1, policy.offsite.form_copies + 1))
    return _doc("filing-form", f.voucher_number or str(f.id), t(N_("Registration form for off-site designated "
                                                                  "medical institutions")),
                t, on, policy.offsite.article_form, policy, blocks, e, "offsite_filing", str(f.id), copies=copies)


def voucher(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """The record voucher issued once a filing is accepted (SZ-MT Art. 10(d))."""
    f, e, insts = _filing(session, number)
    if not f.voucher_number:
        raise DomainError.one(policy.offsite.article_form, "voucher", N_("The filing has no record voucher yet."))
    blocks: list[Block] = [
        Fields(tuple(_enrollee_fields(t, e) + [
            (t.label(N_("Voucher number")), f.voucher_number),
            (t.label(N_("Place")), f.place_city),
            (t.label(N_("Filed on")), _day(f.filed_on)),
            (t.label(N_("Status")), t.code("filing_status", f.status)),
        ] + ([(t.label(N_("Cancelled on")), _day(f.cancelled_on))] if f.cancelled_on else []))),
        Para(t(N_("The conditions are met and the filing is on record. Treatment at the institutions below is "
                  "paid under the measures; costs incurred before {day} are ordinary out-of-town treatment."),
               day=_day(f.filed_on)), policy.offsite.article_form),
        Table((t.label(N_("No.")), t.label(N_("Institution"))),
              tuple((str(i), _institution(t, inst)) for i, inst in enumerate(insts, start=1)),
              widths=(1, 12)),
        Para(t(N_("On returning to the city to work or settle, the filing is cancelled.")), policy.offsite.article_who),
        Boxes((t.label(N_("Agency stamp")),)),
    ]
    return _doc("voucher", f.voucher_number, t(N_("Off-site filing record voucher")), t, on, policy.offsite.article_form, policy,
                blocks, e, "offsite_filing", str(f.id))


# --------------------------------------------------------------------------- certificates, books, batches


def certificate(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Certificate summary and receipt of documents (SZ-MD Art. 4, 12)."""
    from core.services.certificates import certificate_timeline, find_certificate

    cert = find_certificate(session, number)
    e = session.get(Enrollee, cert.enrollee_id)
    art = policy.certificates.signatures.article
    disease = policy.disease(cert.disease_code)
    disease_name = t.name(disease.name_en, disease.name_zh) if disease else cert.disease_code
    hospital = session.get(Institution, cert.institution_id)
    rows = _enrollee_fields(t, e) + [  # type: ignore[arg-type]
        (t.label(N_("Certificate")), cert.number),
        (t.label(N_("Disease")), f"{disease_name} ({cert.disease_code})"),
        (t.label(N_("Category")), str(cert.category)),
        (t.label(N_("Diagnostic hospital")), _institution(t, hospital)),
        (t.label(N_("Status")), t.code("certificate_status", cert.status)),
        (t.label(N_("Valid")), f"{_day(cert.valid_from)} .. {_day(cert.valid_until)}" if cert.valid_from else "-"),
    ]
    from core.rules.certificates import renewal_window

    window = renewal_window(cert, policy)
    if window is not None:
        rows.append((t.label(N_("Re-application window")), f"{_day(window[0])} .. {_day(window[1])}"))
    steps = certificate_timeline(session, cert, policy)
    blocks: list[Block] = [
        Fields(tuple(rows)),
        Heading(t.label(N_("Who did what and when"))),
        Table((t.label(N_("Step")), t.label(N_("Date")), t.label(N_("By")), t.label(N_("Detail"))),
              tuple((t.label(s.label), _day(s.on) if s.done else t.label(N_("pending")), s.by or "-",
                     (s.detail or "-") + (f" [{t.code('title', s.title)}]" if s.title else ""))
                    for s in steps), widths=(5, 3, 3, 6)),
        Heading(t.label(N_("Documents received"))),
        Table((t.label(N_("Item")), t.label(N_("Received"))),
              ((t.label(N_("Admission criteria met and acknowledged")), _yes(t, cert.criteria_acknowledged)),
               (t.label(N_("Recent outpatient record (continuation)")),
                _yes(t, cert.cont_recent_record) if cert.continuation else "-"),
               (t.label(N_("Original diagnosis papers seen")),
                _yes(t, cert.cont_originals_seen) if cert.continuation else "-"),
               (t.label(N_("Copies kept")), _yes(t, cert.cont_copies_kept) if cert.continuation else "-")),
              widths=(10, 3)),
        Para(t(N_("Only a confirmed certificate gives benefits; a Category I recognition is valid {years} years and "
                  "the enrollee re-applies within the {months} months before it ends."),
               years=policy.validity.category_1_years or "-", months=policy.validity.renewal_window_months),
             policy.validity.article),
        Boxes((t.label(N_("Hospital medical insurance office seal")),
               t.label(N_("Received by the enrollee (signature and date)")))),
    ]
    return _doc("certificate", cert.number, t(N_("Diagnosis certificate summary and receipt of documents")), t,
                on, art, policy, blocks, e, "certificate", str(cert.id))


def _yes(t: _T, value: bool) -> str:
    return t.code("yes_no", "yes" if value else "no")


def book_receipt(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Record book issue or replacement receipt, naming the void number (SZ-MD Art. 5)."""
    from core.services.books import book_entries, find_book

    book = find_book(session, number)
    e = session.get(Enrollee, book.enrollee_id)
    repl = session.exec(select(Replacement).where(Replacement.item_kind == "book",
                                                  Replacement.new_number == book.number)).first()
    previous = session.get(RecordBook, book.previous_id) if book.previous_id else None
    rows = _enrollee_fields(t, e) + [  # type: ignore[arg-type]
        (t.label(N_("Record book")), book.number),
        (t.label(N_("Issued on")), _day(book.issued_on)),
        (t.label(N_("Issued at")), _institution(t, session.get(Institution, book.issued_at_id))
         if book.issued_at_id else t.label(N_("the agency"))),
    ]
    blocks: list[Block] = []
    if repl is not None:
        title = t(N_("Record book replacement receipt"))
        rows += [(t.label(N_("Replaces lost book")), repl.old_number),
                 (t.label(N_("Reported lost on")), _day(repl.reported_on))]
        blocks.append(Fields(tuple(rows)))
        blocks.append(Para(t(N_("Record book {old} was reported lost and is void from {day}; it can no longer be "
                                "used. The replacement record goes to the agency's archive."),
                             old=repl.old_number, day=_day(repl.reported_on)), policy.books.article))
    else:
        title = t(N_("Record book issue receipt"))
        if previous is not None:
            rows.append((t.label(N_("Renews used-up book")), previous.number))
        blocks.append(Fields(tuple(rows)))
        blocks.append(Para(t(N_("Issued against the social security card, the ID card and the diagnosis "
                                "certificate. One book per enrollee: a further recognised disease is written "
                                "into this book.")), policy.books.article))
    entries = book_entries(session, book.id)
    blocks.append(Table((t.label(N_("Disease")), t.label(N_("Written in on"))),
                        tuple((_disease(t, policy, en.disease_code), _day(en.added_on)) for en in entries),
                        widths=(10, 3)))
    blocks.append(Para(t(N_("Present your social security card and this book at each visit.")), policy.books.article_visit))
    blocks.append(Boxes((t.label(N_("Issuer stamp")), t.label(N_("Received by the enrollee (signature and date)")))))
    return _doc("book-receipt", book.number, title, t, on, policy.books.article, policy, blocks, e, "record_book", str(book.id))


def _disease(t: _T, policy: Policy, code: str) -> str:
    d = policy.disease(code)
    return f"{t.name(d.name_en, d.name_zh)} ({code})" if d else code


def batch(session: Session, policy: Policy, number: str, t: _T, on: date) -> Document:
    """Monthly batch transmittal list of certificate originals (SZ-MD Art. 4). ``number`` is
    ``INSTITUTION/YYYY-MM`` (``SZ-H001/2026-10``)."""
    from core.services.certificates import batch_certificates, find_batch
    from core.services.lookup import institution_by_code

    code, _, month = number.strip().partition("/")
    if not month:
        raise DomainError.one(policy.certificates.article, "batch", N_("Name the batch as INSTITUTION/YYYY-MM, e.g. H001/2026-10."))
    inst = institution_by_code(session, code, field="batch", article=policy.certificates.article)
    b: MonthlyBatch | None = find_batch(session, inst.id, month)
    if b is None:
        raise _not_found("batch", policy.certificates.article, number)
    certs: list[Certificate] = batch_certificates(session, b)
    enrollees = {c.enrollee_id: session.get(Enrollee, c.enrollee_id) for c in certs}
    blocks: list[Block] = [
        Fields(((t.label(N_("Diagnostic hospital")), _institution(t, inst)),
                (t.label(N_("Month")), b.month),
                (t.label(N_("Certificates")), str(len(certs))),
                (t.label(N_("Received by the agency")), _day(b.received_on)))),
        Para(t(N_("Monthly, the hospital sends the originals and copies of the disease documents of these "
                  "certificates to the agency, which files them."))
             , policy.certificates.article),
        Table((t.label(N_("No.")), t.label(N_("Certificate")), t.label(N_("Enrollee")), t.label(N_("Disease")),
               t.label(N_("Confirmed"))),
              tuple((str(i), c.number, enrollees[c.enrollee_id].name if enrollees[c.enrollee_id] else "-",
                     _disease(t, policy, c.disease_code), _day(c.confirmed_on))
                    for i, c in enumerate(certs, start=1)), widths=(1, 5, 3, 6, 3)),
        Boxes((t.label(N_("Sent by the hospital (signature and date)")),
               t.label(N_("Received by the agency (signature and date)")))),
    ]
    return _doc("batch", f"{inst.code}/{b.month}", t(N_("Monthly batch transmittal list")), t, on, policy.certificates.article,
                policy, blocks, None, "monthly_batch", str(b.id))


# --------------------------------------------------------------------------- assembly


def _doc(kind: str, number: str, title: str, t: _T, on: date, article: str, policy: Policy,
         blocks: list[Block], e: Enrollee | None, entity: str, entity_id: str, *,
         copies: tuple[str, ...] = ("",)) -> Document:
    footer = t.label(N_("Printed {day} by casedesk; rules: {pack}. Scan the code to open the record."),
                     day=on.isoformat(), pack=policy.id)
    return Document(kind=kind, number=number, title=title, lang=t.lang, issued_on=on, article=article,
                    issuer=_agency(t, policy), blocks=tuple(blocks), copies=copies,
                    enrollee_id=e.id if e is not None else None, entity=entity, entity_id=entity_id,
                    footer=footer)


BUILDERS: dict[str, Callable[[Session, Policy, str, _T, date], Document]] = {
    "notice": notice,
    "suspension": suspension,
    "decision": decision,
    "filing-form": filing_form,
    "voucher": voucher,
    "certificate": certificate,
    "book-receipt": book_receipt,
    "batch": batch,
}


def build(session: Session, policy: Policy, kind: str, number: str, *, lang: str, on: date) -> Document:
    builder = BUILDERS.get(kind)
    if builder is None:
        raise DomainError.one("", "kind", N_("Unknown document {kind}; choose one of {choices}."),
                              kind=kind, choices=", ".join(BUILDERS))
    if lang not in ("en", "zh_CN", "both"):
        raise DomainError.one("", "lang", N_("Language {lang} is not one of en, zh_CN, both."), lang=lang)
    return builder(session, policy, number.strip(), _T(lang), on)
