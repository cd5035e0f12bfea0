"""The eight workflow machines, declared once.

States are the values of the StrEnums in :mod:`core.workflows.states` (the stored
vocabulary, and the database CHECK constraints of migration
``0003_workflow_states``); what each state *counts as* is a tag here, and
every "is this state X" question in rules, services, screens and commands is
answered from these tables (``CERTIFICATE.tagged(GIVES_BENEFITS)``,
``CASE.sources("verify")`` …). ``python tools/machines.py`` draws them into
``docs/workflows.md``.

Readings taken (see docs/workflows.md):

* A certificate renewed inside the re-application window (SZ-MD Art. 12) is
  ``superseded`` when its renewal is confirmed, and keeps giving benefits to
  its own last day: ``superseded`` is tagged ``gives_benefits`` and
  ``replaceable`` (a lost one is replaced by a copy that is superseded too).
* An investigation case resumed before its decision is delivered stays
  ``verified`` (with ``resumed_on`` set) until the decision; ``resumed``
  always means closed (SZ-MT Art. 15).
"""

from __future__ import annotations

from core.i18n import N_
from core.workflows.states import BookStatus, CaseStatus, CertificateStatus, ClaimStatus, FilingStatus
from core.workflows.machine import START, Event, Machine, State

# --------------------------------------------------------------------------- tags

IN_PROCESS = "in_process"  # on its way to confirmation
GIVES_BENEFITS = "gives_benefits"  # benefits flow while the validity covers the date
BLOCKS_NEW = "blocks_new"  # a second certificate for the same disease is refused
RENEWABLE = "renewable"  # a re-application may chain from it (SZ-MD Art. 12)
COUNTS_AS_RENEWAL = "counts_as_renewal"  # a renewal in this state means "re-applied"
ENDED = "ended"  # shown as ended; no step leads out of it
OPEN = "open"  # an investigation case / a filing / a book still running
CURRENT = "current"
PAYABLE = "payable"  # a claim on the month's payment list

_G = "core.workflows.guards:"
_CS = CertificateStatus

CERTIFICATE = Machine(
    name="certificates",
    entity="certificate",
    label_kind="certificate_status",
    states=(
        State(_CS.DRAFT, frozenset({IN_PROCESS, BLOCKS_NEW, COUNTS_AS_RENEWAL})),
        State(_CS.SIGNED, frozenset({IN_PROCESS, BLOCKS_NEW, COUNTS_AS_RENEWAL})),
        State(_CS.SEALED, frozenset({IN_PROCESS, BLOCKS_NEW, COUNTS_AS_RENEWAL})),
        State(_CS.CONFIRMED, frozenset({GIVES_BENEFITS, BLOCKS_NEW, RENEWABLE, COUNTS_AS_RENEWAL})),
        State(_CS.SUPERSEDED, frozenset({GIVES_BENEFITS, COUNTS_AS_RENEWAL})),
        State(_CS.INVALIDATED, frozenset({ENDED}), final=True),
        State(_CS.VOID, frozenset({ENDED}), final=True),
        State(_CS.WITHDRAWN, frozenset({ENDED}), final=True),
    ),
    events=(
        Event("draft", (START,), (_CS.DRAFT,), "record", "certificates.article", N_("draft certificates")),
        Event("sign", (_CS.DRAFT,), (_CS.SIGNED,), "record", "certificates.signatures.article", N_("record team signatures"),
              guard=_G + "certificate_sign", forward=True),
        Event("seal", (_CS.SIGNED,), (_CS.SEALED,), "record", "certificates.article", N_("record the insurance-office seal"),
              guard=_G + "certificate_seal", forward=True),
        Event("confirm", (_CS.SEALED,), (_CS.CONFIRMED,), "review", "certificates.article", N_("confirm certificates"),
              guard=_G + "certificate_confirm", forward=True),
        Event("supersede", (_CS.CONFIRMED,), (_CS.SUPERSEDED,), "review", "validity.article",
              N_("confirm certificates"), fired_by="certificates.confirm"),
        Event("replace", (_CS.CONFIRMED, _CS.SUPERSEDED), (_CS.VOID,), "record", "replacements.article",
              N_("replace lost certificates"), guard=_G + "certificate_replace"),
        Event("invalidate", (_CS.DRAFT, _CS.SIGNED, _CS.SEALED, _CS.CONFIRMED), (_CS.INVALIDATED,), "review",
              "certificates.article_false_claim", N_("invalidate certificates"), guard=_G + "certificate_invalidate"),
        Event("withdraw", (_CS.DRAFT, _CS.SIGNED, _CS.SEALED), (_CS.WITHDRAWN,), "record", "certificates.article",
              N_("withdraw certificates"), guard=_G + "certificate_withdraw"),
    ),
    step_dates=("drafted_on", "signed1_on", "signed2_on", "sealed_on", "confirmed_on", "ended_on"),
)

_KS = CaseStatus

