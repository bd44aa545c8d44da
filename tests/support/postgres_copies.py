"""Migrated PostgreSQL databases for tests: one copy of the session's template per process,
put back as the template was after each test instead of dropped and copied again.

Copying the template (CREATE DATABASE ... TEMPLATE) and dropping the copy (DROP DATABASE,
which forces a checkpoint) cost a PostgreSQL test several times what emptying the few tables
it wrote costs. So after a test its database is

1. renamed to a new unique name, after ending every other connection to it: each test still
   sees a database name of its own, and a process the test left behind can neither reach the
   database while it is reset nor write into the next test's (it knows only the old name);
2. compared with the template: the same schema (tables, columns, constraints, indexes, types,
   functions, triggers, sequences' definitions, extensions, ...), else it is dropped;
3. emptied: the tables the template has no rows in and this test wrote are emptied (DELETE,
   the referencing tables first: TRUNCATE makes new files for every table and index, ~20 ms a
   table on the 2-core test machine; the deleted rows' space is left to autovacuum, which
   nothing a test reads can tell), every sequence is set back to the template's value, and the
   tables the template has rows in (alembic_version, with its revision: the migrations insert
   no other row) must still hold exactly the template's rows, else it is dropped.

Any failure on the way drops the database, and the next test gets a fresh copy: a test can
leave nothing behind for the next one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

#: One line per schema object of the database it runs in (not its rows): two databases with the
#: same md5 of these lines have the same tables, columns, defaults, constraints, indexes, types,
#: functions, triggers, rules, sequences, extensions, settings and owners. Temporary schemas are
#: left out: their tables go with the session that made them.
SCHEMA_FINGERPRINT = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%'
), rel AS (
    SELECT c.oid, c.relkind, c.relpersistence, c.relowner, c.relacl,
           ns.nspname || '.' || c.relname AS name
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
), items(item) AS (
    SELECT 'schema ' || nspname FROM ns
    UNION ALL
    SELECT concat_ws(' ', 'relation', relkind, relpersistence, name, relowner, relacl::text)
    FROM rel
    UNION ALL
    SELECT concat_ws(' ', 'column', rel.name, a.attname, format_type(a.atttypid, a.atttypmod),
                     a.attnotnull, a.attidentity, a.attgenerated,
                     pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT concat_ws(' ', 'constraint', c.conrelid::regclass::text, c.conname,
                     pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN ns ON ns.oid = c.connamespace
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN rel ON rel.oid = i.indexrelid
    UNION ALL
    SELECT concat_ws(' ', 'sequence', s.seqrelid::regclass::text, s.seqtypid, s.seqstart,
                     s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
    FROM pg_sequence s JOIN rel ON rel.oid = s.seqrelid
    UNION ALL
    SELECT concat_ws(' ', 'type', ns.nspname, t.typname, t.typtype)
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION ALL
    SELECT concat_ws(' ', 'enum', e.enumtypid::regtype::text, e.enumsortorder, e.enumlabel)
    FROM pg_enum e
    UNION ALL
    SELECT concat_ws(' ', 'function', p.oid::regprocedure::text, md5(coalesce(p.prosrc, '')))
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'rule', rel.name, r.rulename, md5(pg_get_ruledef(r.oid)))
    FROM pg_rewrite r JOIN rel ON rel.oid = r.ev_class
    UNION ALL
    SELECT concat_ws(' ', 'policy', p.polrelid::regclass::text, p.polname) FROM pg_policy p
    UNION ALL
    SELECT concat_ws(' ', 'extension', extname, extversion) FROM pg_extension
    UNION ALL
    SELECT 'event trigger ' || evtname FROM pg_event_trigger
    UNION ALL
    SELECT 'publication ' || pubname FROM pg_publication
    UNION ALL
    SELECT 'large objects ' || count(*) FROM pg_largeobject_metadata
    UNION ALL
    SELECT concat_ws(' ', 'database', d.datallowconn, d.datconnlimit, d.datacl::text,
                     (SELECT array_to_string(s.setconfig, ',') FROM pg_db_role_setting s
                      WHERE s.setdatabase = d.oid AND s.setrole = 0))
    FROM pg_database d WHERE d.datname = current_database()
)
SELECT md5(string_agg(item, E'\n' ORDER BY item)) FROM items
"""

