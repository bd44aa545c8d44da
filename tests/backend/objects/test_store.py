"""The durable-object store against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlmodel import func, select

from backend import db
from backend.access.audit import Actor
from backend.accounts import users
from backend.enums import Channel, EventName
from backend.errors import Conflict, InvalidInput, NotFound
from backend.events import activity
from backend.models import AuditEntry, DurableObject, Event, ObjectVersion, User
from backend.objects import files as object_files
from backend.objects import store

ADA = Actor.operator("ada@example.com", Channel.WEB)
MAIN_V1 = 'def greet(name: str) -> str:\n    """Say hello."""\n    return "hi " + name\n'
MAIN_V2 = 'def greet(name: str, loud: bool = False) -> str:\n    return "HI " + name\n'


def _create(session, slug="greeter", **extra):
    files = extra.pop("files", {"main.py": MAIN_V1, "lib/util.py": "X = 1\r\nY = 2"})
    return store.create_object_in(
        session, slug=slug, name="Greeter", files=files, actor=ADA, **extra
    )


def _count(model) -> int:
    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_create_stores_version_one_with_schema_audit_and_files_on_disk(migrated_db):
    with db.session_scope() as session:
        version = _create(session, description="Says hello", kind="library")
    with db.session_scope() as session:
        obj = store.get_object(session, "greeter")
        assert (obj.name, obj.kind, obj.status, obj.current_version) == (
            "Greeter",
            "library",
            "draft",
            1,
        )
        assert obj.created_at.tzinfo is not None
        assert obj.created_at.utcoffset() == UTC.utcoffset(None)
        stored = store.get_version(session, "greeter", 1)
        assert stored.files == {"lib/util.py": "X = 1\r\nY = 2", "main.py": MAIN_V1}
        assert stored.parent_id is None
        assert stored.author == "ada@example.com"
        (function,) = stored.api_schema["functions"]
        assert function["name"] == "greet"
        assert function["doc"] == "Say hello."
        entry = session.exec(select(AuditEntry)).one()
        assert (entry.actor, entry.channel, entry.action) == (
            "ada@example.com",
            "web",
            "object.created",
        )
        assert entry.object_id == obj.id
    assert version.number == 1
    assert store.files_on_disk("greeter", 1) == stored.files
    raw = (object_files.version_dir("greeter", 1) / "lib" / "util.py").read_bytes()
    assert raw == b"X = 1\r\nY = 2"


def test_edit_makes_a_child_version_and_keeps_the_old_one(migrated_db):
    with db.session_scope() as session:
        first = _create(session)
    with db.session_scope() as session:
        second = store.edit_object(
            session, "greeter", files={"main.py": MAIN_V2}, message="louder", actor=ADA
        )
    with db.session_scope() as session:
        versions = store.list_versions(session, "greeter")
        assert [v.number for v in versions] == [1, 2]
        assert versions[0].files["main.py"] == MAIN_V1
        assert versions[1].parent_id == first.id
        assert versions[1].message == "louder"
        assert store.get_object(session, "greeter").current_version == 2
        params = versions[1].api_schema["functions"][0]["params"]
        assert [p["name"] for p in params] == ["name", "loud"]
    assert store.files_on_disk("greeter", 2) == {"main.py": MAIN_V2}
    assert second.number == 2


def test_rollback_creates_a_new_version_equal_to_the_old_one(migrated_db):
    with db.session_scope() as session:
        _create(session, files={"main.py": MAIN_V1})
        store.edit_object(session, "greeter", files={"main.py": MAIN_V2}, actor=ADA)
    with db.session_scope() as session:
        restored = store.rollback_in(session, "greeter", 1, actor=ADA)
    with db.session_scope() as session:
        versions = store.list_versions(session, "greeter")
        assert [v.number for v in versions] == [1, 2, 3]
        assert versions[2].files == versions[0].files
        assert versions[1].files == {"main.py": MAIN_V2}, "history must not be rewritten"
        assert versions[2].parent_id == versions[1].id
        assert versions[2].message == "Restored v1"
        actions = session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["object.created", "object.edited", "object.rolled_back"]
        diff = store.diff_versions(session, "greeter", 2, 3)
        assert [d.path for d in diff] == ["main.py"]
        assert store.diff_versions(session, "greeter", 1, 3) == []
    assert restored.number == 3
    assert store.files_on_disk("greeter", 3) == {"main.py": MAIN_V1}


def test_diff_between_versions_is_file_by_file(migrated_db):
    with db.session_scope() as session:
        _create(session, files={"main.py": MAIN_V1, "old.py": "o\n"})
        store.edit_object(
            session, "greeter", files={"main.py": MAIN_V2, "new.py": "n\n"}, actor=ADA
        )
        changes = {d.path: d.change for d in store.diff_versions(session, "greeter", 1, 2)}
    assert changes == {"main.py": "changed", "new.py": "added", "old.py": "removed"}


def test_code_that_does_not_parse_is_stored_with_the_error(migrated_db):
    with db.session_scope() as session:
        version = _create(session, files={"main.py": "def broken(:\n"})
    assert version.syntax_error.startswith("main.py line 1:")
    assert version.api_schema["functions"] == []
    assert store.files_on_disk("greeter", 1) == {"main.py": "def broken(:\n"}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: _create(s, slug="Bad Slug"), InvalidInput, "slug"),
        (lambda s: _create(s, slug="other", files={"util.py": "x"}), InvalidInput, "main.py"),
        (lambda s: _create(s, slug="other", files={"../main.py": "x"}), InvalidInput, "path"),
        (lambda s: _create(s, slug="other", kind="gadget"), InvalidInput, "unknown kind"),
        (
            lambda s: store.edit_object(s, "ghost", files={"main.py": ""}, actor=ADA),
            NotFound,
            "ghost",
        ),
        (lambda s: store.get_version(s, "greeter", 7), NotFound, "no version 7"),
        (lambda s: store.rollback_in(s, "greeter", 1, actor=ADA), Conflict, "already the current"),
        (lambda s: store.rollback_in(s, "greeter", 5, actor=ADA), NotFound, "no version 5"),
        (
            lambda s: store.edit_object(s, "greeter", files={"main.py": MAIN_V1}, actor=ADA),
            InvalidInput,
            "same",
        ),
        (
            lambda s: (
                store.set_status(s, "greeter", "deprecated", actor=ADA)
                and store.set_status(s, "greeter", "deployed", actor=ADA)
            ),
            Conflict,
            "can't become",
        ),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(migrated_db, call, error, message):
    with db.session_scope() as session:
        _create(session, files={"main.py": MAIN_V1})
    before = {m: _count(m) for m in (DurableObject, ObjectVersion, AuditEntry)}
    on_disk = sorted(p.name for p in (object_files.version_dir("greeter", 1).parent.iterdir()))
    with pytest.raises(error, match=message), db.session_scope() as session:
        call(session)
    assert {m: _count(m) for m in before} == before
    with db.session_scope() as session:
        assert store.get_object(session, "greeter").status == "draft"
    assert (
        sorted(p.name for p in object_files.version_dir("greeter", 1).parent.iterdir()) == on_disk
    )


def test_duplicate_slug_is_a_conflict(migrated_db):
    with db.session_scope() as session:
        _create(session)
    with pytest.raises(Conflict, match="already exists"), db.session_scope() as session:
        _create(session)
    assert _count(DurableObject) == 1


def test_a_rolled_back_transaction_leaves_no_files_on_disk(migrated_db):
    with pytest.raises(RuntimeError), db.session_scope() as session:
        _create(session)
        assert object_files.version_dir("greeter", 1).is_dir()
        raise RuntimeError("something later in the same transaction failed")
    assert not object_files.version_dir("greeter", 1).exists()
    assert _count(DurableObject) == 0


def test_a_failing_subscriber_keeps_the_files_of_the_version_that_commits(migrated_db):
    """A subscriber's failure rolls back its own savepoint, which SQLAlchemy reports as a
    rollback too: it used to delete the files of the version the action went on to commit."""

    def broken(session, event) -> None:
        session.add(User(name="Eve", email="eve@example.com"))
        session.flush()
        raise RuntimeError("a subscriber's bug")

    activity.subscribe(EventName.OBJECT_CREATED, broken)
    try:
        with db.session_scope() as session:
            _create(session)
    finally:
        activity.unsubscribe(EventName.OBJECT_CREATED, broken)
    assert object_files.read_version("greeter", 1) == {
        "main.py": MAIN_V1,
        "lib/util.py": "X = 1\r\nY = 2",
    }
    assert _count(User) == 0  # the subscriber's own write was undone


def test_a_transaction_rolled_back_after_a_released_savepoint_leaves_no_files(migrated_db):
    with pytest.raises(RuntimeError), db.session_scope() as session:
        _create(session)  # its subscribers' savepoints are released inside
        with session.begin_nested():
            session.add(User(name="Fay", email="fay@example.com"))
        raise RuntimeError("something later in the same transaction failed")
    assert not object_files.version_dir("greeter", 1).exists()
    assert _count(DurableObject) == 0


def test_status_changes_are_checked_and_audited(migrated_db):
    with db.session_scope() as session:
        _create(session)
        store.set_status(session, "greeter", "deployed", actor=ADA, reason="tests passed")
        store.set_status(session, "greeter", "deprecated", actor=ADA)
    with db.session_scope() as session:
        assert store.get_object(session, "greeter").status == "deprecated"
        details = session.exec(
            select(AuditEntry.detail).where(AuditEntry.action == "object.status_changed")
        ).all()
    assert [(d["from"], d["to"]) for d in details] == [
        ("draft", "deployed"),
        ("deployed", "deprecated"),
    ]


def test_users_have_unique_e164_phones_and_emails(migrated_db):
    with db.session_scope() as session:
        ada = users.add_user_in(
            session, name="Ada", email="Ada@Example.com", phone="+1 (555) 123-4567"
        )
    assert ada.phone == "+15551234567"
    with db.session_scope() as session:
        assert users.find_user_by_phone(session, "+15551234567").id == ada.id
        event = session.exec(select(Event)).one()
        assert event.name == EventName.USER_CREATED
        assert event.payload["is_admin"] is False
    for kwargs, error in [
        ({"email": "bob@example.com", "phone": "+15551234567"}, Conflict),
        ({"email": "Ada@example.com"}, Conflict),
        ({"email": "bob@example.com", "phone": "5551234567"}, InvalidInput),
        ({"email": "not-an-email"}, InvalidInput),
    ]:
        with pytest.raises(error), db.session_scope() as session:
            users.add_user_in(session, name="Bob", **kwargs)
    assert _count(User) == 1