CASE = Machine(
    name="investigations",
    entity="investigation_case",
    label_kind="case_status",
    states=(
        State(_KS.NOTICE_SENT, frozenset({OPEN})),
        State(_KS.CLOSED_EXPLAINED, frozenset({ENDED}), final=True),
        State(_KS.SUSPENDED, frozenset({OPEN})),
        State(_KS.VERIFIED, frozenset({OPEN})),
        State(_KS.DECIDED, frozenset({OPEN})),
        State(_KS.RESUMED, frozenset({ENDED}), final=True),
        State(_KS.VIOLATION, frozenset({ENDED}), final=True),
        State(_KS.REFERRED, frozenset({ENDED}), final=True),
    ),
    events=(
        Event("notice", (START,), (_KS.NOTICE_SENT,), "record", "deadlines.article_notice", N_("send an investigation notice"),
              guard=_G + "case_notice"),
        Event("explain", (_KS.NOTICE_SENT,), (_KS.NOTICE_SENT,), "record", "deadlines.article_notice", N_("record an explanation"),
              guard=_G + "case_explain"),
        Event("judge", (_KS.NOTICE_SENT,), (_KS.CLOSED_EXPLAINED, _KS.SUSPENDED), "review", "deadlines.article_notice",
              N_("judge an explanation"), guard=_G + "case_judge"),
        Event("no_show", (_KS.NOTICE_SENT,), (_KS.SUSPENDED,), "review", "deadlines.article_notice", N_("open a case on a no-show"),
              guard=_G + "case_no_show"),
        Event("verify", (_KS.SUSPENDED,), (_KS.VERIFIED,), "review", "deadlines.article_notice", N_("record a verification result"),
              guard=_G + "case_verify"),
        Event("decide", (_KS.VERIFIED,), (_KS.DECIDED, _KS.VIOLATION, _KS.REFERRED, _KS.RESUMED), "review",
              "deadlines.article_notice", N_("deliver a decision"), guard=_G + "case_decide"),
        Event("resume", (_KS.VERIFIED, _KS.DECIDED), (_KS.VERIFIED, _KS.RESUMED), "review", "deadlines.article_resumption",
              N_("resume bookkeeping"), guard=_G + "case_resume"),
    ),
    step_dates=("notice_on", "explanation_on", "opened_on", "verified_on", "decided_on", "resumed_on", "closed_on"),
)

_FS = FilingStatus

FILING = Machine(
    name="offsite",
    entity="offsite_filing",
    label_kind="filing_status",
    states=(
        State(_FS.ACTIVE, frozenset({OPEN, CURRENT})),
        State(_FS.CANCELLED, frozenset({ENDED}), final=True),
    ),
    events=(
        Event("file", (START,), (_FS.ACTIVE,), "record", "offsite.article_form", N_("file off-site institutions")),
        Event("cancel", (_FS.ACTIVE,), (_FS.CANCELLED,), "record", "offsite.article_who", N_("cancel off-site filings"),
              guard=_G + "filing_cancel"),
        Event("change", (_FS.ACTIVE,), (_FS.CANCELLED,), "record", "offsite.article_form", N_("change off-site institutions"),
              guard=_G + "filing_cancel"),
        Event("return", (_FS.ACTIVE,), (_FS.CANCELLED,), "record", "offsite.article_who",
              N_("cancel off-site filings on return to the city"), guard=_G + "filing_cancel"),
    ),
    step_dates=("filed_on", "cancelled_on"),
    number_field="voucher_number",
)

_BS = BookStatus

BOOK = Machine(
    name="books",
    entity="record_book",
    label_kind="book_status",
    states=(
        State(_BS.ACTIVE, frozenset({OPEN, CURRENT})),
        State(_BS.USED_UP, frozenset({ENDED}), final=True),
        State(_BS.VOID, frozenset({ENDED}), final=True),
    ),
    events=(
        Event("issue", (START,), (_BS.ACTIVE,), "record", "books.article", N_("issue record books")),
        Event("add", (_BS.ACTIVE,), (_BS.ACTIVE,), "record", "books.article", N_("add diseases to record books")),
        Event("renew", (_BS.ACTIVE,), (_BS.USED_UP,), "record", "books.article", N_("renew record books"),
              guard=_G + "book_renew"),
        Event("replace", (_BS.ACTIVE,), (_BS.VOID,), "record", "replacements.article", N_("replace lost record books"),
              guard=_G + "book_replace"),
    ),
    step_dates=("issued_on", "ended_on"),
)


def _replacement_state(r) -> str:
    return "archived" if r.archived else "recorded"


REPLACEMENT = Machine(
    name="replacements",
    entity="replacement",
    label_kind="",
    states=(State("recorded", frozenset({OPEN})), State("archived", frozenset({ENDED}), final=True)),
    events=(
        Event("record", (START,), ("recorded",), "record", "replacements.article", N_("replace lost certificates")),
        Event("archive", ("recorded",), ("archived",), "record", "replacements.article", N_("archive replacement records"),
              guard=_G + "replacement_archive"),
    ),
    step_dates=("reported_on", "archived_on"),
    status_field="",
    state_of=_replacement_state,
    number_field="new_number",
)


