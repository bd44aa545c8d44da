"""How long a job's progress takes to reach an open dashboard: polled (no Redis) against
pushed (Redis, `state/push.py`), with the product started as `make run` starts it.

For each mode the benchmark starts `scripts/run.py` on its own data, signs a browser in on
the dashboard, and runs a job in the Celery worker that reports progress 1..N at a steady
pace (bench/live_jobs.py), writing down the time of each commit. In the page a
MutationObserver notes when each value of the progress bar's `data-progress` appears. The
latency of a tick is the difference (one machine, one clock). A tick the page never showed
counts as missed: overtaken by the next before a poll saw it, or the last one, when the job
finishes at once after it and its card leaves the dashboard's running tasks.

    .venv/bin/python bench/live_latency.py [--ticks 30] [--interval 0.7]

Needs Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/10) for the push mode, and
Debian's Chromium. The app is built in .web-product/, apart from `make run` and the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from backend import config, db
from backend.accounts import auth
from backend.models import User
from tests.support.running_product import start_product
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")

OBSERVE = """
() => {
  window.__seen = {};
  const note = (el) => {
    const value = el.getAttribute && el.getAttribute('data-progress');
    if (value !== null && value !== undefined && !(value in window.__seen)) {
      window.__seen[value] = performance.timeOrigin + performance.now();
    }
  };
  new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === 'attributes') note(m.target);
      for (const node of m.addedNodes || []) {
        if (node.querySelectorAll) node.querySelectorAll('[data-progress]').forEach(note);
      }
    }
  }).observe(document.body, {attributes: true, attributeFilter: ['data-progress'],
                             subtree: true, childList: true});
}
"""


def _settings_env(data_dir: Path, push: bool) -> dict[str, str]:
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'app.db'}",
        "SECRET_KEY": uuid.uuid4().hex,
        "CELERY_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
        "CELERY_IMPORTS": "bench.live_jobs",
    }
    if push:
        env["REDIS_URL"] = REDIS_URL
        env["LIVE_PUSH_FALLBACK_SECONDS"] = "600"  # only pushes count
    return env


def _session_cookie(settings_env: dict[str, str]) -> str:
    """Point this process at the product's settings (database, broker) and sign a user in."""
    for name, value in settings_env.items():
        os.environ[name] = value
    if "REDIS_URL" not in settings_env:
        os.environ.pop("REDIS_URL", None)
    config.reload_settings()
    db._engine_for.cache_clear()
    db.upgrade_database()
    with db.session_scope() as session:
        user = auth.sign_up_in(
            session, name="Bench", email="bench@example.com", password="bench pw 123"
        )
        return auth.issue_session_token(session.get(User, user.id))


def measure(push: bool, ticks: int, interval: float) -> tuple[list[float], list[int]]:
    """Latencies in seconds of the ticks the page showed, and the ticks it missed."""
    from state.auth import SESSION_COOKIE
    from tasks.dispatch import enqueue

    data_dir = Path(tempfile.mkdtemp(prefix="bench-live-"))
    settings_env = _settings_env(data_dir, push)
    product = start_product(settings_env, data_dir / "run.log")
    try:
        cookie = _session_cookie(settings_env)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.add_cookies(
                [{"name": SESSION_COOKIE, "value": cookie, "url": product.frontend_url}]
            )
            page = context.new_page()
            page.goto(product.frontend_url + "/")
            page.wait_for_selector("#tasks-empty", timeout=60_000)
            page.evaluate(OBSERVE)
            log = data_dir / "ticks.jsonl"
            enqueue("bench.progress_ticks", {"ticks": ticks, "interval": interval, "log": str(log)})
            deadline = time.monotonic() + ticks * interval + 60
            while time.monotonic() < deadline:
                committed = log.read_text().splitlines() if log.exists() else []
                if len(committed) == ticks:
                    break
                time.sleep(0.5)
            time.sleep(2)  # let the last tick arrive
            seen = page.evaluate("() => window.__seen")
            browser.close()
    finally:
        product.stop()
    commits = dict(json.loads(line) for line in log.read_text().splitlines())
    latencies = [seen[str(t)] / 1000 - at for t, at in commits.items() if str(t) in seen]
    return latencies, [t for t in commits if str(t) not in seen]


def _summary(name: str, latencies: list[float], missed: list[int]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return (
        f"{name:5} median {statistics.median(ms):7.1f} ms  p90 {p90:7.1f} ms  "
        f"max {ms[-1]:7.1f} ms  shown {len(ms)}  missed {missed or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.7)
    args = parser.parse_args()
    poll = measure(False, args.ticks, args.interval)
    print(_summary("poll", *poll), flush=True)
    pushed = measure(True, args.ticks, args.interval)
    print(_summary("push", *pushed), flush=True)
    ratio = statistics.median(pushed[0]) / statistics.median(poll[0])
    print(f"push / poll median latency: {ratio:.2f}x")


if __name__ == "__main__":
    main()
