"""Email, Slack and GitHub: the real clients against real peers (an SMTP server in the test
process; Prism validating Slack's and GitHub's own API descriptions, behind an HTTP peer that
records what was sent and fails on request), delivered with retries and the next-channel
rule, and shown on the settings page."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from backend import config
from backend.channels import checks, delivery, fallback
from backend.channels.base import ChannelNotConfigured
from backend.channels.email import EmailSender
from backend.channels.github import GithubSender, check_github_repo
from backend.channels.slack import SlackSender, check_slack_channel
from backend.db import session_scope
from backend.enums import Channel
from backend.read_models.settings_page import settings_overview
from tests.support.factories import phone_user
from tests.support.flaky_vendor import FlakyVendor
from tests.support.llm_server import closed_port
from tests.support.notification_rows import queued, replacements, stored

MAX_ATTEMPTS = 3
FROM = "alerts@dobj.example.com"
SLACK_SPEC = "slack_web_openapi_v3.prism.json"
GITHUB_SPEC = "github_api.prism.json"
SLACK_CHANNEL = "C012AB3CD"  # the spec's example channel
REPO = "octocat/Hello-World"  # the spec's example repository


@pytest.fixture(autouse=True)
def _fresh(sqlite_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A migrated database, fast retries, and no settings check remembered from another test."""
    monkeypatch.setenv("NOTIFY_MAX_ATTEMPTS", str(MAX_ATTEMPTS))
    monkeypatch.setenv("NOTIFY_RETRY_SECONDS", "0")
    config.reload_settings()
    checks.clear()
    yield
    checks.clear()


def _queued(
    channel: Channel,
    target: str,
    body: str = "Monitor 'signups' fired: a new user signed up.",
    *,
    user_id: int | None = None,
    subject: str = "",
    data: dict[str, Any] | None = None,
) -> int:
    """A queued alert, without its job (the test delivers it itself)."""
    return queued(channel, target=target, body=body, user_id=user_id, subject=subject, data=data)


def _person(**fields: Any) -> tuple[int, str, str]:
    """A person (id, email, phone); by default preferring email, with a verified phone."""
    with session_scope() as session:
        user = phone_user(session, **fields)
        return int(user.id), user.email, str(user.phone)


# --- email ---------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler: keeps what arrives; refuses addresses in `refuse` with a reply."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """Lets in "bot" with "secret"; a refusal must not be `handled`, or the client hangs."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"bot",
        b"secret",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """A real SMTP server on 127.0.0.1, configured as the product's; it offers a login
    (without TLS, as tests have no certificate) that is optional."""
    handler = Mailbox()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        loop=asyncio.new_event_loop(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("FROM_EMAIL", FROM)
    config.reload_settings()
    yield handler
    controller.stop()


def test_an_email_arrives_with_text_and_html_parts(mailbox: Mailbox) -> None:
    body = "Tests & checks <all> passed.\nSecond line.\n\nA new paragraph."
    notification_id = _queued(
        Channel.EMAIL,
        "pat@example.com",
        body,
        subject="greeter v3 is live",
        data={"link": "https://dobj.example.com/objects/greeter?a=1&b=2"},
    )

    result = delivery.deliver(notification_id)

    [message] = mailbox.messages
    assert mailbox.envelopes == [(FROM, ["pat@example.com"])]
    assert (message["From"], message["To"]) == (FROM, "pat@example.com")
    assert message["Subject"] == "greeter v3 is live"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # as on the wire
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text.startswith(body) and "https://dobj.example.com/objects/greeter?a=1&b=2" in text
    assert "<p>Tests &amp; checks &lt;all&gt; passed.<br>\nSecond line.</p>" in html
    assert "<p>A new paragraph.</p>" in html
    assert '<a href="https://dobj.example.com/objects/greeter?a=1&amp;b=2">' in html
    row = stored(notification_id)
    assert (row.status, row.attempts, row.error) == ("sent", 1, None)
    assert row.provider_id == message["Message-ID"] == result["provider_id"]
    assert row.provider_id.endswith("@dobj.example.com>")


def test_an_alert_email_says_its_line_and_link_once(mailbox: Mailbox) -> None:
    from backend.access.audit import Actor
    from backend.accounts import users
    from backend.models import Notification
    from backend.monitoring import dispatcher, monitors

    user_id, email, _ = _person(preferred=Channel.EMAIL)
    with session_scope() as session:
        monitor_id = monitors.create_monitor_in(
            session, owner_id=user_id, event="user.created",
            condition=monitors.event_condition([]), channel="email", description="sign-ups",
            actor=Actor.operator("ops"), group_seconds=0,
        ).id  # fmt: skip
        users.add_user_in(session, name="Cleo", email="cleo@example.com", actor=Actor.operator("o"))
    dispatcher.run_once()
    with session_scope() as session:
        (notification_id,) = session.exec(select(Notification.id)).all()

    delivery.deliver(notification_id)

    [message] = mailbox.messages
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    line = "New user signed up: Cleo (cleo@example.com), not as an admin."
    link = f"/monitors/{monitor_id}"
    assert message["To"] == email and message["Subject"] == line
    assert text.count(line) == 1 and text.count(link) == 1, text
    assert text == f"{line}\n\nSent by monitor {monitor_id}.\n\n{text.split()[-1]}\n"
    html = message.get_body(("html",)).get_content()
    assert html.count(line) == 1 and html.count(link) == 2  # the href and the link shown


def test_the_subject_defaults_to_the_first_line(mailbox: Mailbox) -> None:
    notification_id = _queued(Channel.EMAIL, "pat@example.com", "\nDisk is full.\nDetails.")

    delivery.deliver(notification_id)

    assert mailbox.messages[0]["Subject"] == "Disk is full."


def test_a_refused_recipient_fails_at_once(mailbox: Mailbox) -> None:
    mailbox.refuse["nobody@example.com"] = "550 no such user"
    notification_id = _queued(Channel.EMAIL, "nobody@example.com")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "refused the email to nobody@example.com: 550 no such user" in row.error
    assert mailbox.messages == []


@pytest.mark.parametrize(("password", "status"), [("secret", "sent"), ("wrong", "failed")])
def test_the_login_is_used_and_a_refused_one_is_final(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch, password: str, status: str
) -> None:
    monkeypatch.setenv("SMTP_USERNAME", "bot")
    monkeypatch.setenv("SMTP_PASSWORD", password)
    config.reload_settings()
    notification_id = _queued(Channel.EMAIL, "pat@example.com")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts, len(mailbox.messages)) == (status, 1, status == "sent")
    if status == "failed":
        assert "refused the email to pat@example.com: 535" in row.error


