"""The objects pages in Chromium: create, edit in Monaco and save, diff, deploy, call, restore."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from backend import config, db
from backend.access import audit
from backend.background import jobs
from backend.enums import JobKind, TaskStatus
from backend.models import Task
from backend.objects.store import create_object_in, edit_object, get_object, set_limits_in
from tests.support.deploying import deploy_now
from tests.support.factories import waiting_modification
from tests.support.llm_scenarios import API_BREAK, GOOD, PLAN, make_arith
from tests.web.conftest import screenshot

pytest_plugins = ["tests.support.llm_fixtures"]

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'
NEW_TESTS = 'from main import hello\n\n\ndef test_hello():\n    assert hello("A") == "hello A"\n'
#: Typed into Monaco on the empty last line: one line, so Monaco's auto-indent can't shift it.
ADDED = "\ndef shout(text: str) -> str: return text.upper()\n"
SLOW = 90_000  # deploys and evaluations run the object's tests in the sandbox


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _no_error_on_page(page: Page) -> None:
    # Error banners are callouts with role=alert (Monaco keeps role=alert regions of its own).
    expect(page.locator(".rt-CalloutRoot[role=alert]")).to_have_count(0)
    assert page.console_errors == []  # type: ignore[attr-defined]


def _make_object(slug: str = "greeter") -> None:
    with db.session_scope() as session:
        create_object_in(
            session, slug=slug, name="Greeter", files={"main.py": MAIN_PY}, actor=audit.SYSTEM
        )


def test_objects_page_empty_state_then_new_object(admin_page: Page, harness) -> None:
    page = admin_page
    page.goto(_url(harness, "/objects"))
    empty = page.locator("#objects-empty")
    expect(empty).to_be_visible()
    expect(empty).to_contain_text("New object")
    screenshot(page, "objects-empty")

    page.click("#new-object-button")
    page.fill("#new-slug", "Bad Slug!")
    page.fill("#new-name", "Greeter")
    page.fill("#new-main", MAIN_PY)
    page.click("#new-submit")
    expect(page.locator("#new-error")).to_contain_text("must be lowercase")  # the backend's words

    page.fill("#new-slug", "greeter")
    page.fill("#new-tests", NEW_TESTS)
    page.click("#new-submit")
    expect(page).to_have_url(_url(harness, "/objects/greeter"))
    expect(page.locator("#object-page")).to_be_visible()
    expect(page.locator("#code-editor .view-lines")).to_contain_text("def hello")
    expect(page.locator("#file-tabs .file-tab")).to_have_count(2)  # main.py, test_main.py

    page.goto(_url(harness, "/objects"))
    rows = page.locator("#objects-list .object-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("draft")
    expect(rows.first).to_contain_text("v1")
    page.fill("#objects-search", "nothing-like-it")
    expect(page.locator("#objects-no-match")).to_be_visible()
    page.fill("#objects-search", "greet")
    expect(rows).to_have_count(1)
    screenshot(page, "objects-list")
    _no_error_on_page(page)


def test_edit_save_diff_deploy_call_and_restore(admin_page: Page, harness) -> None:
    page = admin_page
    _make_object()
    page.goto(_url(harness, "/objects/greeter"))
    lines = page.locator("#code-editor .view-lines")
    expect(lines).to_contain_text("def hello")
    expect(page.locator("#save-version")).to_be_disabled()

    # Edit in Monaco and save with Ctrl+S.
    lines.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(ADDED)
    expect(lines).to_contain_text("def shout")
    expect(page.locator("#save-version")).to_be_enabled()
    page.fill("#save-message", "Add shout")
    lines.click()
    page.keyboard.press("Control+s")
    expect(page.locator("#object-version")).to_contain_text("v2")
    # The backend scheduled the evaluation as a job; the page follows it until a worker
    # (here: the test) has run it.
    expect(page.locator("#evaluation-message")).to_contain_text("waiting for a worker")
    _run_latest_job(JobKind.VERSION_EVALUATE).join(timeout=120)
    evaluation = page.locator("#save-evaluation")
    expect(evaluation).to_be_visible(timeout=SLOW)
    expect(evaluation.locator(".score-bar").first).to_be_visible()
    expect(evaluation).to_contain_text("preference")
    screenshot(page, "object-code")

    # The diff between v1 and v2, side by side then inline.
    page.click("#tab-versions")
    expect(page.locator("#versions-table .version-row")).to_have_count(2)
    diff = page.locator("#version-diff")
    expect(diff.locator(".diff-file")).to_have_count(1)
    expect(diff.locator(".monaco-diff-editor")).to_be_visible()
    expect(diff.locator(".monaco-diff-editor .modified-in-monaco-diff-editor")).to_contain_text(
        "def shout"
    )
    screenshot(page, "object-versions")
    diff.locator(".diff-side-by-side").click()
    expect(diff.locator(".monaco-diff-editor")).to_be_visible()

    # Deploy v2 (admin): the backend starts a job, which the page follows, and which the
    # Tasks page lists (here the test runs it, as a worker would).
    page.click("#deploy-button")
    page.click("#deploy-confirm")
    page.click("#tab-deploy")
    expect(page.locator("#deploy-message")).to_contain_text("Deploying v2")
    _run_latest_job(JobKind.OBJECT_DEPLOY).join(timeout=120)
    expect(page.locator("#live-version")).to_contain_text("v2", timeout=SLOW)
    expect(page.locator("#object-version")).to_have_text("live v2, the latest")
    expect(page.locator("#deployments .deployment-row").first).to_contain_text("live")
    expect(page.locator("#sandbox-tier")).not_to_have_text("checking...")
    screenshot(page, "object-deployments")
    # Automatic rollback: off by default, turned on by the owner's switch, kept.
    switch = page.locator("#auto-rollback-switch")
    expect(switch).to_have_attribute("aria-checked", "false")
    switch.click()
    expect(
        page.get_by_text("A failing new version of greeter now rolls back by itself.")
    ).to_be_visible()
    expect(switch).to_have_attribute("aria-checked", "true")
    with db.session_scope() as session:
        assert get_object(session, "greeter").auto_rollback is True

    # Call functions from the console: the deploy refreshed it (v2's shout), no reload.
    page.click("#tab-console")
    expect(page.locator("#console-arguments")).to_have_value('{\n  "name": "text"\n}')
    page.fill("#console-arguments", '{"name": "Ada"}')
    page.click("#console-call")
    expect(page.locator("#console-result")).to_contain_text('"hello Ada"', timeout=SLOW)
    expect(page.locator("#console-took")).to_contain_text("ms")
    page.locator("#console-function").click()
    page.get_by_role("option", name="shout").click()
    page.fill("#console-arguments", '{"text": "hi"}')
    page.click("#console-call")
    expect(page.locator("#console-result")).to_contain_text('"HI"', timeout=SLOW)
    expect(page.locator("#object-storage")).to_contain_text("{}")
    screenshot(page, "object-console")

    # Restore v1, with confirmation: it becomes v3.
    page.click("#tab-versions")
    page.locator("#version-row-1 .restore-button").click()
    page.click("#restore-confirm")
    expect(page.locator("#object-version")).to_contain_text("v3")
    expect(page.locator("#versions-table .version-row")).to_have_count(3)
    expect(page.locator("#version-row-3")).to_contain_text("Restored v1")
    expect(page.locator("#object-version")).to_have_text("live v2 · latest v3, not deployed")
    _no_error_on_page(page)

    # The deploy was a job like the rest of the long work: the Tasks page lists it.
    page.goto(_url(harness, "/tasks"))
    expect(page.locator("#tasks-table")).to_contain_text("object.deploy")


def test_member_sees_deploy_and_restore_disabled_with_the_reason(
    member_page: Page, harness
) -> None:
    """The backend's rules, shown before a click: Deploy and Restore are disabled and say why."""
    page = member_page
    _make_object()
    with db.session_scope() as session:
        edit_object(session, "greeter", files={"main.py": MAIN_PY + ADDED}, actor=audit.SYSTEM)
    page.goto(_url(harness, "/objects/greeter"))
    expect(page.locator("#object-page")).to_be_visible()
    deploy_button = page.locator("#deploy-button")
    expect(deploy_button).to_be_disabled()
    expect(deploy_button).to_have_attribute("title", "Only an admin can deploy objects")
    page.click("#tab-deploy")
    expect(page.locator("#deploy-refused")).to_have_text("Only an admin can deploy objects.")
    expect(page.locator("#auto-rollback-switch")).to_be_disabled()
    expect(page.locator("#auto-rollback-refused")).to_have_text(
        "Only an admin or the owner can change whether this object rolls back by itself."
    )
    expect(page.locator("#deployments-empty")).to_be_visible()
    screenshot(page, "object-deploy-refused")

    page.click("#tab-versions")
    restore = page.locator("#version-row-1 .restore-button")
    expect(restore).to_be_disabled()
    expect(restore).to_have_attribute("title", "Only an admin can restore an earlier version")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(page.locator("#object-version")).to_contain_text("v2")


