"""DDL for the shared blocks' generic references: a feature's object goes, its rows go.

The blocks (tasks, discussion, search) refer to a feature's object by kind and
id (:class:`lti_tool.courses.registry.Subject`), which no foreign key can
follow. So each feature table gets one ``AFTER DELETE`` trigger, made by
:func:`forget_subject`, that deletes the rows of every block table referring
to the deleted object; the database runs it whichever way the row goes, by
hand or through ``ON DELETE CASCADE`` from a platform, course, person or space.

* PostgreSQL: one function, ``forget_subject()``, with the kind as the
  trigger's argument; a new block table changes the function only.
* SQLite: no functions, so each trigger lists the block tables; a migration that
  adds a block table re-creates the triggers (:func:`forget_subject` again), and
  a migration that rebuilds a feature table in batch mode (SQLite drops a table's
  triggers with it) re-creates that table's trigger.
"""

from __future__ import annotations

# (table, kind column, id column) of every block row that refers to a subject.
BLOCK_REFERENCES = (
    ("task", "subject_kind", "subject_id"),
    ("comment", "subject_kind", "subject_id"),
    ("search_document", "subject_kind", "subject_id"),
)
# Block rows whose *source* is an object of another block (a comment's search entry).
SOURCE_REFERENCES = (("search_document", "source_kind", "source_id"),)


def _deletes(references: tuple[tuple[str, str, str], ...], kind_sql: str) -> str:
    return "\n".join(
        f"DELETE FROM {table} WHERE {kind_col} = {kind_sql} AND {id_col} = OLD.id;"
        for table, kind_col, id_col in references
    )


def postgres_functions() -> list[str]:
    """The two trigger functions (create or replace: run again when a block table is added)."""
    return [
        "CREATE OR REPLACE FUNCTION forget_subject() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{_deletes(BLOCK_REFERENCES, 'TG_ARGV[0]')}\nRETURN NULL;\nEND $$",
        "CREATE OR REPLACE FUNCTION forget_source() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{_deletes(SOURCE_REFERENCES, 'TG_ARGV[0]')}\nRETURN NULL;\nEND $$",
    ]


def _trigger(dialect: str, name: str, table: str, function: str,
             references: tuple[tuple[str, str, str], ...], kind: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}('{kind}')",
        ]
    body = _deletes(references, f"'{kind}'").replace("OLD.id", "old.id")
    return [
        f"DROP TRIGGER IF EXISTS {name}",
        f"CREATE TRIGGER {name} AFTER DELETE ON {table} BEGIN\n{body}\nEND",
    ]


def forget_subject(dialect: str, table: str, kind: str) -> list[str]:
    """(Re)create the trigger of a feature table whose rows are subjects of ``kind``."""
    return _trigger(dialect, f"{table}_forget", table, "forget_subject", BLOCK_REFERENCES, kind)


def forget_source(dialect: str, table: str, kind: str) -> list[str]:
    """(Re)create the trigger of a block table whose rows are search sources of ``kind``."""
    return _trigger(dialect, f"{table}_forget_source", table, "forget_source",
                    SOURCE_REFERENCES, kind)


def drop(dialect: str, table: str, suffix: str = "forget") -> list[str]:
    name = f"{table}_{suffix}"
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {name} ON {table}"]
    return [f"DROP TRIGGER IF EXISTS {name}"]
