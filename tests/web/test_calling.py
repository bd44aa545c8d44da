"""Making an object callable without the CLI, in Chromium: a token from the Tokens page, the
object's HTTP API tab (URL, visibility, a curl command that works as shown), revoking."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from playwright.sync_api import Page, expect

from backend import config, db
from backend.access import audit
from backend.objects.store import create_object_in
from tests.support.deploying import deploy_now
from tests.web.conftest import screenshot

pytestmark = pytest.mark.browser

MAIN_PY = 'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'
SLOW = 90_000


def _url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def _deployed(owner_id: int | None) -> None:
    with db.session_scope() as session:
        create_object_in(
            session,
            slug="greeter",
            name="Greeter",
            files={"main.py": MAIN_PY},
            owner_id=owner_id,
            actor=audit.SYSTEM,
        )
    deploy_now("greeter", actor=audit.SYSTEM)


def _run(curl: str, token: str = "") -> dict:
    """Run the page's curl command as a person pasting it into a shell would."""
    done = subprocess.run(
        ["bash", "-c", curl],
        env={**os.environ, "DOB_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.fixture
def public_base_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """PUBLIC_BASE_URL is the running app's backend (which serves /api), as in production."""
    from reflex.config import get_config

    url = get_config().api_url.rstrip("/")
    monkeypatch.setenv("PUBLIC_BASE_URL", url)
    config.reload_settings()
    return url


def _create_token(page: Page, harness, name: str) -> str:
    page.goto(_url(harness, "/tokens"))
    page.fill("#token_name", name)
    page.click("#create-token")
    token = page.locator("#new-token")
    expect(token).to_contain_text("dob_")
    return token.inner_text().strip()


def test_a_token_and_the_http_tab_make_a_private_object_callable(
    member_page: Page, harness, public_base_url: str
) -> None:
    page = member_page
    _deployed(owner_id=page.user["id"])  # type: ignore[attr-defined]  # Bob's own object

    page.goto(_url(harness, "/tokens"))
    expect(page.locator("#tokens-empty")).to_be_visible()
    token = _create_token(page, harness, "curl on my laptop")
    expect(page.locator("#new-token-callout")).to_contain_text("shown only this once")
    rows = page.locator("#tokens-table .token-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("curl on my laptop")
    expect(rows.first).to_contain_text(token[:10])
    screenshot(page, "tokens")
    page.reload()  # seen once: it is not shown again
    expect(rows).to_have_count(1)
    expect(page.locator("#new-token")).to_have_count(0)

    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-http")
    expect(page.locator("#object-visibility")).to_contain_text("private")
    endpoint = page.locator('.endpoint[data-function="hello"]')
    url = f"{public_base_url}/api/objects/greeter/hello"
    expect(endpoint.locator(".endpoint-url")).to_have_text(url)
    curl = endpoint.locator(".endpoint-curl")
    expect(curl).to_contain_text("Authorization: Bearer $DOB_TOKEN")
    expect(page.locator("#http-token-hint")).to_be_visible()
    expect(page.locator("#openapi-url")).to_have_text(
        f"{public_base_url}/api/objects/greeter/openapi.json"
    )
    screenshot(page, "object-http-api")
    assert _run(curl.inner_text(), token) == {"result": "hello text"}

    # Bob owns it, so he may make it public: after a confirmation, and no token is needed.
    page.click("#visibility-button")
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Make greeter public?")
    screenshot(page, "object-visibility-dialog")
    page.click("#visibility-confirm")
    expect(page.locator("#object-visibility")).to_contain_text("public")
    expect(curl).not_to_contain_text("Authorization")
    assert _run(curl.inner_text()) == {"result": "hello text"}

    # Revoked, with a confirmation: refused from then on.
    page.goto(_url(harness, "/tokens"))
    rows.first.locator(".revoke-button").click()
    expect(page.get_by_role("alertdialog")).to_contain_text("Revoke the token curl on my laptop?")
    page.click("#revoke-confirm")
    expect(rows.first.locator(".token-revoked")).to_be_visible()
    expect(rows.first.locator(".revoke-button")).to_have_count(0)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_only_the_owner_and_admins_may_switch_visibility(member_page: Page, harness) -> None:
    page = member_page
    _deployed(owner_id=None)  # not Bob's
    page.goto(_url(harness, "/objects/greeter"))
    page.click("#tab-http")
    button = page.locator("#visibility-button")
    expect(button).to_be_disabled()
    reason = "Only an admin or the owner can change who may call this object"
    expect(button).to_have_attribute("title", reason)
    expect(page.locator("#visibility-refused")).to_have_text(reason + ".")


def test_an_undeployed_object_says_where_it_will_answer(admin_page: Page, harness) -> None:
    page = admin_page
    with db.session_scope() as session:
        create_object_in(
            session, slug="draft", name="Draft", files={"main.py": MAIN_PY}, actor=audit.SYSTEM
        )
    page.goto(_url(harness, "/objects/draft"))
    page.click("#tab-http")
    expect(page.locator("#http-not-deployed")).to_contain_text("/api/objects/draft/<function>")
    expect(page.locator("#visibility-button")).to_be_enabled()  # an admin may