_TABLES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 1
"""

_SEQUENCES = """
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
ORDER BY 1
"""

#: (referencing table, referenced table) for every foreign key.
_REFERENCES = """
SELECT quote_ident(cn.nspname) || '.' || quote_ident(c.relname),
       quote_ident(fn.nspname) || '.' || quote_ident(f.relname)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
JOIN pg_class f ON f.oid = k.confrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
WHERE k.contype = 'f'
"""


@dataclass(frozen=True)
class TemplateState:
    """What a reset database must equal: read once from the template."""

    schema: str
    #: Tables the template has no rows in (quoted, schema-qualified), in an order they can be
    #: emptied in one by one: a table before those it references...
    empty_tables: tuple[str, ...]
    #: ...unless foreign keys go round in a cycle: they are then emptied by one TRUNCATE.
    deletable_in_order: bool
    #: Tables the template has rows in, each with an md5 of its rows: compared after a test.
    rows: tuple[tuple[str, str], ...]
    #: Each sequence's (last_value, is_called) in the template.
    sequences: tuple[tuple[str, int, bool], ...]


def _state_of(connection: Connection) -> TemplateState:
    tables = list(connection.execute(text(_TABLES)).scalars())
    filled = set(_filled(connection, tables))
    empty = [t for t in tables if t not in filled]
    # A table's predecessors are the tables that reference it: they are emptied before it.
    graph: dict[str, set[str]] = {t: set() for t in empty}
    for referencing, referenced in connection.execute(text(_REFERENCES)):
        if referenced in graph and referencing != referenced:
            graph[referenced].add(referencing)
    try:
        order = [t for t in TopologicalSorter(graph).static_order() if t in graph]
        deletable = True
    except CycleError:
        order, deletable = empty, False
    sequences = list(connection.execute(text(_SEQUENCES)).scalars())
    return TemplateState(
        schema=connection.execute(text(SCHEMA_FINGERPRINT)).scalar_one(),
        empty_tables=tuple(order),
        deletable_in_order=deletable,
        rows=_rows(connection, [t for t in tables if t in filled]),
        sequences=_sequences(connection, sequences),
    )


def _filled(connection: Connection, tables: list[str]) -> list[str]:
    """Those of `tables` that have at least one row, in their order (one query)."""
    if not tables:
        return []
    query = " UNION ALL ".join(
        f"SELECT {i} WHERE EXISTS (SELECT FROM {table})" for i, table in enumerate(tables)
    )
    return [tables[i] for i in sorted(connection.execute(text(query)).scalars())]


def _rows(connection: Connection, tables: list[str]) -> tuple[tuple[str, str], ...]:
    """An md5 of each table's rows, in an order that doesn't depend on how they were stored."""
    if not tables:
        return ()
    query = " UNION ALL ".join(
        f"SELECT {i}, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
        f"FROM {table} AS t"
        for i, table in enumerate(tables)
    )
    return tuple(sorted((tables[i], digest) for i, digest in connection.execute(text(query))))


def _sequences(connection: Connection, names: list[str]) -> tuple[tuple[str, int, bool], ...]:
    """Each sequence's (name, last_value, is_called), by name."""
    if not names:
        return ()
    query = " UNION ALL ".join(
        f"SELECT {i}, last_value, is_called FROM {name}" for i, name in enumerate(names)
    )
    found = connection.execute(text(query))
    return tuple(sorted((names[i], value, called) for i, value, called in found))


def _end_connections(connection: Connection, database: str) -> None:
    """End every other connection to `database` and wait (up to 5 s) until they are gone.

    Polled here: pg_terminate_backend's own wait, like ALTER DATABASE's and DROP DATABASE's
    for connections still there, sleeps in steps of 100 ms; most backends are gone in 1 ms.
    """
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"
        ),
        {"name": database},
    )
    still = text("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE datname = :name)")
    deadline = time.monotonic() + 5
    while connection.execute(still, {"name": database}).scalar_one():
        if time.monotonic() > deadline:
            return  # the rename fails, and the database is dropped
        time.sleep(0.002)