def test_member_sees_approve_disabled_and_is_refused_a_reject(member_page: Page, harness):
    """The rules are the backend's: Approve is disabled with its refusal as the reason, and
    rejecting someone else's change on an object Bob does not own is refused in the page."""
    page = member_page
    _make_object()
    with db.session_scope() as session:
        edit_object(session, "greeter", files={"main.py": MAIN_PY + ADDED}, actor=audit.SYSTEM)
        waiting_modification(session, "greeter", {"main.py": MAIN_PY + ADDED + "\n"})
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-modify")
    approve = page.locator("#approve-button")
    expect(approve).to_be_disabled()
    expect(approve).to_have_attribute("title", "Only an admin can approve a change")
    page.fill("#reject-reason", "not like this")
    page.click("#reject-button")
    expect(page.locator("#decide-error")).to_contain_text(
        "Only an admin, the object's owner or who asked can reject this change"
    )
    expect(page.locator("#modification-status")).to_have_text("awaiting_approval")


def test_objects_list_is_live_and_says_when_the_database_goes(
    admin_page: Page, harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = admin_page
    page.goto(_url(harness, "/objects"))
    expect(page.locator("#objects-empty")).to_be_visible()
    _make_object()  # by another door: the open list shows it without a reload
    expect(page.locator("#objects-list")).to_contain_text("greeter")

    # Nothing listens on port 1: the list's next read is refused, and the page says so.
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    config.reload_settings()
    try:
        expect(page.locator("#objects-error")).to_contain_text("The database is unreachable")
    finally:
        db._engine_for.cache_clear()
        monkeypatch.undo()
        config.reload_settings()
    expect(page.locator("#objects-list")).to_contain_text("greeter")  # back once it answers


def test_unknown_object_says_so(admin_page: Page, harness) -> None:
    admin_page.goto(_url(harness, "/objects/no-such-thing"))
    expect(admin_page.locator("#object-error")).to_contain_text("no-such-thing")


# --- the pipeline, with the scripted LLM server ---------------------------------------------
# No Celery worker runs in the browser tests: the backend schedules the job (its Task row stays
# pending), then the test runs that job in a thread, as a worker would
# (backend.background.jobs.run_here),
# while the page shows its progress from the rows.


def _run_latest_job(kind: str = JobKind.MODIFICATION_RUN) -> threading.Thread:
    """Run the newest pending job of `kind` in a thread, as a Celery worker would."""
    with db.session_scope() as session:
        task = session.exec(
            select(Task)
            .where(Task.kind == kind, Task.status == TaskStatus.PENDING)
            .order_by(Task.id.desc())
        ).first()
        task_id = int(task.id)
    thread = threading.Thread(target=jobs.run_here, args=(task_id,), daemon=True)
    thread.start()
    return thread


def _request_change(page: Page, harness) -> None:
    """Ask for "Add sub(x, y)" in the modification box and run the job until it waits."""
    page.goto(_url(harness, "/objects/arith"))
    expect(page.locator("#file-tabs .file-tab")).to_have_count(2)
    page.click("#tab-modify")
    expect(page.locator("#modification-empty")).to_be_visible()
    page.fill("#modify-prompt", "Add sub(x, y)")
    page.click("#modify-submit")
    expect(page.locator("#modification-status")).to_have_text("planning")

    _run_latest_job().join(timeout=120)

    # Pushed to the page by its live loop: no reload.
    expect(page.locator("#modification-status")).to_have_text("awaiting_approval", timeout=SLOW)


def test_modification_attempts_appear_live_then_approve(
    admin_page: Page, harness, scripted_llm
) -> None:
    scripted_llm.push_json(PLAN)
    scripted_llm.push_json(API_BREAK)
    scripted_llm.push_json(GOOD)
    make_arith()
    page = admin_page
    _request_change(page, harness)
    expect(page.locator("#modification-plan")).to_contain_text("Add sub(x, y).")
    attempts = page.locator(".modification-attempt")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("reject")
    expect(attempts.nth(1)).to_contain_text("accept")
    expect(attempts.nth(1).locator(".score-threshold").first).to_be_attached()
    expect(page.locator("#proposed-diff .diff-file")).to_have_count(2)  # main.py, its tests
    screenshot(page, "object-modification")

    page.click("#approve-button")
    expect(page.locator("#modification-status")).to_have_text("applied")
    expect(page.locator("#object-version")).to_contain_text("v2")
    _no_error_on_page(page)


def test_approve_and_deploy_makes_the_change_live(admin_page: Page, harness, scripted_llm) -> None:
    scripted_llm.push_json(PLAN)
    scripted_llm.push_json(GOOD)
    make_arith()
    deploy_now("arith", actor=audit.SYSTEM)  # v1 is live before the change
    page = admin_page
    _request_change(page, harness)

    page.click("#approve-deploy-button")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Approve and deploy v2?")
    expect(dialog).to_contain_text("v2 goes live in place of v1")
    screenshot(page, "object-approve-deploy-dialog")
    page.click("#approve-deploy-confirm")
    # One step: approved, and the deploy job asked for, which the page follows like any other.
    expect(page.get_by_text("Approved as v2; deploying it now.")).to_be_visible(timeout=SLOW)
    expect(page.locator("#modification-status")).to_have_text("applied")
    _run_latest_job(JobKind.OBJECT_DEPLOY).join(timeout=120)
    expect(page.get_by_text("arith v2 is live.")).to_be_visible(timeout=SLOW)
    expect(page.locator("#modification-version")).to_have_text("became v2")
    expect(page.locator("#object-version")).to_contain_text("v2")

    page.click("#tab-deploy")
    expect(page.locator("#live-version")).to_contain_text("v2")
    rows = page.locator("#deployments .deployment-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("v2")
    expect(rows.first).to_contain_text("live")
    screenshot(page, "object-approve-deploy")

    # The new version answers: `sub` exists only in v2.
    page.click("#tab-console")
    page.locator("#console-function").click()
    page.get_by_role("option", name="sub").click()
    page.fill("#console-arguments", '{"x": 5, "y": 3}')
    page.click("#console-call")
    expect(page.locator("#console-result")).to_have_text("2", timeout=SLOW)
    _no_error_on_page(page)


def test_failed_deploy_after_approval_is_said(admin_page: Page, harness, scripted_llm) -> None:
    scripted_llm.push_json(PLAN)
    scripted_llm.push_json(GOOD)
    make_arith()
    page = admin_page
    _request_change(page, harness)
    # Evaluated under the default limits; the deployment gets a wall clock nothing fits in.
    with db.session_scope() as session:
        set_limits_in(session, "arith", {"wall_seconds": 0.001}, actor=audit.SYSTEM)

    page.click("#approve-deploy-button")
    expect(page.get_by_role("alertdialog")).to_contain_text("v2 becomes the live version")
    page.click("#approve-deploy-confirm")
    expect(page.locator("#modification-status")).to_have_text("applied", timeout=SLOW)
    _run_latest_job(JobKind.OBJECT_DEPLOY).join(timeout=120)
    expect(page.get_by_text("The deployment of v2 failed; see its log.")).to_be_visible(
        timeout=SLOW
    )
    expect(page.locator("#object-version")).to_contain_text("v2")
    page.click("#tab-deploy")
    expect(page.locator("#deploy-error")).to_contain_text("The deployment failed")
    screenshot(page, "object-approve-deploy-failed")
    expect(page.locator("#deployments .deployment-row").first).to_contain_text("failed")
    expect(page.locator("#live-version")).to_contain_text("none")


def test_create_from_scratch_shows_progress(admin_page: Page, harness, scripted_llm) -> None:
    scripted_llm.push_json(
        {
            "summary": "A greeter.",
            "files": [{"path": "main.py", "purpose": "greet"}],
            "api": [{"name": "greet", "signature": "greet(name: str) -> str", "description": "hi"}],
            "constraints": [],
        }
    )
    scripted_llm.push_json(
        {
            "files": [
                {
                    "path": "main.py",
                    "content": '"""Greetings."""\n\n\ndef greet(name: str) -> str:\n'
                    '    """Say hello to name."""\n    return f"Hello, {name}!"\n',
                },
                {
                    "path": "test_main.py",
                    "content": "from main import greet\n\n\ndef test_greet():\n"
                    "    assert greet('Ada') == 'Hello, Ada!'\n",
                },
            ],
            "explanation": "A greeter.",
        }
    )
    page = admin_page
    page.goto(_url(harness, "/objects"))
    expect(page.locator("#objects-empty")).to_be_visible()
    page.click("#scratch-button")
    page.fill("#scratch-slug", "hello")
    page.fill("#scratch-name", "Hello")
    page.fill("#scratch-requirements", "greet people by name")
    page.click("#scratch-submit")
    expect(page.locator("#scratch-status")).to_contain_text("pending")
    expect(page.locator("#scratch-submit")).to_be_disabled()

    _run_latest_job().join(timeout=120)

    expect(page.locator("#scratch-status")).to_contain_text("succeeded", timeout=SLOW)
    expect(page.locator("#scratch-progress")).to_have_attribute("data-state", "complete")
    screenshot(page, "objects-create-from-scratch")
    page.click("#scratch-created")
    expect(page).to_have_url(_url(harness, "/objects/hello"))
    expect(page.locator("#code-editor .view-lines")).to_contain_text("def greet")
