"""Who may do what (backend.access.permissions), refused the same way through the CLI and HTTP.

Three people: Ada, an admin; Bob, a member who owns the object `bobs` and asked for its
waiting change; Cy, another member. Each door shows the backend's refusal in its own form
(CLI: exit 2 and one line; HTTP: 403) and changes nothing. The web door is covered in
tests/web (a member's refusal shown in the page).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import func, select

import cli.main as cli
from backend import db
from backend.access.audit import Actor
from backend.access.permissions import (
    Permission,
    PermissionDenied,
    allowed,
    only_user_id,
    refusal,
    require,
)
from backend.accounts import tokens, users
from backend.background import jobs
from backend.enums import Channel, JobKind, Role, TaskStatus
from backend.models import AuditEntry
from backend.objects import store
from tests.support.api_server import serve_api
from tests.support.factories import waiting_modification
from tests.support.llm_scenarios import MAIN, TESTS

OPERATOR = Actor.operator("ops")
ADMIN = Actor(name="ada@example.com", channel=Channel.WEB, user_id=1, role=Role.ADMIN)
OWNER = Actor(name="bob@example.com", channel=Channel.SMS, user_id=2, role=Role.MEMBER)
OTHER = Actor(name="cy@example.com", channel=Channel.API, user_id=3, role=Role.MEMBER)
NOBODY = Actor(name="anonymous", channel=Channel.WEB)
MINE = {"owner_id": 2, "requester_id": 2}


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("permission", list(Permission))
def test_operator_system_and_admins_may_do_everything(permission):
    for actor in (OPERATOR, ADMIN, Actor(name="system", channel=Channel.SYSTEM, role=Role.SYSTEM)):
        assert allowed(actor, permission, **MINE)


@pytest.mark.parametrize("permission", list(Permission))
def test_nobody_signed_in_may_do_nothing(permission):
    assert "log in first" in refusal(NOBODY, permission, **MINE)


@pytest.mark.parametrize(
    ("permission", "owner", "other"),
    [
        (Permission.EDIT, True, True),
        (Permission.DEPLOY, False, False),
        (Permission.ROLLBACK, False, False),
        (Permission.APPROVE, False, False),
        (Permission.LIMITS, False, False),
        (Permission.USER_ADMIN, False, False),
        (Permission.EVENT_SOURCES, False, False),
        (Permission.SEE_EVERYONE, False, False),
        (Permission.REJECT, True, False),
        (Permission.RESUME, True, False),
        (Permission.VISIBILITY, True, False),
        (Permission.AUTO_APPLY, True, False),
        (Permission.AUTO_ROLLBACK, True, False),
    ],
)
def test_members_rights_depend_on_whose_it_is(permission, owner, other):
    assert allowed(OWNER, permission, **MINE) is owner
    assert allowed(OTHER, permission, **MINE) is other


def test_members_see_their_own_records_and_admins_everybodys():
    assert only_user_id(OWNER) == OWNER.user_id
    assert only_user_id(NOBODY) == 0  # nobody's: no person has id 0
    assert only_user_id(ADMIN) is None and only_user_id(OPERATOR) is None


def test_tokens_for_oneself_only():
    assert allowed(OWNER, Permission.TOKENS, subject_user_id=2)
    assert not allowed(OWNER, Permission.TOKENS, subject_user_id=3)
    refused = r"^Only an admin can deploy objects \(cy@example.com is a member\)$"
    with pytest.raises(PermissionDenied, match=refused):
        require(OTHER, Permission.DEPLOY)


# --- the doors ----------------------------------------------------------------------------


@pytest.fixture
def people(migrated_db) -> dict[str, str]:
    """Ada (admin), Bob (owner of `bobs`, asked for modification 1), Cy; their API tokens."""
    with db.session_scope() as session:
        ada = users.add_user_in(session, name="Ada", email="ada@example.com", is_admin=True)
        bob = users.add_user_in(session, name="Bob", email="bob@example.com")
        users.add_user_in(session, name="Cy", email="cy@example.com")
        store.create_object_in(
            session,
            slug="bobs",
            name="Bob's",
            files={"main.py": MAIN, "test_main.py": TESTS},
            actor=OPERATOR,
            owner_id=bob.id,
        )
        store.edit_object(session, "bobs", files={"main.py": MAIN + "\n"}, actor=OPERATOR)
        waiting_modification(session, "bobs", {"main.py": MAIN + "\n\n"}, requested_by_id=bob.id)
        plain = {
            person: tokens.create_token_in(session, email=f"{person}@example.com")[0]
            for person in ("ada", "bob", "cy")
        }
        assert ada.id and plain
    return plain


def _audit_count() -> int:
    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


#: (arguments, who is refused, who may): each refusal must change nothing.
CLI_CASES = [
    (["objects", "deploy", "bobs"], ["bob", "cy"], "ada"),
    (["objects", "rollback", "bobs", "1"], ["bob", "cy"], "ada"),
    (["objects", "limits", "bobs", "wall_seconds=2"], ["bob", "cy"], "ada"),
    (["objects", "visibility", "bobs", "public"], ["cy"], "bob"),
    (["objects", "auto-apply", "bobs", "on"], ["cy"], "bob"),
    (["modifications", "reject", "1", "--reason", "no"], ["cy"], "bob"),
    (["modifications", "approve", "1"], ["bob", "cy"], "ada"),
    (["tokens", "create", "--user", "cy@example.com"], ["bob"], "cy"),
    (["users", "add", "--name", "Dee", "--email", "dee@example.com"], ["bob", "cy"], "ada"),
]


@pytest.mark.parametrize(("args", "refused", "permitted"), CLI_CASES, ids=lambda v: str(v))
def test_cli_refuses_with_exit_2_and_one_line(people, capsys, args, refused, permitted):
    for person in refused:
        before = _audit_count()
        assert cli.main([*args, "--as", f"{person}@example.com"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("error: ")
        assert err.startswith("error: Only ")
        assert f"({person}@example.com is a member)" in err
        assert _audit_count() == before, "a refusal changes nothing"
    assert cli.main([*args, "--as", f"{permitted}@example.com"]) == 0, capsys.readouterr().err


def test_cli_without_as_is_the_operator_with_every_right(people, capsys):
    assert cli.main(["objects", "visibility", "bobs", "public"]) == 0
    assert capsys.readouterr().out == "bobs is now public\n"
    assert cli.main(["modifications", "approve", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "applied"


@pytest.fixture
def api(people) -> Iterator[str]:
    with serve_api() as url:
        yield f"{url}/api/manage"


HTTP_CASES = [
    ("/objects/bobs/visibility", {"public": True}, ["cy"], "bob", 200),
    ("/modifications/1/reject", {"reason": "no"}, ["cy"], "bob", 200),
    ("/objects/bobs/rollback", {"version": 1}, ["bob", "cy"], "ada", 202),  # a deploy job
]


@pytest.mark.parametrize(("path", "body", "refused", "permitted", "done"), HTTP_CASES, ids=str)
def test_http_refuses_with_403(people, api, path, body, refused, permitted, done):
    with httpx.Client(base_url=api, timeout=60) as client:
        for person in refused:
            before = _audit_count()
            answer = client.post(path, json=body, headers=_bearer(people[person]))
            assert answer.status_code == 403, answer.text
            assert answer.json()["error"].startswith("Only ")
            assert f"({person}@example.com is a member)" in answer.json()["error"]
            assert _audit_count() == before
        answer = client.post(path, json=body, headers=_bearer(people[permitted]))
        assert answer.status_code == done, answer.text


def test_http_deploy_and_approve_are_for_admins(people, api):
    with httpx.Client(base_url=api, timeout=60) as client:
        for person in ("bob", "cy"):
            refused = client.post("/objects/bobs/deploy", json={}, headers=_bearer(people[person]))
            assert refused.status_code == 403
            refused = client.post("/modifications/1/approve", headers=_bearer(people[person]))
            assert refused.status_code == 403
        approved = client.post(
            "/modifications/1/approve", json={"deploy": True}, headers=_bearer(people["ada"])
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "applied"
        job = approved.json()["deploy_task"]
        assert (job["kind"], job["status"]) == (JobKind.OBJECT_DEPLOY, TaskStatus.PENDING)
        jobs.run_here(job["id"])  # as a worker would (none runs here)
        done = client.get(f"/tasks/{job['id']}", headers=_bearer(people["ada"])).json()
        assert (done["status"], done["result"]["status"]) == ("succeeded", "live")
        shown = client.get("/objects/bobs", headers=_bearer(people["cy"])).json()
        assert shown["deployed_version"] == 3  # reading needs no special right


def test_http_deploy_answers_202_with_the_job_to_follow(people, api):
    admin = _bearer(people["ada"])
    with httpx.Client(base_url=api, timeout=60) as client:
        asked = client.post("/objects/bobs/deploy", json={"version": 1}, headers=admin)
        assert asked.status_code == 202, asked.text
        job = asked.json()
        assert (job["kind"], job["status"], job["result"]) == (
            JobKind.OBJECT_DEPLOY,
            TaskStatus.PENDING,
            None,
        )
        assert asked.headers["location"] == f"/api/manage/tasks/{job['id']}"
        waiting = client.get(f"/tasks/{job['id']}", headers=admin).json()
        assert waiting["status"] == TaskStatus.PENDING
        jobs.run_here(job["id"])  # as a worker would (none runs here)
        done = client.get(f"/tasks/{job['id']}", headers=admin).json()
    assert done["status"] == TaskStatus.SUCCEEDED
    assert (done["result"]["status"], done["result"]["version"]) == ("live", 1)
    assert "PASS" in done["result"]["logs"]
    with db.session_scope() as session:
        assert store.get_object(session, "bobs").deployed_version == 1


def test_http_without_a_token_or_with_a_bad_one_is_401_with_different_messages(people, api):
    with httpx.Client(base_url=api, timeout=30) as client:
        missing = client.get("/objects")
        bad = client.get("/objects", headers=_bearer("dob_not-a-token"))
    assert missing.status_code == bad.status_code == 401
    assert missing.json()["error"] != bad.json()["error"]
    assert "not valid" in bad.json()["error"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_cli_as_before_the_command_name_counts_too(people, capsys):
    """`--as` and `--json` work on either side of the command's name (a subcommand's own
    defaults must not undo them)."""
    assert cli.main(["--as", "bob@example.com", "objects", "deploy", "bobs"]) == 2
    assert "(bob@example.com is a member)" in capsys.readouterr().err
    assert cli.main(["--json", "objects", "list"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["slug"] == "bobs"