def test_a_temporary_refusal_is_retried(mailbox: Mailbox) -> None:
    mailbox.refuse["busy@example.com"] = "451 try again later"
    notification_id = _queued(Channel.EMAIL, "busy@example.com")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "451 try again later" in row.error and "gave up after 3 tries" in row.error


def test_a_stopped_mail_server_is_retried_then_the_next_channel_is_tried(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_PORT", str(closed_port()))
    config.reload_settings()
    user_id, email, phone = _person(preferred=Channel.EMAIL, verified=True)
    notification_id = _queued(Channel.EMAIL, email, user_id=user_id, subject="Signups")

    result = delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "could not be reached" in row.error and "ConnectionRefusedError" in row.error
    [text] = replacements(notification_id)
    assert result["replaced_by"] == text.id
    assert (text.channel, text.target, text.status, text.purpose) == (
        "sms",
        phone,
        "queued",
        "alert",
    )
    assert text.body == (
        "This text replaces an email to you that could not be delivered: "
        "Monitor 'signups' fired: a new user signed up."
    )


# --- Slack ---------------------------------------------------------------------------------


@pytest.fixture
def slack(prism: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyVendor]:
    """Slack configured against Prism, through a peer that records and fails on request."""
    vendor = FlakyVendor(prism(SLACK_SPEC))
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_BASE_URL", vendor.url + "/")
    monkeypatch.setenv("SLACK_CHANNEL", SLACK_CHANNEL)
    config.reload_settings()
    yield vendor
    vendor.close()


def test_a_slack_message_is_posted(slack: FlakyVendor) -> None:
    notification_id = _queued(Channel.SLACK, "", "Disk *full* on web-1", data={"link": "https://x"})

    delivery.deliver(notification_id)

    [(method, path, body)] = slack.received
    assert (method, path, slack.answers) == ("POST", "/chat.postMessage", [200])
    sent = json.loads(body)
    assert sent == {"channel": SLACK_CHANNEL, "text": "Disk *full* on web-1\n<https://x>"}
    row = stored(notification_id)
    assert (row.status, row.attempts) == ("sent", 1)
    channel, _, ts = row.provider_id.partition(":")
    assert channel.startswith("C") and ts.replace(".", "").isdigit()  # Prism's example


def test_a_person_target_overrides_the_channel(slack: FlakyVendor) -> None:
    delivery.deliver(_queued(Channel.SLACK, "U0123ABC"))

    assert json.loads(slack.received[0][2])["channel"] == "U0123ABC"


def test_slack_saying_not_ok_is_a_permanent_failure(slack: FlakyVendor) -> None:
    slack.failures = [(200, {"ok": False, "error": "channel_not_found"})]
    notification_id = _queued(Channel.SLACK, "")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error == f"Slack refused the message to {SLACK_CHANNEL}: channel_not_found"


def test_a_slack_server_error_is_retried_then_failed(slack: FlakyVendor) -> None:
    slack.failures = [(500, {"ok": False, "error": "internal_error"})] * MAX_ATTEMPTS
    notification_id = _queued(Channel.SLACK, "")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "HTTP 500: internal_error" in row.error and "gave up after 3 tries" in row.error
    assert len(slack.requests) == MAX_ATTEMPTS  # the client's own retries are off


def test_slack_rate_limited_then_sent(slack: FlakyVendor) -> None:
    slack.failures = [(200, {"ok": False, "error": "ratelimited"})]
    notification_id = _queued(Channel.SLACK, "")

    delivery.deliver(notification_id)

    assert (stored(notification_id).status, stored(notification_id).attempts) == ("sent", 2)


def test_the_slack_channel_is_checked_once(slack: FlakyVendor) -> None:
    first = check_slack_channel()
    second = check_slack_channel()

    assert (
        first
        == second
        == {
            "ok": True,
            "channel": SLACK_CHANNEL,
            "name": "general",
            "checked": True,
        }
    )
    assert slack.requests == ["/conversations.info"]
    assert slack.answers == [200]


def test_a_missing_slack_channel_is_reported(slack: FlakyVendor) -> None:
    slack.failures = [(200, {"ok": False, "error": "channel_not_found"})]

    result = check_slack_channel()

    assert result["ok"] is False
    assert result["error"] == f"Slack refused the channel {SLACK_CHANNEL}: channel_not_found"


# --- GitHub --------------------------------------------------------------------------------


@pytest.fixture
def github(prism: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyVendor]:
    """GitHub configured against Prism, through a peer that records and fails on request."""
    vendor = FlakyVendor(prism(GITHUB_SPEC))
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_test")
    monkeypatch.setenv("GITHUB_REPO", REPO)
    monkeypatch.setenv("GITHUB_API_URL", vendor.url)
    monkeypatch.setenv("GITHUB_LABELS", "alert, monitor ,")
    config.reload_settings()
    yield vendor
    vendor.close()


def test_a_github_issue_is_opened_with_labels(github: FlakyVendor) -> None:
    body = "## Monitor fired\n\nA new user signed up."
    notification_id = _queued(Channel.GITHUB, "", body, subject="signups fired")

    result = delivery.deliver(notification_id)

    [(method, path, sent)] = github.received
    assert (method, path, github.answers) == ("POST", f"/repos/{REPO}/issues", [201])
    assert json.loads(sent) == {
        "title": "signups fired",
        "body": body,
        "labels": ["alert", "monitor"],
    }
    row = stored(notification_id)
    assert (row.status, row.attempts) == ("sent", 1)
    assert row.provider_id == result["provider_id"] == f"{REPO}#1347"  # Prism's example


def test_a_github_server_error_is_retried_then_failed(github: FlakyVendor) -> None:
    github.failures = [(500, {"message": "Server Error"})] * MAX_ATTEMPTS
    notification_id = _queued(Channel.GITHUB, "")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "GitHub failed on the issue in octocat/Hello-World: HTTP 500: Server Error" in row.error
    assert len(github.requests) == MAX_ATTEMPTS


def test_a_missing_github_repository_is_a_permanent_failure(github: FlakyVendor) -> None:
    github.failures = [(404, {"message": "Not Found", "documentation_url": "https://docs"})]
    notification_id = _queued(Channel.GITHUB, "")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.error == "GitHub refused the issue in octocat/Hello-World: HTTP 404: Not Found"


def test_the_github_repository_is_checked_once(github: FlakyVendor) -> None:
    first = check_github_repo()
    second = check_github_repo()

    assert first == second
    assert first["ok"] is True and first["repo"] == REPO and first["url"]
    assert github.requests == [f"/repos/{REPO}"]


# --- not configured, and the settings page --------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "sender", "names"),
    [
        (Channel.EMAIL, EmailSender(), "SMTP_HOST, FROM_EMAIL"),
        (Channel.SLACK, SlackSender(), "SLACK_BOT_TOKEN"),
        (Channel.GITHUB, GithubSender(), "GITHUB_TOKEN, GITHUB_REPO"),
    ],
)
def test_a_channel_not_configured_fails_naming_the_settings(
    monkeypatch: pytest.MonkeyPatch, channel: Channel, sender: Any, names: str
) -> None:
    for name in ("SMTP_HOST", "FROM_EMAIL", "SLACK_BOT_TOKEN", "GITHUB_TOKEN", "GITHUB_REPO"):
        monkeypatch.setenv(name, "")
    config.reload_settings()
    notification_id = _queued(channel, "somewhere")

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "not configured" in row.error and names in row.error
    with pytest.raises(ChannelNotConfigured, match=names):
        sender.send(stored(notification_id))


