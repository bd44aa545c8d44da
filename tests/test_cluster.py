"""The product as README's "Running several processes" runs it: the Procfile's two web
processes and two workers (one with beat) on PostgreSQL and a Redis of their own, with an
SMTP server (tests/support/cluster.py). One cluster serves the whole module.

Set-up goes through the documented command line (`python -m backend ...`): a person with an
email address, an event source's key, an email monitor on payment.failed and a public
counter object that keeps its count in durable storage.

Adding a test: take the `product` fixture; `product.cluster` has the roles
(`cluster.web_urls`, `cluster.kill("worker")` then `cluster.restart("worker")`), the Redis
(`cluster.redis.stop()`, `.start()`, `.flushall()`), the mailbox (`cluster.mailbox`) and
`cluster.cli("...")`; `product.post_event(url, event_id)` reports an event whose alert email
names `event_id` (`_emails_about`). Leave the cluster as you found it: every role running,
Redis up. A restarted web process rebuilds its pages (tens of seconds): prefer workers.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from backend.db import session_scope
from backend.enums import DeploymentStatus, TaskStatus
from backend.models import Deployment, Task
from tests.support.cluster import Cluster, procfile_commands, start_cluster

# The first test also waits for the cluster to start (a production build per web process).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

COUNTER = '''
from storage import get, put


def increment(by: int = 1) -> int:
    """Add `by` to the count and return the new count."""
    count = get("count", 0) + by
    put("count", count)
    return count
'''
#: Tests that take a while, so a deploy (which runs them first) can be caught half-way.
SLOW_TESTS = """
import time

from main import increment


def test_increment_counts():
    time.sleep(8)
    assert increment(2) == 2
"""
PERSON = "ada@example.com"
REDIS_DOWN_SECONDS = 20.0
#: How long work may take to complete once its Redis is back (the sweeper hands jobs that
#: never reached the broker to it again every JOB_SWEEP_SECONDS).
CATCH_UP_SECONDS = 90.0


@dataclass
class Product:
    """The running cluster and what the set-up made in it."""

    cluster: Cluster
    source_key: str

    def post_event(self, url: str, event_id: str) -> httpx.Response:
        """Report a payment.failed whose customer is `event_id` (its alert names it)."""
        payload = {"amount": 49.5, "currency": "USD", "customer": event_id, "reason": "declined"}
        body = {"type": "payment.failed", "id": event_id, "payload": payload}
        headers = {"Authorization": f"Bearer {self.source_key}"}
        return httpx.post(f"{url}/api/events", json=body, headers=headers, timeout=60)


def _set_up(cluster: Cluster, folder: Path, keys: list[str]) -> None:
    """What the tests need, made through the documented command line."""
    cluster.cli(f"users add --name Ada --email {PERSON} --admin")
    keys.append(json.loads(cluster.cli("--json keys create --source shop").stdout)["key"])
    cluster.cli(
        f"monitors add --user {PERSON} --event payment.failed --channel email --group-seconds 0"
    )
    counter = folder / "counter.py"
    counter.write_text(COUNTER)
    cluster.cli(f"objects create --slug counter --name Counter --file main.py={counter}")
    cluster.cli("objects visibility counter public")
    cluster.cli("objects deploy counter")
    slow = folder / "slow_main.py"
    slow.write_text(COUNTER)
    slow_tests = folder / "slow_tests.py"
    slow_tests.write_text(SLOW_TESTS)
    cluster.cli(
        f"objects create --slug slow --name Slow --file main.py={slow} "
        f"--file test_main.py={slow_tests}"
    )


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory, postgres_server: str) -> Iterator[Product]:
    folder = tmp_path_factory.mktemp("cluster")
    keys: list[str] = []
    cluster = start_cluster(
        folder,
        postgres_server,
        # The sweeper looks often, and hands the broker again a job it lost after 5 s.
        extra_env={"JOB_SWEEP_SECONDS": "2", "JOB_REPUBLISH_AFTER_SECONDS": "5"},
        when_workers_ready=lambda c: _set_up(c, folder, keys),
    )
    try:
        yield Product(cluster, keys[0])
    finally:
        cluster.stop()


def _emails_about(cluster: Cluster, event_ids: set[str]) -> dict[str, int]:
    """How many alert emails name each event of `event_ids` (`Product.post_event`)."""
    counts = dict.fromkeys(event_ids, 0)
    for message in cluster.mailbox.messages:
        for event_id in event_ids:
            if f"from {event_id} failed" in str(message["Subject"]):
                counts[event_id] += 1
    return counts


def test_the_cluster_runs_the_procfiles_commands(product: Product) -> None:
    """Two web processes on ports of their own, two workers, one of them with beat: the
    Procfile's lines, started as they are written."""
    commands = procfile_commands()
    cluster = product.cluster
    assert len(cluster.web) == 2 and len(cluster.workers) == 2
    assert [role.command for role in cluster.roles.values()] == list(commands.values())
    assert sum("--beat" in role.command for role in cluster.workers) == 1
    # All four migrated the new database at once: one applied the migrations, the others
    # waited for it and found the schema current.
    firsts = [role.log.read_text(errors="replace") for role in cluster.roles.values()]
    assert sum("run: database migrated" in log for log in firsts) == 1, cluster.logs()
    # Each worker has its own node name (no DuplicateNodenameWarning), beat runs once.
    names = set()
    for role in cluster.workers:
        log = role.log.read_text(errors="replace")
        assert "DuplicateNodenameWarning" not in log
        names.update(re.findall(r"(worker-\d+@\S+) ready", log))
    assert len(names) == 2, cluster.logs()


