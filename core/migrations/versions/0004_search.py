"""lookup: pinyin keys on enrollee, substring and short-name indexes

Revision ID: 0004_search
Revises: 0002

Adds ``enrollee.name_pinyin`` / ``name_initials`` (core.name_keys, backfilled
here) and the indexes core.services.lookup searches:

SQLite
    ``enrollee_search``       contentless FTS5 table, trigram tokenizer, over
                              name, name_pinyin, name_initials (substrings of 3+)
    ``enrollee_search_gram``  every 1- and 2-character piece of each name, keyed
                              (gram, name, rid): a 1-2 character query is one
                              ordered index range (trigram needs 3)
    ``enrollee_search_key``   a stable integer ``rid`` per enrollee for both
                              (an un-aliased SQLite rowid may change on VACUUM)
    triggers on enrollee keep all three in step with every writer.
PostgreSQL
    ``pg_trgm`` GIN indexes on name, name_pinyin, name_initials; a GIN index on
    ``enrollee_search_grams(name)`` (the 1- and 2-character pieces) for short
    queries. pg_trgm sees CJK characters only under a UTF-8 LC_CTYPE
    (zh_CN.UTF-8, C.UTF-8); in the plain C locale the queries stay correct
    but scan.
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_search"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAME_MAX = 64  # Enrollee.name max_length: the gram positions table covers it
_BATCH = 5_000

_SQLITE_GRAMS = (
    "SELECT substr({n}.name, p.n, w.w), {n}.name, k.rid FROM enrollee_search_key k, enrollee_search_pos p, "
    "(SELECT 1 AS w UNION ALL SELECT 2) w WHERE k.enrollee_id = {n}.id AND p.n + w.w - 1 <= length({n}.name)"
)
_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER enrollee_search_ai AFTER INSERT ON enrollee BEGIN
      INSERT INTO enrollee_search_key(enrollee_id) VALUES (new.id);
      INSERT INTO enrollee_search(rowid, name, name_pinyin, name_initials)
        SELECT rid, new.name, new.name_pinyin, new.name_initials FROM enrollee_search_key WHERE enrollee_id = new.id;
      INSERT OR IGNORE INTO enrollee_search_gram(gram, name, rid) {_SQLITE_GRAMS.format(n="new")};
    END""",
    f"""CREATE TRIGGER enrollee_search_au AFTER UPDATE OF name, name_pinyin, name_initials ON enrollee BEGIN
      INSERT INTO enrollee_search(enrollee_search, rowid, name, name_pinyin, name_initials)
        SELECT 'delete', rid, old.name, old.name_pinyin, old.name_initials FROM enrollee_search_key
        WHERE enrollee_id = old.id;
      DELETE FROM enrollee_search_gram WHERE (gram, name, rid) IN ({_SQLITE_GRAMS.format(n="old")});
      INSERT INTO enrollee_search(rowid, name, name_pinyin, name_initials)
        SELECT rid, new.name, new.name_pinyin, new.name_initials FROM enrollee_search_key WHERE enrollee_id = new.id;
      INSERT OR IGNORE INTO enrollee_search_gram(gram, name, rid) {_SQLITE_GRAMS.format(n="new")};
    END""",
    f"""CREATE TRIGGER enrollee_search_ad AFTER DELETE ON enrollee BEGIN
      INSERT INTO enrollee_search(enrollee_search, rowid, name, name_pinyin, name_initials)
        SELECT 'delete', rid, old.name, old.name_pinyin, old.name_initials FROM enrollee_search_key
        WHERE enrollee_id = old.id;
      DELETE FROM enrollee_search_gram WHERE (gram, name, rid) IN ({_SQLITE_GRAMS.format(n="old")});
      DELETE FROM enrollee_search_key WHERE enrollee_id = old.id;
    END""",
)