def _channels() -> dict[str, dict[str, Any]]:
    return {row.key: dataclasses.asdict(row) for row in settings_overview().channels}


def test_the_settings_page_shows_the_channels_checked(
    slack: FlakyVendor, github: FlakyVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("FROM_EMAIL", FROM)
    config.reload_settings()

    shown = _channels()
    _channels()  # a second load asks no vendor again

    assert shown["email"]["ok"] and shown["email"]["detail"] == f"from {FROM}"
    assert "smtp.example.com:587" in shown["email"]["message"]
    assert shown["slack"]["ok"] and shown["slack"]["detail"] == f"#general ({SLACK_CHANNEL})"
    assert shown["github"]["ok"] and shown["github"]["detail"] == REPO
    assert shown["github"]["message"] == "issues labelled alert, monitor ,"
    assert (len(slack.requests), len(github.requests)) == (1, 1)


def test_vendors_down_or_off_never_break_the_settings_page(monkeypatch: pytest.MonkeyPatch) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_BASE_URL", down)
    monkeypatch.setenv("SLACK_CHANNEL", SLACK_CHANNEL)
    monkeypatch.setenv("GITHUB_TOKEN", "")
    monkeypatch.setenv("SMTP_HOST", "")
    config.reload_settings()

    shown = _channels()

    assert (shown["slack"]["configured"], shown["slack"]["ok"]) == (True, False)
    assert shown["slack"]["message"].startswith("Slack could not be reached for the channel")
    assert (shown["github"]["configured"], shown["github"]["ok"]) == (False, False)
    assert "GITHUB_TOKEN" in shown["github"]["message"]
    assert not shown["email"]["configured"] and "SMTP_HOST" in shown["email"]["message"]


# --- the next channel -----------------------------------------------------------------------


def _fail_on_slack(monkeypatch: pytest.MonkeyPatch, **person: Any) -> tuple[int, list]:
    """A Slack alert for a person that fails for good (Slack not configured); its
    replacements."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "")
    config.reload_settings()
    user_id, _, _ = _person(**person)
    notification_id = _queued(Channel.SLACK, "U0123ABC", user_id=user_id)
    delivery.deliver(notification_id)
    assert stored(notification_id).status == "failed"
    return notification_id, replacements(notification_id)


def test_a_failed_slack_alert_goes_to_the_preferred_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, [email] = _fail_on_slack(monkeypatch, preferred=Channel.EMAIL, verified=False)

    assert (email.channel, email.target) == ("email", "pat@example.com")
    assert email.subject == "Monitor 'signups' fired: a new user signed up."
    assert email.body.startswith(
        "This email replaces a Slack message to you that could not be posted: Monitor"
    )


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        ({"verified": True}, "sms"),
        ({"verified": True, "sms_opted_out": True}, "voice"),
        ({"verified": False}, "email"),
    ],
)
def test_when_slack_is_preferred_a_verified_phone_comes_next_then_email(
    monkeypatch: pytest.MonkeyPatch, person: dict[str, Any], expected: str
) -> None:
    _, [replacement] = _fail_on_slack(monkeypatch, preferred=Channel.SLACK, **person)

    assert replacement.channel == expected
    if expected == "voice":
        assert replacement.body.startswith(
            "A Slack message to you could not be posted, so I'm calling instead."
        )


def test_a_replacement_is_never_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    _, [email] = _fail_on_slack(monkeypatch, preferred=Channel.EMAIL)
    monkeypatch.setenv("SMTP_HOST", "")
    config.reload_settings()

    result = delivery.deliver(int(email.id))

    assert result["status"] == "failed" and result["replaced_by"] is None
    assert replacements(int(email.id)) == []
    assert fallback.next_channel(stored(int(email.id))) is None


def test_a_failed_email_for_nobody_in_particular_stays_failed(mailbox: Mailbox) -> None:
    mailbox.refuse["team@example.com"] = "550 no such user"
    notification_id = _queued(Channel.EMAIL, "team@example.com")

    result = delivery.deliver(notification_id)

    assert result["status"] == "failed" and result["replaced_by"] is None