def test_each_web_process_serves_pages_that_talk_to_itself(product: Product) -> None:
    """Two web processes in one checkout: neither 404s, and the page code each serves opens
    its websocket on its own port (not the other's)."""
    ports = [role.port for role in product.cluster.web]
    for role in product.cluster.web:
        page = httpx.get(f"{role.url}/login/", timeout=30)
        assert page.status_code == 200
        env_asset = re.search(r"/assets/reflex-env-[^\"']+\.js", page.text)
        assert env_asset, "the page loads no reflex-env asset"
        asset = httpx.get(role.url + env_asset.group(0), timeout=30)
        assert asset.status_code == 200
        assert f"ws://localhost:{role.port}/_event" in asset.text
        for other in ports:
            if other != role.port:
                assert f":{other}/" not in asset.text


def test_concurrent_increments_across_both_web_ports_end_at_exactly_200(
    product: Product,
) -> None:
    """Calls to one object run one at a time whichever process serves them: 200 at once,
    spread over both web processes, each see a count of their own and end at 200."""
    urls = product.cluster.web_urls
    start = httpx.post(f"{urls[0]}/api/objects/counter/increment", json={"by": 0}, timeout=60)
    assert start.status_code == 200, start.text
    base = start.json()["result"]

    def one_call(number: int) -> httpx.Response:
        url = f"{urls[number % len(urls)]}/api/objects/counter/increment"
        return httpx.post(url, json={}, timeout=120)

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(one_call, range(200)))
    assert [a.status_code for a in answers if a.status_code != 200] == []
    assert sorted(a.json()["result"] - base for a in answers) == list(range(1, 201))
    for url in urls:
        final = httpx.post(f"{url}/api/objects/counter/increment", json={"by": 0}, timeout=60)
        assert final.json() == {"result": base + 200}


def test_with_redis_stopped_the_web_answers_and_the_work_completes_after(
    product: Product,
) -> None:
    """Redis (without persistence) stopped for 20 s: both web processes keep answering
    calls and events; the alerts for the events reported meanwhile go out once it is back."""
    cluster = product.cluster
    urls = cluster.web_urls
    cluster.redis.stop()
    reported: set[str] = set()
    failures: list[str] = []
    try:
        deadline = time.monotonic() + REDIS_DOWN_SECONDS
        number = 0
        while time.monotonic() < deadline:
            url = urls[number % len(urls)]
            event_id = f"redis-down-{number:03d}"
            answer = product.post_event(url, event_id)
            if answer.status_code == 202:
                reported.add(event_id)
            else:
                failures.append(f"event at {url}: {answer.status_code} {answer.text[:200]}")
            call = httpx.post(f"{url}/api/objects/counter/increment", json={}, timeout=60)
            if call.status_code != 200:
                failures.append(f"call at {url}: {call.status_code} {call.text[:200]}")
            health = httpx.get(f"{url}/api/health", timeout=60)
            if health.status_code != 200:
                failures.append(f"health at {url}: {health.status_code}")
            number += 1
            time.sleep(1)
    finally:
        cluster.redis.start()
    assert failures == [], cluster.logs()
    assert len(reported) >= 4  # at least a few events reported while it was down

    def every_alert_sent(_: object) -> bool:
        return all(_emails_about(cluster, reported).values())

    cluster.mailbox.wait_for(every_alert_sent, CATCH_UP_SECONDS)
    assert set(_emails_about(cluster, reported).values()) == {1}, "one email per event"
    # The web processes still serve pages (Reflex keeps its state in the restarted Redis).
    for url in urls:
        assert httpx.get(f"{url}/login/", timeout=30).status_code == 200


