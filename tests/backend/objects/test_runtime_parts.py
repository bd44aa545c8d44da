"""The parts of the runtime that run no object code: arguments, tokens, storage, locks."""

from __future__ import annotations

import threading

import pytest

from backend import db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.errors import InvalidInput, NotFound
from backend.models import ApiToken
from backend.objects import state, store
from backend.objects.arguments import bind_arguments, check_value
from backend.objects.locks import object_lock
from backend.objects.schema import derive_api_schema

ACTOR = Actor.operator("test")


@pytest.mark.parametrize(
    ("annotation", "value", "fits"),
    [
        ("int", 3, True),
        ("int", 3.5, False),
        ("int", True, False),
        ("float", 2, True),
        ("bool", 0, False),
        ("str | None", None, True),
        ("str | None", 4, False),
        ("Optional[int]", "x", False),
        ("list[int]", [1, 2], True),
        ("list[int]", [1, "2"], False),
        ("dict[str, float]", {"a": 1.5}, True),
        ("dict[str, float]", {"a": "b"}, False),
        ("Any", object(), True),
        ("Money", "12.50", True),
        ("int | Money", "x", True),
        (None, "anything", True),
    ],
)
def test_values_are_checked_against_annotations(annotation, value, fits):
    assert check_value(annotation, value) is fits


def _function(source: str) -> dict:
    return derive_api_schema(source)["functions"][0]


def test_arguments_must_fit_the_function():
    add = _function("def add(x: int, y: int = 1) -> int: ...")
    assert bind_arguments(add, {"x": 2}) == {"x": 2}
    for args, message in [
        ([1, 2], "JSON object"),
        ({}, "missing required 'x'"),
        ({"x": 1, "z": 3}, "no parameter 'z'"),
        ({"x": "one"}, "parameter 'x' should be int"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            bind_arguments(add, args)
    flexible = _function("def f(x, **extra): ...")
    assert bind_arguments(flexible, {"x": 1, "anything": 2}) == {"x": 1, "anything": 2}
    with pytest.raises(InvalidInput, match="positional-only"):
        bind_arguments(_function("def g(x, /): ..."), {"x": 1})


def test_tokens_are_hashed_at_rest_and_authenticate_their_user(migrated_db):
    with db.session_scope() as session:
        ada = users.add_user_in(session, name="Ada", email="ada@example.com")
        plain, token = tokens.create_token_in(session, email="ada@example.com", name="laptop")
    assert plain.startswith("dob_") and len(plain) > 40
    with db.session_scope() as session:
        stored = session.get(ApiToken, token.id)
        assert plain not in (stored.token_hash, stored.prefix)
        assert tokens.authenticate(session, f"Bearer {plain}").id == ada.id
        assert session.get(ApiToken, token.id).last_used_at is not None
        for header in (None, "", plain, f"Basic {plain}", "Bearer ", f"Bearer {plain}x"):
            assert tokens.authenticate(session, header) is None
    with pytest.raises(NotFound), db.session_scope() as session:
        tokens.create_token_in(session, email="nobody@example.com")


def _make_object(slug: str = "counter") -> int:
    with db.session_scope() as session:
        store.create_object_in(
            session, slug=slug, name="Counter", files={"main.py": "def f(): ..."}, actor=ACTOR
        )
        return store.get_object(session, slug).id


def test_storage_writes_apply_in_order_and_later_writes_win(migrated_db):
    object_id = _make_object()
    with db.session_scope() as session:
        state.apply_writes(
            session,
            object_id,
            [
                {"op": "put", "key": "a", "value": 1},
                {"op": "put", "key": "b", "value": {"nested": [1, 2]}},
                {"op": "delete", "key": "a"},
                {"op": "put", "key": "c", "value": None},
            ],
        )
    with db.session_scope() as session:
        assert state.load(session, object_id) == {"b": {"nested": [1, 2]}, "c": None}
        state.apply_writes(
            session,
            object_id,
            [{"op": "delete", "key": "b"}, {"op": "put", "key": "b", "value": "again"}],
        )
    with db.session_scope() as session:
        assert state.load(session, object_id) == {"b": "again", "c": None}


def test_object_lock_serialises_read_modify_write(migrated_db):
    """Without the lock, concurrent increments would lose updates."""
    object_id = _make_object()

    def increment() -> None:
        with object_lock(object_id), db.session_scope() as session:
            count = state.load(session, object_id).get("count", 0)
            state.apply_writes(
                session, object_id, [{"op": "put", "key": "count", "value": count + 1}]
            )

    threads = [threading.Thread(target=increment) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with db.session_scope() as session:
        assert state.load(session, object_id) == {"count": 20}
