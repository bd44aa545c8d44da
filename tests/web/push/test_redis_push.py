"""The product as `make run` starts it with REDIS_URL, watched in Chromium: the Celery worker
and the web app push changes to open pages through Redis (`state.push`).

The pages' own re-read is set to once in ten minutes (LIVE_PUSH_FALLBACK_SECONDS=600), so
whatever a page shows after it first loaded reached it by a push: from the worker (a
modification's plan, attempts and scores, the task's progress on the dashboard) or from the
web app (an approval in one tab reaching the dashboard in another). Two web workers
(GRANIAN_WORKERS=2), so a push may have to cross from one to the other through Redis.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page, expect
from sqlmodel import select

from backend import config, db
from backend.models import Task
from tests.support.llm_scenarios import API_BREAK, GOOD, PLAN, make_arith
from tests.support.llm_server import ScriptedLLMServer
from tests.support.running_product import RunningProduct, start_product
from tests.web.conftest import ADMIN, make_user, screenshot, sign_in, use_database

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PUSH_REDIS_URL = os.environ.get("TEST_PUSH_REDIS_URL", "redis://127.0.0.1:6379/13")
STEP = 20_000  # ms: one pipeline step on a loaded 2-core machine


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(PUSH_REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        reason = f"Redis at {PUSH_REDIS_URL} unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@dataclass
class Product:
    frontend_url: str
    running: RunningProduct
    llm: ScriptedLLMServer


@pytest.fixture(scope="module")
def product() -> Iterator[Product]:
    """`scripts/run.py` (what `make run` runs) with Redis, a scripted LLM and its own data."""
    _redis_or_skip()
    llm = ScriptedLLMServer().start()
    data_dir = Path(tempfile.mkdtemp(prefix="push-data-"))
    settings_env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'app.db'}",
        "SECRET_KEY": uuid.uuid4().hex,
        "REDIS_URL": PUSH_REDIS_URL,
        "CELERY_QUEUE": f"push-{uuid.uuid4().hex[:8]}",
        "LIVE_PUSH_FALLBACK_SECONDS": "600",
        "OPENAI_BASE_URL": llm.base_url,
        "OPENAI_API_KEY": "",
        "LLM_JUDGES": "0",
        "MAX_ATTEMPTS": "2",
    }
    try:
        running = start_product(settings_env, data_dir / "run.log", {"GRANIAN_WORKERS": "2"})
    except RuntimeError as exc:
        llm.stop()
        pytest.fail(str(exc))
    try:
        with pytest.MonkeyPatch.context() as mp:
            # This process reads and writes the same database (and signs the same cookies).
            for name, value in settings_env.items():
                mp.setenv(name, value)
            use_database(mp, data_dir)
            yield Product(running.frontend_url, running, llm)
    finally:
        running.stop()
        llm.stop()
        db._engine_for.cache_clear()
        config.reload_settings()


def _newest_task_id() -> int:
    with db.session_scope() as session:
        task = session.exec(select(Task).order_by(Task.id.desc())).first()
        assert task is not None, "no job was started"
        return int(task.id)


def test_worker_and_web_app_push_to_open_pages(product: Product, page: Page) -> None:
    page.set_default_timeout(STEP)
    expect.set_options(timeout=STEP)
    # A slow model, so each step stays on screen long enough to be seen arriving.
    product.llm.push_json(PLAN, delay=2)
    product.llm.push_json(API_BREAK, delay=2)
    product.llm.push_json(GOOD, delay=4)
    admin_id = make_user(ADMIN)
    make_arith()

    # Tab 1: the dashboard, loaded before anything runs.
    dashboard = sign_in(page, product, admin_id)
    expect(dashboard.locator("#tasks-empty")).to_be_visible()
    expect(dashboard.locator("#count-awaiting .stat-value")).to_have_text("0")

    # Tab 2: the object's modification box; the request goes to the worker through Redis.
    box = page.context.new_page()
    box.set_default_timeout(STEP)
    box.goto(f"{product.frontend_url}/objects/arith")
    box.click("#tab-modify")
    box.fill("#modify-prompt", "Add sub(x, y)")
    box.click("#modify-submit")
    expect(box.locator("#modification-status")).to_have_text("planning")
    task_id = _newest_task_id()

    # The worker's steps arrive one by one: the first attempt is rejected and shown while
    # the model is still writing the second.
    card = dashboard.locator(f"#running-task-{task_id}")
    expect(card).to_contain_text("attempt 2 of 2")
    expect(box.locator("#modification-status")).to_have_text("generating")
    expect(box.locator(".modification-attempt")).to_have_count(1)
    expect(box.locator(".modification-attempt").first).to_contain_text("reject")
    progress = int(card.locator(".task-progress").get_attribute("data-progress") or 0)
    assert 0 < progress < 100
    screenshot(dashboard, "push-dashboard-running")

    expect(box.locator("#modification-status")).to_have_text("awaiting_approval")
    expect(box.locator(".modification-attempt")).to_have_count(2)
    expect(box.locator("#proposed-diff .diff-file")).to_have_count(2)
    expect(card).to_have_count(0)  # the task finished: no longer running
    expect(dashboard.locator("#count-awaiting .stat-value")).to_have_text("1")
    expect(dashboard.locator("#events-table .event-name").first).to_have_text(
        "modification.awaiting_approval"
    )
    screenshot(box, "push-modification-awaiting")

    # An approval in tab 2 is pushed by the web app to the dashboard in tab 1.
    box.click("#approve-button")
    expect(box.locator("#modification-status")).to_have_text("applied")
    expect(dashboard.locator("#count-awaiting .stat-value")).to_have_text("0")

    text = product.running.log_text()
    assert "this worker pushes job progress through Redis" in text
    assert "Traceback" not in text, text[-4000:]
    assert not re.search(r"\bERROR\b", text), text[-4000:]
