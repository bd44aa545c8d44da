"""The PostgreSQL tests' migrated databases (tests/support/postgres_copies.py): what one test
leaves in its database never reaches the next test, which gets a database by a new name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from tests.support.postgres_copies import PostgresCopies

INSERT_USER = (
    'INSERT INTO "user" (name, email, is_admin, preferred_channel, created_at, updated_at) '
    "VALUES ('Ada', :email, false, 'email', now(), now()) RETURNING id"
)


@pytest.fixture
def copies(postgres_server: str, postgres_template: str) -> Iterator[PostgresCopies]:
    copies = PostgresCopies(postgres_server, postgres_template)
    try:
        yield copies
    finally:
        copies.close()


def _engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def _one(url: str, query: str) -> object:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def _names(admin_url: str) -> set[str]:
    engine = _engine(admin_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT datname FROM pg_database"))
            return set(rows.scalars())
    finally:
        engine.dispose()


def test_the_next_test_gets_the_database_as_the_template_was_by_a_new_name(
    copies, postgres_server, postgres_template
):
    first = copies.take()
    engine = _engine(first)
    with engine.begin() as connection:
        assert connection.execute(text(INSERT_USER), {"email": "ada@example.com"}).scalar() == 1
        connection.execute(text("SELECT nextval('event_id_seq')"))
        connection.execute(text("SELECT pg_advisory_lock(1, 2)"))
    left_open = engine.connect()  # what a test's worker process may still hold
    left_open.execute(text("SELECT pg_advisory_lock(3, 4)"))

    copies.give_back(first)
    second = copies.take()

    assert make_url(second).database != make_url(first).database
    assert make_url(first).database not in _names(postgres_server)
    with pytest.raises(OperationalError):
        left_open.execute(text("SELECT 1"))
    with pytest.raises(OperationalError):
        _one(first, "SELECT 1")  # a process left behind cannot reach the next test's database
    engine.dispose()
    assert _one(second, 'SELECT count(*) FROM "user"') == 0
    assert _one(second, "SELECT is_called FROM event_id_seq") is False
    assert _one(second, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    engine = _engine(second)
    with engine.begin() as connection:
        assert connection.execute(text(INSERT_USER), {"email": "ada@example.com"}).scalar() == 1
    engine.dispose()
    template_revision = _one(
        make_url(postgres_server).set(database=postgres_template).render_as_string(False),
        "SELECT version_num FROM alembic_version",
    )
    assert _one(second, "SELECT version_num FROM alembic_version") == template_revision
    assert copies.counts == {"copied": 1, "reset": 1, "dropped": 0}


@pytest.mark.parametrize(
    "change",
    [
        "CREATE FUNCTION one() RETURNS int AS 'SELECT 1' LANGUAGE sql",
        'ALTER TABLE "user" ADD COLUMN nickname text',
        "CREATE TABLE extra (id int)",
        "UPDATE alembic_version SET version_num = 'elsewhere'",
        "ALTER SEQUENCE event_id_seq INCREMENT BY 2",
    ],
    ids=["function", "column", "table", "revision", "sequence"],
)
def test_a_database_changed_beyond_its_rows_is_dropped_and_the_next_is_a_fresh_copy(
    copies, postgres_server, change
):
    first = copies.take()
    engine = _engine(first)
    with engine.begin() as connection:
        connection.execute(text(change))
    engine.dispose()

    copies.give_back(first)
    second = copies.take()

    assert copies.counts == {"copied": 2, "reset": 0, "dropped": 1}
    assert not {make_url(first).database} & _names(postgres_server)
    assert _one(second, "SELECT count(*) FROM pg_proc WHERE proname = 'one'") == 0
    assert _one(second, "SELECT to_regclass('extra') IS NULL") is True
    columns = "SELECT count(*) FROM information_schema.columns WHERE column_name = 'nickname'"
    assert _one(second, columns) == 0
    assert _one(second, "SELECT version_num FROM alembic_version") != "elsewhere"
    assert (
        _one(second, "SELECT increment_by FROM pg_sequences WHERE sequencename = 'event_id_seq'")
        == 1
    )
