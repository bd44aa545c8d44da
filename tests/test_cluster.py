"""The product as README's "Running several processes" runs it: the Procfile's two web
processes and two workers (one with beat) on PostgreSQL and a Redis of their own, with an
SMTP server (tests/cluster.py). One cluster serves the whole module.

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

from tests.cluster import Cluster, procfile_commands, start_cluster

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


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory, postgres_server: str) -> Iterator[Product]:
    folder = tmp_path_factory.mktemp("cluster")
    keys: list[str] = []
    cluster = start_cluster(
        folder,
        postgres_server,
        extra_env={"JOB_SWEEP_SECONDS": "2"},  # the sweeper looks often
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