def test_a_worker_killed_with_kill_9_is_replaced_and_alerts_keep_going_out(
    product: Product,
) -> None:
    """`kill -9` of a worker (and all it started): the other one carries on at once, and the
    Procfile's command brings the killed one back under a name of its own."""
    cluster = product.cluster
    killed = cluster.roles["worker"]
    old_pid = killed.process.pid
    cluster.kill("worker")
    url = cluster.web_urls[0]
    assert product.post_event(url, "killed-while-0").status_code == 202
    cluster.mailbox.wait_for(
        lambda _: _emails_about(cluster, {"killed-while-0"})["killed-while-0"] == 1,
        CATCH_UP_SECONDS,
    )
    cluster.restart("worker")
    assert killed.process.pid != old_pid
    restarted = killed.log.read_bytes()[killed.log_start :].decode(errors="replace")
    assert f"worker-{killed.process.pid}@" in restarted
    assert product.post_event(url, "after-restart-0").status_code == 202
    cluster.mailbox.wait_for(
        lambda _: _emails_about(cluster, {"after-restart-0"})["after-restart-0"] == 1,
        CATCH_UP_SECONDS,
    )


def test_a_burst_of_300_events_across_both_ports_gives_one_email_per_event(
    product: Product,
) -> None:
    """300 event reports at once over both web processes, 50 of them repeats of others: no
    5xx, each repeat is recognised, and every event gives exactly one email."""
    cluster = product.cluster
    urls = cluster.web_urls
    unique = [f"burst-{n:03d}" for n in range(250)]
    reports = unique + unique[:50]  # 50 repeats

    def report(number: int) -> httpx.Response:
        return product.post_event(urls[number % len(urls)], reports[number])

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(report, range(len(reports))))
    statuses = [answer.status_code for answer in answers]
    assert [s for s in statuses if s >= 500] == [], [
        a.text for a in answers if a.status_code >= 500
    ]
    assert set(statuses) == {202}, [a.text for a in answers if a.status_code != 202][:5]
    event_ids: dict[str, set[int]] = {}
    for name, answer in zip(reports, answers, strict=True):
        event_ids.setdefault(name, set()).add(answer.json()["event_id"])
    assert all(len(ids) == 1 for ids in event_ids.values()), "a repeat stored a second event"
    assert sum(answer.json()["duplicate"] for answer in answers) == 50

    wanted = set(unique)
    cluster.mailbox.wait_for(
        lambda _: all(_emails_about(cluster, wanted).values()), CATCH_UP_SECONDS
    )
    assert set(_emails_about(cluster, wanted).values()) == {1}, "one email per event"


def test_a_poison_event_is_refused_and_the_next_one_still_notifies(product: Product) -> None:
    """A NUL character or a lone surrogate in an event: 400 with the reason, nothing stored;
    a good event right after it is alerted within seconds."""
    headers = {"Authorization": f"Bearer {product.source_key}", "Content-Type": "application/json"}
    for url, poison in zip(product.cluster.web_urls, ('"a\\u0000b"', '"\\ud800"'), strict=True):
        body = (
            '{"type": "payment.failed", "id": "poison", "payload": {"amount": 1, '
            f'"currency": "USD", "customer": {poison}, "reason": "declined"}}}}'
        )
        answer = httpx.post(f"{url}/api/events", content=body.encode(), headers=headers)
        assert answer.status_code == 400, answer.text
        assert 'payload["customer"] contains a' in answer.json()["error"]
    assert product.post_event(product.cluster.web_urls[0], "after-poison").status_code == 202
    product.cluster.mailbox.wait_for(
        lambda _: _emails_about(product.cluster, {"after-poison"})["after-poison"] == 1, 30
    )
    listed = json.loads(product.cluster.cli("--json events list --limit 500").stdout)
    keys = {event["idempotency_key"] for event in listed}
    assert "shop:after-poison" in keys and "shop:poison" not in keys  # nothing stored


