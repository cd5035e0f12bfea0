"""The TUI baseline: a bare Textual app written by hand, importing sqlmodel
like casedesk does, with a Header, an Input, a DataTable and a Footer. It
looks enrollees up with one plain sqlite3 query per change of the input (an
ID or card number by equality, a name through the FTS5 trigram index) and
shows them at once, so its figures are what Textual and the database cost
without casedesk.

    python bench/bare_app.py DB
"""

from __future__ import annotations

import sqlite3
import sys

import sqlmodel  # noqa: F401  - casedesk imports it too: the baseline carries the same weight
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Input, Label

COLS = "e.name, e.id_number, e.card_number, e.scheme"
BY_NUMBER = f"SELECT {COLS} FROM enrollee e WHERE e.id_number = ? OR e.card_number = ? LIMIT 20"
BY_NAME = (f"SELECT {COLS} FROM enrollee e JOIN enrollee_search_key k ON k.enrollee_id = e.id WHERE k.rid IN "
           "(SELECT rowid FROM enrollee_search WHERE enrollee_search MATCH ?) ORDER BY e.name, e.id LIMIT 20")


class Bare(App[None]):
    def __init__(self, db: str) -> None:
        super().__init__()
        self.con = sqlite3.connect(db, check_same_thread=False)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Find:")
        yield Input(id="q")
        yield Label("", id="status")
        yield DataTable(id="t")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Name", "ID", "Card", "Scheme")
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        q = event.value.strip()
        if len(q) < 2:
            return
        if q[0].isdigit() or q[:2].isalpha() and q[2:].isdigit() and q.isascii():
            rows = self.con.execute(BY_NUMBER, (q, q)).fetchall()
        else:
            rows = self.con.execute(BY_NAME, ('name : "%s"' % q.replace('"', '""'),)).fetchall()
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(*r)
        self.query_one("#status", Label).update(f"results 1-{len(rows)}" if rows else "nothing")


if __name__ == "__main__":
    Bare(sys.argv[1]).run()
