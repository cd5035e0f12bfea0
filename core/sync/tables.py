"""What a branch pulls from the centre: one list, read by the pull and by the
trigger test (every table here has the change-log triggers on PostgreSQL).

Order is parents first. ``scope`` says whose record a row is, which is how
the branch's area filter (``casedesk branch init --area``) picks rows:

``master``      everyone's (institutions, physicians, teams …): always pulled
``self``        the enrollee row itself
``own``         the table has an ``enrollee_id`` column
``via:T.COL``   the row belongs to the enrollee of its parent row in ``T``
                (``COL`` is the foreign key to it)

A table a branch needs for its lookups and workflows must be listed here
*and* get the triggers in a migration (``core.sync.changes.install``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Synced:
    name: str
    scope: str
    #: the branch table the rows are written to (the centre's audit events
    #: are kept apart from the branch's own chain)
    local: str = ""

    @property
    def target(self) -> str:
        return self.local or self.name


SYNCED: tuple[Synced, ...] = (
    Synced("institution", "master"),
    Synced("physician", "master"),
    Synced("diagnostic_team", "master"),
    Synced("team_membership", "master"),
    Synced("monthly_batch", "master"),
    Synced("enrollee", "self"),
    # effective-dated facts (issue 13): an enrollee's, or a physician's / institution's (no enrollee: master)
    Synced("fact_change", "own"),
    Synced("certificate", "own"),
    Synced("record_book", "own"),
    Synced("book_entry", "via:record_book.book_id"),
    Synced("replacement", "own"),
    Synced("offsite_filing", "own"),
    Synced("filing_institution", "via:offsite_filing.filing_id"),
    Synced("health_centre_selection", "own"),
    Synced("hospitalisation", "own"),
    Synced("expense_record", "own"),
    Synced("investigation_case", "own"),
    Synced("monitoring_flag", "own"),
    Synced("audit_event", "own", local="central_audit_event"),
)

BY_NAME = {t.name: t for t in SYNCED}

#: the centre's facts a branch copies into its own casedesk_meta (the pack id)
META_KEYS = ("policy",)