QUEUE_EMAILS = """
import json
import tasks.dispatch  # the runner that hands jobs to the broker
from backend.channels import outbox
from backend.db import session_scope
from backend.enums import Channel, NotificationPurpose

from backend.models import Task
from sqlmodel import col, func, select

with session_scope() as session:
    before = session.exec(select(func.max(Task.id))).one() or 0
    for n in range(10):
        outbox.queue(session, channel=Channel.EMAIL, target="ada@example.com",
                     body=f"flushed {n}", subject=f"flushed-{n:02d}",
                     purpose=NotificationPurpose.ALERT)
with session_scope() as session:
    new = select(Task.id).where(col(Task.id) > before, Task.kind == "notification.send")
    print(json.dumps(list(session.exec(new))))
"""


def test_jobs_queued_when_redis_is_flushed_still_run_exactly_once(product: Product) -> None:
    """With both workers stopped, ten email jobs wait in Redis; FLUSHALL empties it. Once
    the workers are back, each job is handed to the broker again and sends its email once."""
    cluster = product.cluster
    workers = [role.name for role in cluster.workers]
    for name in workers:
        cluster.stop_role(name)
    try:
        task_ids = json.loads(cluster.python(QUEUE_EMAILS))
        client = cluster.redis.client()
        queue = cluster.env["CELERY_QUEUE"]
        assert client.llen(f"{queue}:{queue}") >= len(task_ids)  # all of them wait in Redis
        cluster.redis.flushall()
        assert client.llen(f"{queue}:{queue}") == 0
        client.close()
    finally:
        for name in workers:
            cluster.restart(name)
    subjects = {f"flushed-{n:02d}" for n in range(10)}

    def sent(_: object) -> dict[str, int]:
        counts = dict.fromkeys(subjects, 0)
        for message in cluster.mailbox.messages:
            if str(message["Subject"]) in counts:
                counts[str(message["Subject"])] += 1
        return counts

    cluster.mailbox.wait_for(lambda m: all(sent(m).values()), CATCH_UP_SECONDS)
    time.sleep(5)  # a second copy, were there one, would come within a sweep or two
    assert set(sent(None).values()) == {1}
    with cluster.settings(), session_scope() as session:
        tasks = [session.get(Task, task_id) for task_id in task_ids]
        assert {task.status for task in tasks} == {TaskStatus.SUCCEEDED}
        assert all(task.republishes >= 1 for task in tasks)


SCHEDULE_DEPLOY = """
import tasks.dispatch  # the runner that hands jobs to the broker
from backend.access.audit import Actor
from backend.db import session_scope
from backend.objects import deploy

with session_scope() as session:
    print(deploy.schedule_deploy(session, "slow", actor=Actor.operator("ops")).id)
"""


def test_a_worker_killed_during_a_deploy_never_leaves_it_testing(product: Product) -> None:
    """`kill -9` of the worker running a deploy while the object's tests run: the
    deployment ends failed (or live), never stuck in `testing`."""
    cluster = product.cluster
    task_id = int(cluster.python(SCHEDULE_DEPLOY))
    deadline = time.monotonic() + CATCH_UP_SECONDS
    with cluster.settings():
        while True:
            with session_scope() as session:
                task = session.get(Task, task_id, populate_existing=True)
                testing = session.exec(
                    select(Deployment).where(Deployment.task_id == task_id)
                ).first()
            if task.status == TaskStatus.RUNNING and testing is not None and task.worker:
                break
            assert time.monotonic() < deadline, cluster.logs()
            time.sleep(0.2)
        assert testing.status == DeploymentStatus.TESTING
        holder = cluster.role_holding(int(task.worker.rsplit(":", 1)[1]))
        assert holder is not None, task.worker
        cluster.kill(holder.name)
        cluster.restart(holder.name)  # as the process manager would
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while True:
            with session_scope() as session:
                deployment = session.get(Deployment, testing.id, populate_existing=True)
            if deployment.status != DeploymentStatus.TESTING:
                break
            assert time.monotonic() < deadline, cluster.logs()
            time.sleep(0.5)
    assert deployment.status in (DeploymentStatus.FAILED, DeploymentStatus.LIVE)
    if deployment.status == DeploymentStatus.FAILED:
        assert "worker lost" in deployment.logs or "failed" in deployment.logs
