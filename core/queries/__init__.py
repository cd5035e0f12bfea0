"""Read-only query functions for the screens and the commands.

Each takes the session :mod:`core.gateway` opened, reads, and returns plain
immutable results (:func:`core.records.frozen` rows, tuples, dataclasses),
never an ORM row. A picker's query narrows in SQL and then keeps only what
the rule itself accepts, so a picker never offers what the step refuses.
"""
