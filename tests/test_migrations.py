"""Alembic migrations on SQLite and PostgreSQL: they build exactly the models' schema."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
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