class DifferentFromTemplate(Exception):
    """A test changed what a reset cannot put back (the schema, the template's own rows)."""


class PostgresCopies:
    """This process's migrated database: `take` one for a test, `give_back` after it."""

    def __init__(self, admin_url: str, template: str) -> None:
        self._admin_url = admin_url
        self._template = template
        self._admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._spare: str | None = None
        self._taken: set[str] = set()  # handed to a test and not given back (yet)
        #: How each test's database was made and put back (for the curious: `-s` and print).
        self.counts = {"copied": 0, "reset": 0, "dropped": 0}
        engine = create_engine(self._url(template), poolclass=NullPool)
        try:
            with engine.connect() as connection:
                self._state = _state_of(connection)
        finally:
            engine.dispose()  # a template must have no open connections

    def _url(self, name: str) -> str:
        return make_url(self._admin_url).set(database=name).render_as_string(hide_password=False)

    def take(self) -> str:
        """The URL of a database equal to the template, by a name no test used before."""
        name, self._spare = self._spare, None
        if name is None:
            name = f"dobj_test_{uuid.uuid4().hex[:12]}"
            with self._admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
            self.counts["copied"] += 1
        self._taken.add(name)
        return self._url(name)

    def give_back(self, url: str) -> None:
        """After the test that had `url`: keep its database for the next test, put back as the
        template was, or drop it. Connections still open to it are ended."""
        old = make_url(url).database
        self._taken.discard(old)
        new = f"dobj_test_{uuid.uuid4().hex[:12]}"
        try:
            with self._admin.connect() as connection:
                _end_connections(connection, old)
                # Fails if a connection came back meanwhile (the database is then dropped).
                connection.execute(text(f'ALTER DATABASE "{old}" RENAME TO "{new}"'))
        except Exception:
            self._drop(old)
            return
        try:
            self._reset(new)
        except Exception:
            self._drop(new)
            return
        self.counts["reset"] += 1
        self._spare = new

    def _reset(self, name: str) -> None:
        state = self._state
        engine = create_engine(self._url(name), poolclass=NullPool)
        try:
            with engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '5s'"))
                connection.execute(text("SET LOCAL statement_timeout = '30s'"))
                if connection.execute(text(SCHEMA_FINGERPRINT)).scalar_one() != state.schema:
                    raise DifferentFromTemplate("the schema changed")
                written = _filled(connection, list(state.empty_tables))
                if written and state.deletable_in_order:
                    for table in written:
                        connection.execute(text(f"DELETE FROM {table}"))
                elif written:
                    connection.execute(text(f"TRUNCATE {', '.join(written)} CASCADE"))
                names = [name for name, _, _ in state.sequences]
                moved = [
                    (seq, value, called)
                    for (seq, value, called), now in zip(
                        state.sequences, _sequences(connection, names), strict=True
                    )
                    if (seq, value, called) != now
                ]
                if moved:
                    calls = ", ".join(
                        f"setval(CAST(:s{i} AS regclass), :v{i}, :c{i})" for i in range(len(moved))
                    )
                    values = {}
                    for i, (seq, value, called) in enumerate(moved):
                        values.update({f"s{i}": seq, f"v{i}": value, f"c{i}": called})
                    connection.execute(text(f"SELECT {calls}"), values)
                filled = [table for table, _ in state.rows]
                if _rows(connection, filled) != state.rows:
                    raise DifferentFromTemplate("the template's own rows changed")
                if _filled(connection, list(state.empty_tables)):
                    raise DifferentFromTemplate("rows left in the emptied tables")
        finally:
            engine.dispose()

    def _drop(self, name: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.counts["dropped"] += 1

    def close(self) -> None:
        """Drop the database kept for the next test and any not given back (at the end of the
        session)."""
        for name in sorted({*self._taken, *filter(None, [self._spare])}):
            self._drop(name)
        self._taken.clear()
        self._spare = None
        self._admin.dispose()
