"""Deployed objects over HTTP: status codes, durable storage, deploys and rollback.

A real uvicorn server serves the product's API (the same Starlette routes the Reflex app
mounts) and httpx calls it, so concurrency goes through real sockets and threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import select

from backend import db
from backend.access.audit import Actor
from backend.accounts import tokens, users
from backend.enums import DeploymentStatus, EventName
from backend.models import Deployment, Event
from backend.objects import deploy, state, store
from tests.support.api_server import serve_api
from tests.support.deploying import deploy_now

ADMIN = Actor.operator("ops@example.com")

COUNTER = '''
from storage import get, put


def increment(by: int = 1) -> int:
    """Add `by` to the count and return the new count."""
    count = get("count", 0) + by
    put("count", count)
    return count


def explode(message: str) -> None:
    put("count", -1000)
    raise ValueError(message)


def echo(value):
    return value
'''
COUNTER_TESTS = """
from main import echo


def test_echo():
    assert echo([1, "a"]) == [1, "a"]
"""


@pytest.fixture
def server(migrated_db) -> Iterator[str]:
    """The API on a free local port, for the length of one test."""
    with serve_api() as url:
        yield url


def _create(slug: str = "counter", files: dict[str, str] | None = None, public: bool = True):
    with db.session_scope() as session:
        store.create_object_in(
            session,
            slug=slug,
            name=slug.title(),
            files=files or {"main.py": COUNTER, "test_main.py": COUNTER_TESTS},
            actor=ADMIN,
        )
        if public:
            store.set_visibility_in(session, slug, public=True, actor=ADMIN)


def _edit(slug: str, files: dict[str, str]) -> int:
    with db.session_scope() as session:
        return store.edit_object(session, slug, files=files, actor=ADMIN).number


def _storage(slug: str) -> dict:
    with db.session_scope() as session:
        return state.load(session, store.get_object(session, slug).id)


def test_calls_answer_with_the_right_status_codes(server):
    _create()
    assert deploy_now("counter", actor=ADMIN).status == DeploymentStatus.LIVE
    _create("draft-only")
    base = f"{server}/api/objects"
    with httpx.Client(timeout=30) as client:
        ok = client.post(f"{base}/counter/increment", json={"by": 2})
        assert (ok.status_code, ok.json()) == (200, {"result": 2})
        assert client.post(f"{base}/counter/increment").json() == {"result": 3}

        assert client.post(f"{base}/nope/increment", json={}).status_code == 404
        undeployed = client.post(f"{base}/draft-only/increment", json={})
        assert undeployed.status_code == 404 and "not deployed" in undeployed.json()["error"]
        missing = client.post(f"{base}/counter/_private_or_missing", json={})
        assert missing.status_code == 404 and "no function" in missing.json()["error"]

        malformed = client.post(
            f"{base}/counter/increment",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["error"]
        wrong_type = client.post(f"{base}/counter/increment", json={"by": "two"})
        assert wrong_type.status_code == 400 and "should be int" in wrong_type.json()["error"]
        unknown = client.post(f"{base}/counter/increment", json={"by": 1, "x": 2})
        assert unknown.status_code == 400 and "no parameter 'x'" in unknown.json()["error"]
        not_object = client.post(f"{base}/counter/increment", json=[1])
        assert not_object.status_code == 400

        raised = client.post(f"{base}/counter/explode", json={"message": "boom"})
        assert raised.status_code == 422
        body = raised.json()
        assert (body["error"], body["type"], body["message"]) == ("error", "ValueError", "boom")
        assert "Traceback" not in raised.text and "/work" not in raised.text

        huge = client.post(
            f"{base}/counter/echo", content=b'{"value": "' + b"x" * 2_000_000 + b'"}'
        )
        assert huge.status_code == 413
    assert _storage("counter") == {"count": 3}, "the failing call's write must be discarded"


def test_private_objects_need_a_fitting_token(server):
    _create(public=False)
    deploy_now("counter", actor=ADMIN)
    with db.session_scope() as session:
        owner = users.add_user_in(session, name="Owner", email="owner@example.com")
        users.add_user_in(session, name="Other", email="other@example.com")
        store.get_object(session, "counter").owner_id = owner.id
        owner_token, _ = tokens.create_token_in(session, email="owner@example.com")
        other_token, _ = tokens.create_token_in(session, email="other@example.com")
    url = f"{server}/api/objects/counter/increment"
    with httpx.Client(timeout=30) as client:
        anonymous = client.post(url, json={})
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert anonymous.json()["error"] == (
            "object counter is private: send 'Authorization: Bearer <token>' with an API token"
        )
        forged = client.post(url, json={}, headers={"Authorization": "Bearer dob_forged"})
        assert forged.status_code == 401
        assert forged.json()["error"] == "the API token is not valid (unknown or revoked)"
        other = client.post(url, json={}, headers={"Authorization": f"Bearer {other_token}"})
        assert other.status_code == 403
        mine = client.post(url, json={}, headers={"Authorization": f"Bearer {owner_token}"})
        assert (mine.status_code, mine.json()) == (200, {"result": 1})
    assert _storage("counter") == {"count": 1}


def test_a_stranger_learns_nothing_about_a_private_object(server):
    """Access is checked first: unknown functions, bad arguments and bodies answer like a
    real call would without a token, so the functions and the version stay unknown."""
    _create(public=False)
    deploy_now("counter", actor=ADMIN)
    base = f"{server}/api/objects/counter"
    tries = {
        "a real function": dict(url=f"{base}/increment", json={}),
        "an unknown function": dict(url=f"{base}/nosuch", json={}),
        "a private name": dict(url=f"{base}/_private", json={}),
        "wrong arguments": dict(url=f"{base}/increment", json={"by": "two", "x": 1}),
        "a body that is not JSON": dict(url=f"{base}/increment", content=b"{oops"),
    }
    for headers in ({}, {"Authorization": "Bearer dob_forged"}, {"Authorization": "Basic x"}):
        with httpx.Client(timeout=30, headers=headers) as client:
            answers = {what: client.post(**call) for what, call in tries.items()}
        statuses = {what: answer.status_code for what, answer in answers.items()}
        bodies = {answer.text for answer in answers.values()}
        assert set(statuses.values()) == {401}, (headers, statuses)
        assert len(bodies) == 1, f"the answers must not differ: {bodies}"
        assert "v1" not in bodies.pop() and "nosuch" not in answers["an unknown function"].text
    # A missing token, a bad token and a header that is no bearer token are told apart.
    with httpx.Client(timeout=30) as client:
        said = {
            client.post(f"{base}/nosuch", json={}, headers=headers).json()["error"]
            for headers in ({}, {"Authorization": "Bearer dob_x"}, {"Authorization": "Basic x"})
        }
    assert len(said) == 3
    # Unknown objects answer 404; a public object with a bad token is refused too.
    _create("open")
    deploy_now("open", actor=ADMIN)
    with httpx.Client(timeout=30) as client:
        assert client.post(f"{server}/api/objects/nope/f", json={}).status_code == 404
        bad = client.post(
            f"{server}/api/objects/open/increment", headers={"Authorization": "Bearer dob_x"}
        )
        assert bad.status_code == 401
        assert client.post(f"{server}/api/objects/open/increment").json() == {"result": 1}


def test_api_paths_answer_json_for_wrong_methods_and_unknown_paths(server):
    with httpx.Client(timeout=30) as client:
        for method, path, allow in (
            ("GET", "/api/objects/counter/increment", "POST"),
            ("PUT", "/api/objects/counter/increment", "POST"),
            ("DELETE", "/api/manage/objects/counter", "GET, HEAD"),
            ("POST", "/api/health", "GET, HEAD"),
            ("GET", "/api/manage/objects/counter/deploy", "POST"),
        ):
            answer = client.request(method, server + path)
            assert answer.status_code == 405, (method, path)
            assert answer.headers["allow"] == allow
            assert answer.headers["content-type"] == "application/json"
            assert f"does not answer {method}" in answer.json()["error"]
        for path in ("/api", "/api/", "/api/nothing", "/api/objects/x", "/api/manage/tasks/x"):
            answer = client.get(server + path)
            assert answer.status_code == 404, path
            assert answer.json() == {"error": f"no API route {path}"}


def test_concurrent_increments_are_never_lost(server):
    _create()
    deploy_now("counter", actor=ADMIN)

    url = f"{server}/api/objects/counter/increment"

    def one_call(_: int) -> httpx.Response:
        # Threads, not asyncio: the browser tests leave an event loop running in this thread.
        with httpx.Client(timeout=120) as client:
            return client.post(url, json={})

    with ThreadPoolExecutor(max_workers=100) as pool:
        responses = list(pool.map(one_call, range(100)))
    assert {r.status_code for r in responses} == {200}
    assert sorted(r.json()["result"] for r in responses) == list(range(1, 101))
    assert _storage("counter") == {"count": 100}


def test_failed_deploy_keeps_the_live_version_serving(server):
    _create()
    first = deploy_now("counter", actor=ADMIN)
    broken_tests = COUNTER_TESTS.replace('[1, "a"]) == [1, "a"]', "1) == 2")
    _edit("counter", {"main.py": COUNTER, "test_main.py": broken_tests})
    failed = deploy_now("counter", actor=ADMIN)
    assert failed.status == DeploymentStatus.FAILED
    assert "FAIL test_main.py::test_echo" in failed.logs and "AssertionError" in failed.logs

    _edit("counter", {"main.py": "def increment(:\n", "test_main.py": COUNTER_TESTS})
    syntax = deploy_now("counter", actor=ADMIN)
    assert syntax.status == DeploymentStatus.FAILED
    assert syntax.logs.startswith("syntax error: main.py line 1")

    with db.session_scope() as session:
        obj = store.get_object(session, "counter")
        assert (obj.status, obj.deployed_version, obj.current_version) == ("deployed", 1, 3)
        assert session.get(Deployment, first.id).status == DeploymentStatus.LIVE
        deploys = [EventName.OBJECT_DEPLOYED, EventName.DEPLOYMENT_FAILED]
        names = session.exec(
            select(Event.name).where(Event.name.in_(deploys)).order_by(Event.id)
        ).all()
    assert names == [
        EventName.OBJECT_DEPLOYED,
        EventName.DEPLOYMENT_FAILED,
        EventName.DEPLOYMENT_FAILED,
    ]
    with httpx.Client(timeout=30) as client:
        still = client.post(f"{server}/api/objects/counter/increment", json={})
    assert still.json() == {"result": 1}


def test_a_never_deployed_object_that_fails_is_marked_failed(migrated_db):
    _create(files={"main.py": "raise RuntimeError('no import for you')\n"})
    failed = deploy_now("counter", actor=ADMIN)
    assert failed.status == DeploymentStatus.FAILED
    assert "import failed" in failed.logs and "no import for you" in failed.logs
    with db.session_scope() as session:
        obj = store.get_object(session, "counter")
    assert (obj.status, obj.deployed_version) == ("failed", None)


def test_deploying_a_new_version_and_rolling_back(server):
    _create()
    deploy_now("counter", actor=ADMIN)
    doubled = COUNTER.replace('get("count", 0) + by', 'get("count", 0) + 2 * by')
    _edit("counter", {"main.py": doubled, "test_main.py": COUNTER_TESTS})
    second = deploy_now("counter", actor=ADMIN)
    url = f"{server}/api/objects/counter/increment"
    with httpx.Client(timeout=30) as client:
        assert client.post(url, json={}).json() == {"result": 2}
        rolled = deploy_now("counter", actor=ADMIN, number=1, restore=True)
        assert rolled.status == DeploymentStatus.LIVE
        assert client.post(url, json={}).json() == {"result": 3}, "storage survives deploys"
    with db.session_scope() as session:
        obj = store.get_object(session, "counter")
        assert (obj.deployed_version, obj.current_version) == (3, 3)
        assert (
            store.get_version(session, "counter", 3).files
            == store.get_version(session, "counter", 1).files
        )
        history = [(d.id, d.status) for d in deploy.list_deployments(session, "counter")]
    assert history[0] == (rolled.id, DeploymentStatus.LIVE)
    assert (second.id, DeploymentStatus.ROLLED_BACK) in history
    assert sum(status == DeploymentStatus.SUPERSEDED for _, status in history) == 1


def test_signed_in_people_call_under_the_same_access_rule(migrated_db):
    _create(public=False)
    deploy_now("counter", actor=ADMIN)
    with db.session_scope() as session:
        owner = users.add_user_in(session, name="Owner", email="owner@example.com")
        other = users.add_user_in(session, name="Other", email="other@example.com")
        store.get_object(session, "counter").owner_id = owner.id
    from backend.objects import runtime

    assert runtime.call_as("counter", "increment", {}, user_id=owner.id) == 1
    with pytest.raises(runtime.Forbidden):
        runtime.call_as("counter", "increment", {}, user_id=other.id)
    assert _storage("counter") == {"count": 1}
