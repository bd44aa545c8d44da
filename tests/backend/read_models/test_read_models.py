"""The read models every door shows: one object's page, a modification, tasks."""

from __future__ import annotations

from backend import db
from backend.access import audit
from backend.enums import ModificationStatus, TaskStatus
from backend.models import Evaluation, Modification, Task
from backend.objects import store
from backend.objects.diff import diff_files
from backend.read_models import modifications, object_page, tasks

V1 = 'def greet(name: str = "you") -> str:\n    return "hi " + name\n'
V2 = 'def greet(name: str = "you") -> str:\n    return "hello " + name\n'


def _greeter_at_v2() -> None:
    with db.session_scope() as session:
        store.create_object_in(
            session, slug="greeter", name="Greeter", files={"main.py": V1}, actor=audit.SYSTEM
        )
    with db.session_scope() as session:
        store.edit_object(
            session, "greeter", files={"main.py": V2}, actor=audit.SYSTEM, message="hello"
        )


def test_object_snapshot_has_versions_newest_first_and_the_newest_change(migrated_db):
    _greeter_at_v2()
    snap = object_page.read_object("greeter")
    assert (snap.slug, snap.current_version, snap.deployed_version) == ("greeter", 2, 0)
    assert snap.files == {"main.py": V2}
    assert [v.number for v in snap.versions] == [2, 1]
    assert snap.versions[0].message == "hello"
    assert snap.versions[0].api == "greet(name: str = 'you') -> str"
    assert snap.versions[0].created.endswith(" UTC")
    (change,) = snap.latest_change
    assert (change.path, change.old, change.new) == ("main.py", V1, V2)
    assert snap.latest_change == object_page.file_changes("greeter", 1, 2)
    # Nothing is deployed: the console offers no function yet.
    assert snap.console == object_page.ConsoleView() == object_page.read_console("greeter")


def test_function_examples_come_from_defaults_then_types():
    schema = {
        "functions": [
            {
                "name": "add",
                "returns": "int",
                "params": [
                    {
                        "name": "x",
                        "kind": "positional_or_keyword",
                        "annotation": "int",
                        "default": None,
                    },
                    {"name": "more", "kind": "var_positional", "annotation": "", "default": None},
                    {"name": "y", "kind": "keyword_only", "annotation": "int", "default": "2"},
                    {"name": "z", "kind": "keyword_only", "annotation": "", "default": "'a'"},
                ],
            }
        ]
    }
    (spec,) = object_page.function_specs(schema)
    assert spec.name == "add"
    assert spec.example == '{\n  "x": 1,\n  "y": 2,\n  "z": "a"\n}'


def test_latest_modification_in_full(migrated_db):
    _greeter_at_v2()
    assert object_page.last_log_line("ok\ntests failed: 1\n") == "tests failed: 1"
    assert modifications.read_latest_modification("greeter") == modifications.ModificationDetail()
    with db.session_scope() as session:
        obj = store.get_object(session, "greeter")
        base = store.get_version(session, "greeter", 2)
        modification = Modification(
            slug="greeter",
            object_id=obj.id,
            base_version_id=base.id,
            prompt="shout",
            plan={"summary": "Upper-case it", "steps": ["upper()"]},
            proposed_files={"main.py": V2.replace('"hello "', '"HELLO "')},
            attempts=1,
            status=ModificationStatus.AWAITING_APPROVAL,
        )
        session.add(modification)
        session.flush()
        session.add(
            Evaluation(
                modification_id=modification.id,
                attempt=1,
                verdict="accept",
                overall_score=0.9,
            )
        )
    detail = modifications.read_latest_modification("greeter")
    view = detail.modification
    assert (view.status, view.prompt, view.plan_steps) == (
        "awaiting_approval",
        "shout",
        ["upper()"],
    )
    assert (view.base_version, view.result_version) == (2, 0)
    assert [(a.attempt, a.verdict, a.overall) for a in detail.attempts] == [(1, "accept", "0.90")]
    (change,) = detail.proposed
    assert (change.path, change.old) == ("main.py", V2)
    assert '"HELLO "' in change.new


def test_task_rows_show_the_error_line_of_a_failed_task(migrated_db):
    with db.session_scope() as session:
        session.add(Task(kind="pipeline.run", message="planning", progress=10))
        session.add(
            Task(kind="deploy", status=TaskStatus.FAILED, error="boom\ntraceback", progress=50)
        )
    failed, running = tasks.read_tasks()
    assert (failed.kind, failed.status, failed.message) == ("deploy", "failed", "boom")
    assert (running.kind, running.message, running.progress) == ("pipeline.run", "planning", 10)
    assert [t.kind for t in tasks.read_tasks(status="failed")] == ["deploy"]
    with db.session_scope() as session:
        assert [t.kind for t in tasks.open_task_rows(session)] == ["pipeline.run"]


def _row(version: int, status: str) -> object_page.DeploymentRow:
    return object_page.DeploymentRow(
        id=version, version=version, status=status, deployed_by="", created="", logs=""
    )


def test_the_version_line_tells_live_and_latest_apart():
    line = object_page.version_line
    assert line(6, 5, [_row(6, "failed"), _row(5, "live")]) == (
        "live v5 · latest v6, its deploy failed"
    )
    assert line(6, 6, [_row(6, "live"), _row(6, "failed")]) == "live v6, the latest"
    assert line(6, 5, [_row(5, "live")]) == "live v5 · latest v6, not deployed"
    assert line(2, 0, [_row(2, "testing")]) == "nothing live · latest v2, being deployed"
    assert line(1, 0, []) == "nothing live · latest v1, not deployed"


def test_the_snapshot_says_how_to_call_the_live_version(migrated_db):
    _greeter_at_v2()
    snap = object_page.read_object("greeter")
    assert (snap.is_public, snap.owner_id) == (False, 0)
    assert snap.http.endpoints == []  # nothing live
    assert snap.http.base_url == "http://localhost:3000"
    with db.session_scope() as session:
        store.get_object(session, "greeter").deployed_version = 2
    http = object_page.read_object("greeter").http
    (endpoint,) = http.endpoints
    assert endpoint.url == "http://localhost:3000/api/objects/greeter/greet"
    assert http.openapi_url == "http://localhost:3000/api/objects/greeter/openapi.json"
    assert endpoint.curl == (
        "curl -X POST http://localhost:3000/api/objects/greeter/greet \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        '  -H "Authorization: Bearer $DOB_TOKEN" \\\n'
        """  -d '{"name": "you"}'"""
    )
    with db.session_scope() as session:
        store.set_visibility_in(session, "greeter", public=True, actor=audit.SYSTEM)
    assert "Authorization" not in object_page.read_object("greeter").http.endpoints[0].curl


def test_a_whitespace_only_change_is_said_so():
    changes = object_page.changes_between(
        diff_files({"a.py": "x = 1\n", "b.py": "y = 1\n"}, {"a.py": "x = 1  \n", "b.py": "y=2\n"}),
        {"a.py": "x = 1\n", "b.py": "y = 1\n"},
        {"a.py": "x = 1  \n", "b.py": "y=2\n"},
    )
    assert [(c.path, c.whitespace_only) for c in changes] == [("a.py", True), ("b.py", False)]
