"""Copies of a migrated SQLite database, so a test needs no migration run of its own."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_sqlite_template(template: Path, destination: Path) -> None:
    """Put a migrated SQLite database at `destination` (no connection may be open on it).

    `template` is the session's `sqlite_template` (tests/conftest.py): one file, its WAL
    checkpointed, so a plain copy is the whole database.
    """
    for leftover in (
        destination,
        *(destination.with_name(destination.name + s) for s in ("-wal", "-shm")),
    ):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(template, destination)
