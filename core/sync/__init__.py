"""Branch offices and the centre (issue 11): a branch terminal is casedesk on
its own SQLite file; the centre is PostgreSQL. ``pull`` brings the centre's
changes to the branch (``changes`` is the central change log, ``link`` the
branch's settings and credentials, ``status`` what people see); the push half
(outbox, applier, conflicts) sends the branch's work to the centre.
Design: /work/coord/notes/sync-design.md, docs/DEPLOY.md."""
