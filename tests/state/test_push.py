"""state.push without a browser: the registry of watching tabs in Redis, and the pushers that
merge bursts of changes (the pushes themselves are watched in Chromium, in
tests/web/push)."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from state import push

REGISTRY_REDIS_URL = os.environ.get("TEST_REGISTRY_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """The registry on its own Redis database, emptied before and after."""
    client = redis.Redis.from_url(REGISTRY_REDIS_URL, socket_connect_timeout=2)
    try:
        client.delete(push.WATCHERS_KEY)
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    monkeypatch.setattr(push, "_redis", lambda: client)
    yield client
    client.delete(push.WATCHERS_KEY)


def test_tabs_are_found_by_the_tables_they_read(registry: redis.Redis) -> None:
    push.register("tab-1", "state.dashboard", {"task", "event"}, ttl=60)
    push.register("tab-2", "state.modify", {"modification", "evaluation"}, ttl=60)
    push.register("tab-2", "state.dashboard", {"task"}, ttl=60)

    assert sorted(push.watchers({"task"})) == [
        ("tab-1", "state.dashboard"),
        ("tab-2", "state.dashboard"),
    ]
    assert push.watchers({"evaluation", "user"}) == [("tab-2", "state.modify")]
    assert push.watchers({"user"}) == []

    push.unregister("tab-1", "state.dashboard")
    assert push.watchers({"task"}) == [("tab-2", "state.dashboard")]


def test_an_expired_registration_is_dropped(registry: redis.Redis) -> None:
    push.register("gone", "state.dashboard", {"task"}, ttl=-1)
    push.register("here", "state.dashboard", {"task"}, ttl=60)
    assert push.watchers({"task"}) == [("here", "state.dashboard")]
    assert registry.hlen(push.WATCHERS_KEY) == 1


def test_a_renewed_registration_replaces_the_old_one(registry: redis.Redis) -> None:
    push.register("tab", "state.history", {"task"}, ttl=60)
    push.register("tab", "state.history", {"event"}, ttl=60)
    assert push.watchers({"task"}) == []
    assert push.watchers({"event"}) == [("tab", "state.history")]


def test_push_is_enabled_only_with_a_reflex_redis_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(push, "_redis", lambda: None)
    assert not push.enabled()


# --- pushers ---------------------------------------------------------------------------------


class _Recorder:
    """Stands in for `push.push`: records each batch, and can hold one batch until released."""

    def __init__(self) -> None:
        self.batches: list[frozenset[str]] = []
        self.threads: set[int] = set()
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()

    async def __call__(self, app: object, tables: frozenset[str]) -> int:
        self.threads.add(threading.get_ident())
        self.entered.set()
        while not self.release.is_set():
            await asyncio.sleep(0.01)
        self.batches.append(tables)
        return 0


def _wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_thread_pusher_merges_a_burst_into_one_push(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(push, "push", recorder)
    pusher = push.ThreadPusher(lambda: "the app")

    recorder.release.clear()
    pusher(frozenset({"task"}))
    _wait_for(recorder.entered.is_set)  # the first push is under way and held
    pusher(frozenset({"task"}))
    pusher(frozenset({"event"}))
    pusher(frozenset({"modification"}))
    recorder.release.set()

    _wait_for(lambda: len(recorder.batches) == 2)
    assert recorder.batches == [frozenset({"task"}), frozenset({"task", "event", "modification"})]
    assert threading.get_ident() not in recorder.threads  # pushed from the pusher's thread
    assert len(recorder.threads) == 1


def test_a_thread_pusher_without_an_app_stops_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    unheard: list[object] = []
    monkeypatch.setattr(push.changes, "unlisten", unheard.append)

    def no_app() -> object:
        raise RuntimeError("no rxconfig.py here")

    pusher = push.ThreadPusher(no_app)
    pusher.start()
    _wait_for(lambda: unheard == [pusher])


def test_the_loop_pusher_pushes_on_its_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(push, "push", recorder)

    async def scenario() -> None:
        pusher = push.LoopPusher("the app", asyncio.get_running_loop())
        # Commits happen in worker threads of the web app (asyncio.to_thread).
        await asyncio.gather(
            asyncio.to_thread(pusher, frozenset({"task"})),
            asyncio.to_thread(pusher, frozenset({"event"})),
        )
        for _ in range(100):
            if sum(len(batch) for batch in recorder.batches) == 2:
                break
            await asyncio.sleep(0.01)

    loop_thread: list[int] = []

    async def main() -> None:
        loop_thread.append(threading.get_ident())
        await scenario()

    # A thread of its own: this one may already run a loop (Playwright's, in a full run).
    runner = threading.Thread(target=asyncio.run, args=(main(),))
    runner.start()
    runner.join(timeout=10)
    assert frozenset().union(*recorder.batches) == {"task", "event"}
    assert recorder.threads == set(loop_thread)
