"""Alembic migrations on SQLite and PostgreSQL: they build exactly the models' schema."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

import backend.models  # noqa: F401  (registers the tables)
from backend import db
from backend.config import get_settings

TABLES = {
    "user",
    "durable_object",
    "object_version",
    "modification",
    "evaluation",
    "deployment",
    "monitor",
    "event",
    "notification",
    "task",
    "audit_entry",
    "object_state",
    "api_token",
    "llm_call",
    "sign_in_failures",
    "phone_verification",
    "interaction",
    "conversation",
    "webhook_receipt",
    "monitor_firing",
    "event_source",
    "object_call_minute",
}


def _tables() -> set[str]:
    return set(inspect(db.get_engine()).get_table_names()) - {"alembic_version"}


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_db):
    assert db.current_revision() is None
    assert db.upgrade_database() is True
    assert db.current_revision() == db.head_revision()
    assert _tables() == TABLES
    with db.get_engine().connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], f"models and migrations disagree: {differences}"
    assert db.upgrade_database() is False, "a current schema needs nothing applied"

    config = db._alembic_config(get_settings().resolved_database_url)
    command.downgrade(config, "base")
    assert _tables() == set()
    assert db.upgrade_database() is True
    assert _tables() == TABLES


def test_constraints_that_matter_exist(migrated_db):
    inspector = inspect(db.get_engine())
    unique = {
        (table, tuple(index["column_names"]))
        for table in ("user", "durable_object")
        for index in inspector.get_indexes(table)
        if index["unique"]
    }
    assert ("user", ("email",)) in unique
    assert ("user", ("phone",)) in unique
    assert ("durable_object", ("slug",)) in unique
    version_uniques = [
        tuple(c["column_names"]) for c in inspector.get_unique_constraints("object_version")
    ]
    assert ("object_id", "number") in version_uniques
    foreign = {
        (fk["constrained_columns"][0], fk["referred_table"])
        for fk in inspector.get_foreign_keys("object_version")
    }
    assert foreign == {("object_id", "durable_object"), ("parent_id", "object_version")}


def test_database_status_reports_an_outdated_schema(empty_db):
    status = db.database_status()
    assert status["ok"] is True and status["up_to_date"] is False
    db.upgrade_database()
    assert db.database_status()["up_to_date"] is True


def _add_user_row(connection, user_id: int, email: str) -> None:
    connection.execute(
        text(
            'INSERT INTO "user" (id, name, email, is_admin, preferred_channel, created_at, '
            "updated_at) VALUES (:id, :name, :email, false, 'email', :now, :now)"
        ),
        {"id": user_id, "name": f"user {user_id}", "email": email, "now": "2026-01-01 00:00:00"},
    )


def _emails() -> list[str]:
    with db.get_engine().connect() as connection:
        return list(connection.execute(text('SELECT email FROM "user" ORDER BY id')).scalars())


def test_0006_stops_naming_emails_that_differ_only_in_case(empty_db):
    config = db._alembic_config(get_settings().resolved_database_url)
    command.upgrade(config, "0005")
    with db.get_engine().begin() as connection:
        _add_user_row(connection, 1, "ada@example.com")
        _add_user_row(connection, 2, "Bob@example.com")
        _add_user_row(connection, 3, "ADA@example.com")

    with pytest.raises(RuntimeError) as stopped:
        db.upgrade_database()
    message = str(stopped.value)
    assert "ada@example.com (user 1), ADA@example.com (user 3)" in message
    assert "Bob@example.com" not in message and "nothing was changed" in message
    assert db.current_revision() == "0005"
    assert _emails() == ["ada@example.com", "Bob@example.com", "ADA@example.com"]

    # A person settles it; the migration then stores every email lower-case.
    with db.get_engine().begin() as connection:
        connection.execute(text("UPDATE \"user\" SET email = 'ada.old@example.com' WHERE id = 3"))
    assert db.upgrade_database() is True
    assert _emails() == ["ada@example.com", "bob@example.com", "ada.old@example.com"]


def test_the_database_keeps_one_account_per_email_whatever_its_case(migrated_db):
    with db.get_engine().begin() as connection:
        _add_user_row(connection, 1, "ada@example.com")
    for spelling in ("ada@example.com", "ADA@example.com"):
        with pytest.raises(IntegrityError), db.get_engine().begin() as connection:
            _add_user_row(connection, 2, spelling)
    assert _emails() == ["ada@example.com"]