def _batch_state(b) -> str:
    return "received" if b.received_on is not None else "open"


BATCH = Machine(
    name="batches",
    entity="monthly_batch",
    label_kind="",
    states=(State("open", frozenset({OPEN})), State("received", frozenset({ENDED}), final=True)),
    events=(
        Event("assemble", (START, "open"), ("open",), "record", "certificates.article", N_("assemble monthly batches")),
        Event("receive", ("open",), ("received",), "record", "certificates.article", N_("receive monthly batches")),
    ),
    step_dates=("received_on",),
    status_field="",
    state_of=_batch_state,
    number_field="month",
)


def _selection_state(s) -> str:
    return "ended" if s.ended_on is not None else "current"


HEALTH_CENTRE = Machine(
    name="health_centre",
    entity="health_centre_selection",
    label_kind="",
    states=(State("current", frozenset({CURRENT})), State("ended", frozenset({ENDED}), final=True)),
    events=(
        Event("select", (START,), ("current",), "record", "health_centre.article", N_("record a health centre selection")),
        Event("end", ("current",), ("ended",), "record", "health_centre.article", N_("record a health centre selection"),
              fired_by="health_centre.select"),
    ),
    step_dates=("selected_on", "ended_on"),
    status_field="",
    state_of=_selection_state,
    number_field="id",
)

_RS = ClaimStatus

CLAIM = Machine(
    name="claims",
    entity="reimbursement_claim",
    label_kind="claim_status",
    states=(
        State(_RS.REGISTERED, frozenset({OPEN})),
        State(_RS.DECIDED, frozenset({OPEN})),
        State(_RS.APPROVED, frozenset({ENDED, PAYABLE}), final=True),
        State(_RS.WITHDRAWN, frozenset({ENDED}), final=True),
    ),
    events=(
        Event("register", (START,), (_RS.REGISTERED,), "record", "claims.article", N_("register cash reimbursement claims")),
        Event("decide", (_RS.REGISTERED, _RS.DECIDED), (_RS.DECIDED,), "record", "claims.article",
              N_("decide cash reimbursement claims"), forward=True),
        Event("approve", (_RS.DECIDED,), (_RS.APPROVED,), "review", "claims.article_review",
              N_("approve cash reimbursement claims"), guard=_G + "claim_approve", forward=True),
        Event("withdraw", (_RS.REGISTERED, _RS.DECIDED), (_RS.WITHDRAWN,), "record", "claims.article",
              N_("withdraw cash reimbursement claims"), guard=_G + "claim_withdraw"),
    ),
    step_dates=("registered_on", "decided_on", "approved_on", "withdrawn_on"),
)

MACHINES: tuple[Machine, ...] = (CERTIFICATE, CASE, FILING, BOOK, REPLACEMENT, BATCH, HEALTH_CENTRE, CLAIM)
BY_ENTITY = {m.entity: m for m in MACHINES}
BY_NAME = {m.name: m for m in MACHINES}


def machine_for(record) -> Machine:
    """The machine of a record (by its table name)."""
    return BY_ENTITY[type(record).__tablename__]


# ----------------------------------------------------------------- derived sets (the only ones)

#: certificate states that give benefits while the validity covers the date
CERT_GIVES_BENEFITS = CERTIFICATE.tagged(GIVES_BENEFITS)
#: draft, signed, sealed: on the way to confirmation
CERT_IN_PROCESS = CERTIFICATE.tagged(IN_PROCESS)
#: in process or confirmed: a second one for the same disease is refused
CERT_BLOCKS_NEW = CERTIFICATE.tagged(BLOCKS_NEW)
#: a re-application may chain from it
CERT_RENEWABLE = CERTIFICATE.tagged(RENEWABLE)
#: a drafted renewal in one of these states means the enrollee re-applied
CERT_COUNTS_AS_RENEWAL = CERTIFICATE.tagged(COUNTS_AS_RENEWAL)
#: shown as ended
CERT_ENDED = CERTIFICATE.tagged(ENDED)
#: a lost one is replaced (SZ-MD Art. 5)
CERT_REPLACEABLE = CERTIFICATE.sources("replace")
CERT_INVALIDATABLE = CERTIFICATE.sources("invalidate")
CERT_WITHDRAWABLE = CERTIFICATE.sources("withdraw")

#: cases still running
CASE_OPEN = CASE.tagged(OPEN)
#: a case in one of these states has its close date
CASE_CLOSED = CASE.tagged(ENDED)
BOOK_CURRENT = BOOK.tagged(CURRENT)
FILING_CURRENT = FILING.tagged(CURRENT)

#: claims still being worked on / approved (on a payment list) / any live one (its receipts are taken)
CLAIM_OPEN = CLAIM.tagged(OPEN)
CLAIM_PAYABLE = CLAIM.tagged(PAYABLE)
CLAIM_HOLDS_RECEIPTS = CLAIM.tagged(OPEN, PAYABLE)
