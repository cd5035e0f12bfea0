"""Services: the only writers. Each public function takes an open session
(from :func:`core.db.write_session`) and the acting caseworker, checks the
role and the rules, changes state, records the audit event in the same
transaction, and returns a result or raises :class:`core.errors.DomainError`.
"""