def _backfill_keys() -> None:
    """Pinyin keys for the enrollees already there, in batches."""
    from core.name_keys import name_keys

    conn = op.get_bind()
    last = None
    while True:
        q = "SELECT id, name FROM enrollee" + (" WHERE id > :last" if last is not None else "") + " ORDER BY id LIMIT :n"
        rows = conn.execute(sa.text(q), {"last": last, "n": _BATCH}).all()
        if not rows:
            return
        params = []
        for rid, name in rows:
            k = name_keys(name)
            params.append({"id": rid, "p": k.pinyin, "i": k.initials})
        conn.execute(sa.text("UPDATE enrollee SET name_pinyin = :p, name_initials = :i WHERE id = :id"), params)
        last = rows[-1][0]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("enrollee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_pinyin", sa.String(length=1200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("name_initials", sa.String(length=200), nullable=False, server_default=""))
    _backfill_keys()  # before the indexes: one build each instead of an index update per row
    op.create_index("ix_enrollee_name_pinyin", "enrollee", ["name_pinyin", "id"], unique=False)
    op.create_index("ix_enrollee_name_initials", "enrollee", ["name_initials", "id"], unique=False)
    if dialect == "sqlite":
        op.execute("CREATE TABLE enrollee_search_key (rid INTEGER PRIMARY KEY, enrollee_id CHAR(32) NOT NULL UNIQUE)")
        op.execute("CREATE TABLE enrollee_search_pos (n INTEGER PRIMARY KEY)")
        op.execute(f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {NAME_MAX}) "
                   "INSERT INTO enrollee_search_pos SELECT n FROM s")
        op.execute("CREATE TABLE enrollee_search_gram (gram TEXT NOT NULL, name TEXT NOT NULL, rid INTEGER NOT NULL, "
                   "PRIMARY KEY (gram, name, rid)) WITHOUT ROWID")
        op.execute("CREATE VIRTUAL TABLE enrollee_search USING fts5(name, name_pinyin, name_initials, "
                   "content='', tokenize='trigram')")
        op.execute("INSERT INTO enrollee_search_key(enrollee_id) SELECT id FROM enrollee ORDER BY rowid")
        op.execute("INSERT INTO enrollee_search(rowid, name, name_pinyin, name_initials) "
                   "SELECT k.rid, e.name, e.name_pinyin, e.name_initials FROM enrollee e "
                   "JOIN enrollee_search_key k ON k.enrollee_id = e.id")
        op.execute("INSERT OR IGNORE INTO enrollee_search_gram(gram, name, rid) "
                   + _SQLITE_GRAMS.format(n="e").replace("FROM ", "FROM enrollee e, ", 1))
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE FUNCTION enrollee_search_grams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE "
            "AS $$ SELECT coalesce(array_agg(DISTINCT substr(t, i, w)), '{}') "
            "FROM generate_series(1, char_length(t)) AS i, (VALUES (1), (2)) AS v(w) "
            "WHERE i + w - 1 <= char_length(t) $$"
        )
        op.execute("CREATE INDEX ix_enrollee_search_grams ON enrollee USING gin (enrollee_search_grams(name))")
        for column in ("name", "name_pinyin", "name_initials"):
            op.execute(f"CREATE INDEX ix_enrollee_search_{column} ON enrollee USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("ai", "au", "ad"):
            op.execute(f"DROP TRIGGER IF EXISTS enrollee_search_{name}")
        for table in ("enrollee_search", "enrollee_search_gram", "enrollee_search_pos", "enrollee_search_key"):
            op.execute(f"DROP TABLE IF EXISTS {table}")
    elif dialect == "postgresql":
        for index in ("grams", "name", "name_pinyin", "name_initials"):
            op.execute(f"DROP INDEX IF EXISTS ix_enrollee_search_{index}")
        op.execute("DROP FUNCTION IF EXISTS enrollee_search_grams(text)")
    op.drop_index("ix_enrollee_name_initials", table_name="enrollee")
    op.drop_index("ix_enrollee_name_pinyin", table_name="enrollee")
    with op.batch_alter_table("enrollee", schema=None) as batch_op:
        batch_op.drop_column("name_initials")
        batch_op.drop_column("name_pinyin")
