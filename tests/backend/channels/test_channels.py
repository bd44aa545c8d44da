"""Outgoing calls and text messages: the real twilio client against Prism (a mock that
validates every request against Twilio's own API description), delivery with retries and
the next-channel rule, status callbacks and the choice of channel."""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlmodel import Session, select
from twilio.http.response import Response

from backend import config
from backend.background import jobs
from backend.channels import delivery, fallback, registry, twilio_client
from backend.channels.base import ChannelNotConfigured
from backend.channels.notify import choose_channel, notify_person, record_provider_status
from backend.channels.sms import SmsSender
from backend.channels.voice import STATUS_EVENTS, TWIML_MAX_CHARS, VoiceSender
from backend.db import session_scope
from backend.enums import Channel, JobKind, NotificationPurpose, NotificationStatus, TaskStatus
from backend.errors import InvalidInput
from backend.models import Notification, Task
from tests.support.factories import phone_user
from tests.support.flaky_vendor import FlakyVendor, twilio_error
from tests.support.llm_server import closed_port
from tests.support.notification_rows import queued, replacements, stored
from tests.support.prism import TWILIO_ACCOUNT_SID

PUBLIC = "https://dobj.example.com"
PHONE = "+15551230001"
MAX_ATTEMPTS = 3


class RecordingHttpClient(twilio_client.BaseUrlHttpClient):
    """The product's http client, keeping what was sent and what came back.

    `tamper(url, data)` may change a request before it goes (to make one Prism rejects).
    Errors Prism can't produce (Twilio's spec declares none) come from a real HTTP peer in
    front of it (`flaky_twilio`).
    """

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.sent: list[dict[str, Any]] = []
        self.answers: list[Response] = []
        self.tamper: Callable[[str, dict[str, Any]], None] | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        data = dict(kwargs.get("data") or {})
        if self.tamper is not None:
            self.tamper(url, data)
            kwargs["data"] = data
        self.sent.append({"method": method, "url": url, "data": data})
        super().request(method, url, *args, **kwargs)
        assert self.last_response is not None
        self.answers.append(self.last_response)
        return self.last_response


@pytest.fixture
def twilio(
    sqlite_db: str, prism_twilio: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RecordingHttpClient]:
    """Twilio configured against Prism; every send goes through the returned http client."""
    for name, value in {
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "test-token",
        "TWILIO_PHONE_NUMBER": "+15550009999",
        "TWILIO_API_BASE_URL": prism_twilio,
        "PUBLIC_BASE_URL": PUBLIC,
        "NOTIFY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "NOTIFY_RETRY_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    config.reload_settings()
    recorder = RecordingHttpClient(prism_twilio)

    def client() -> Any:
        recorder.base_url = config.get_settings().twilio_api_base_url
        return twilio_client.make_client(http_client=recorder)

    monkeypatch.setitem(registry.SENDERS, Channel.SMS, SmsSender(client))
    monkeypatch.setitem(registry.SENDERS, Channel.VOICE, VoiceSender(client))
    yield recorder


def _queued(
    channel: Channel,
    body: str = "Your change to greeter is live.",
    *,
    purpose: NotificationPurpose = NotificationPurpose.ALERT,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """A queued notification row, without its job (the test delivers it itself)."""
    return queued(channel, target=PHONE, body=body, purpose=purpose, user_id=user_id, data=data)


def _send_jobs(notification_id: int) -> list[Task]:
    with session_scope() as session:
        rows = session.exec(select(Task).where(Task.kind == JobKind.NOTIFICATION_SEND)).all()
        return [row for row in rows if row.params.get("notification_id") == notification_id]


def _reject_calls(url: str, data: dict[str, Any]) -> None:
    """Make every call request invalid for Twilio's spec (Prism answers 422)."""
    if url.endswith("/Calls.json"):
        data["StatusCallbackMethod"] = "PUT"


# --- sending through Prism ---------------------------------------------------------------


def test_sms_is_sent_with_the_sid_twilio_returned(twilio: RecordingHttpClient) -> None:
    notification_id = _queued(Channel.SMS, "Done: greeter v3 is live.")

    result = delivery.deliver(notification_id)

    [request] = twilio.sent
    [answer] = twilio.answers
    assert answer.status_code == 201, answer.text  # Prism found the request valid
    assert request["url"].endswith(f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json")
    assert request["data"]["To"] == PHONE
    assert request["data"]["From"] == "+15550009999"
    assert request["data"]["Body"] == "Done: greeter v3 is live."
    assert request["data"]["StatusCallback"] == PUBLIC + "/webhooks/sms/status"
    row = stored(notification_id)
    sid = json.loads(answer.text)["sid"]
    assert sid.startswith("SM")
    assert (row.status, row.provider_id, row.attempts, row.error) == ("sent", sid, 1, None)
    assert row.sent_at is not None
    assert result["status"] == "sent" and result["provider_id"] == sid


def test_call_carries_twiml_status_callback_and_events(twilio: RecordingHttpClient) -> None:
    notification_id = _queued(Channel.VOICE, "Tests & checks passed <all of them>.")

    delivery.deliver(notification_id)

    [request] = twilio.sent
    [answer] = twilio.answers
    assert answer.status_code == 201, answer.text
    data = request["data"]
    assert data["StatusCallback"] == PUBLIC + "/webhooks/voice/status"
    assert list(data["StatusCallbackEvent"]) == STATUS_EVENTS
    assert data["StatusCallbackMethod"] == "POST"
    say = ET.fromstring(data["Twiml"]).find("Say")
    assert say is not None and say.text == "Tests & checks passed <all of them>."
    assert say.get("language") == "en-US"
    row = stored(notification_id)
    assert row.status == "sent" and row.provider_id == json.loads(answer.text)["sid"]
    assert row.provider_id.startswith("CA")


def test_a_call_plays_the_twiml_it_was_given(twilio: RecordingHttpClient) -> None:
    twiml = "<Response><Say>Press 1 to approve.</Say><Gather numDigits='1'/></Response>"
    notification_id = _queued(Channel.VOICE, "Approve?", data={"twiml": twiml})

    delivery.deliver(notification_id)

    assert twilio.sent[0]["data"]["Twiml"] == twiml
    assert stored(notification_id).status == "sent"


def test_a_long_message_is_shortened_to_valid_twiml(twilio: RecordingHttpClient) -> None:
    long_text = "Results & <details>: " + "every check passed, " * 400
    notification_id = _queued(Channel.VOICE, long_text)

    delivery.deliver(notification_id)

    twiml = twilio.sent[0]["data"]["Twiml"]
    assert len(twiml) <= TWIML_MAX_CHARS
    said = ET.fromstring(twiml).find("Say").text  # still well-formed XML
    assert said.startswith("Results & <details>: every check passed,")
    assert said.endswith("too long to read out in full.")
    assert stored(notification_id).status == "sent"


def test_twiml_over_the_cap_is_never_sent(twilio: RecordingHttpClient) -> None:
    twiml = "<Response><Say>" + "x" * TWIML_MAX_CHARS + "</Say></Response>"
    notification_id = _queued(Channel.VOICE, "x", data={"twiml": twiml})

    delivery.deliver(notification_id)

    assert twilio.sent == []
    row = stored(notification_id)
    assert row.status == "failed" and "at most 4000" in row.error


def test_the_default_client_sends_to_the_configured_base_url(twilio: RecordingHttpClient) -> None:
    client = twilio_client.make_client()

    message = client.messages.create(to=PHONE, from_="+15550009999", body="hi")

    assert isinstance(client.http_client, twilio_client.BaseUrlHttpClient)
    assert client.http_client.base_url == twilio.base_url  # Prism's
    assert message.sid.startswith("SM")
    assert twilio.sent == []  # not through the test's recorder


# --- failures ---------------------------------------------------------------------------------


def test_a_rejected_request_fails_at_once_with_a_readable_error(
    twilio: RecordingHttpClient,
) -> None:
    twilio.tamper = _reject_calls
    notification_id = _queued(Channel.VOICE)

    result = delivery.deliver(notification_id)

    assert [answer.status_code for answer in twilio.answers] == [422]
    row = stored(notification_id)
    assert (row.status, row.attempts, row.provider_id) == ("failed", 1, None)
    assert row.error.startswith("Twilio refused the call: HTTP 422")
    assert "StatusCallbackMethod must be equal to one of the allowed values" in row.error
    [text] = replacements(notification_id)  # an alert goes out by the next channel too
    assert result["status"] == "failed" and result["replaced_by"] == text.id


@pytest.fixture
def flaky_twilio(
    twilio: RecordingHttpClient, prism_twilio: str, monkeypatch
) -> Iterator[FlakyVendor]:
    """Twilio behind a real HTTP peer that answers errors on request, then passes on to
    Prism."""
    vendor = FlakyVendor(prism_twilio)
    monkeypatch.setenv("TWILIO_API_BASE_URL", vendor.url)
    config.reload_settings()
    yield vendor
    vendor.close()


def test_a_server_error_is_retried_then_failed(
    flaky_twilio: FlakyVendor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_RETRY_SECONDS", "0.25")
    config.reload_settings()
    waits: list[float] = []
    real_sleep, here = time.sleep, threading.get_ident()

    def sleep(seconds: float) -> None:
        # `delivery.time` is the time module itself: other threads of this process (a flusher
        # an earlier test started) sleep through it too, and must go on sleeping for real.
        if threading.get_ident() == here:
            waits.append(seconds)
        else:
            real_sleep(seconds)

    monkeypatch.setattr(delivery.time, "sleep", sleep)
    flaky_twilio.failures = [twilio_error(503, 20503, "Service unavailable")] * MAX_ATTEMPTS
    notification_id = _queued(Channel.SMS)

    result = delivery.deliver(notification_id)

    assert waits == [0.25, 0.5]  # doubled before each further try
    assert len(flaky_twilio.requests) == MAX_ATTEMPTS
    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert "HTTP 503, Twilio error 20503: Unable to create record: Service unavailable" in (
        row.error
    )
    assert f"gave up after {MAX_ATTEMPTS} tries" in row.error
    assert result["attempts"] == MAX_ATTEMPTS


def test_a_server_error_then_success_is_sent(flaky_twilio: FlakyVendor) -> None:
    flaky_twilio.failures = [twilio_error(500, 20500, "Internal server error")]
    notification_id = _queued(Channel.VOICE)

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.provider_id and len(flaky_twilio.requests) == 2


def test_an_opted_out_number_is_a_permanent_failure(flaky_twilio: FlakyVendor) -> None:
    flaky_twilio.failures = [twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")]
    notification_id = _queued(Channel.SMS)

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "HTTP 400, Twilio error 21610" in row.error
    assert "Attempt to send to unsubscribed recipient" in row.error


def test_an_unreachable_twilio_is_retried(
    twilio: RecordingHttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_API_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    config.reload_settings()
    notification_id = _queued(Channel.VOICE)

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert row.error.startswith("Twilio could not be reached for the call")


def test_a_failed_result_call_is_replaced_by_a_text(twilio: RecordingHttpClient) -> None:
    twilio.tamper = _reject_calls
    call_id = _queued(Channel.VOICE, "greeter v3 is live.", purpose=NotificationPurpose.RESULT)

    result = delivery.deliver(call_id)

    [text] = replacements(call_id)
    assert result["replaced_by"] == text.id
    assert (text.channel, text.status, text.target) == ("sms", "queued", PHONE)
    assert text.body == "This text replaces a call that did not get through: greeter v3 is live."
    assert [task.status for task in _send_jobs(text.id)] == [TaskStatus.PENDING]
    # The text goes out; had it failed too, nothing would replace it in turn.
    delivery.deliver(int(text.id))
    assert stored(int(text.id)).status == "sent"
    assert fallback.next_channel(text) is None
    assert text.subject == "greeter v3 is live."  # the original's title


def test_a_text_to_an_opted_out_person_becomes_a_call(twilio: RecordingHttpClient) -> None:
    with session_scope() as session:
        user_id = int(phone_user(session, sms_opted_out=True).id)
    text_id = _queued(Channel.SMS, "Your code is 4321.", user_id=user_id)

    result = delivery.deliver(text_id)

    assert twilio.sent == []
    row = stored(text_id)
    assert row.status == "suppressed" and "opted out" in row.error
    [call] = replacements(text_id)
    assert result["replaced_by"] == call.id
    assert call.channel == "voice"
    assert call.body == "You opted out of text messages, so I'm calling. Your code is 4321."
    delivery.deliver(int(call.id))
    assert "so I'm calling. Your code is 4321." in twilio.sent[0]["data"]["Twiml"]
    assert stored(int(call.id)).status == "sent"


def test_twilio_not_configured_fails_naming_the_settings(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER"):
        monkeypatch.setenv(name, "")
    config.reload_settings()
    notification_id = _queued(Channel.SMS)

    delivery.deliver(notification_id)

    row = stored(notification_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "Twilio is not configured" in row.error
    assert "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER" in row.error
    with pytest.raises(ChannelNotConfigured, match="TWILIO_AUTH_TOKEN"):
        twilio_client.make_client()


def test_delivering_twice_sends_once(twilio: RecordingHttpClient) -> None:
    notification_id = _queued(Channel.SMS)

    first = delivery.deliver(notification_id)
    second = delivery.deliver(notification_id)

    assert len(twilio.sent) == 1
    assert second == {**first, "skipped": True}


def test_a_missing_notification_is_an_error(sqlite_db: str) -> None:
    with pytest.raises(Exception, match="notification 999 does not exist"):
        delivery.deliver(999)


def test_the_job_sends_it_and_succeeds(twilio: RecordingHttpClient) -> None:
    notification_id = _queued(Channel.SMS)
    with session_scope() as session:
        task_id = int(
            jobs.schedule(
                session, JobKind.NOTIFICATION_SEND, {"notification_id": notification_id}, here=True
            ).id
        )

    task = jobs.run_here(task_id)

    assert task.status == TaskStatus.SUCCEEDED
    assert task.result["status"] == "sent"
    assert task.result["provider_id"] == stored(notification_id).provider_id
    # A delivery failure is the row's outcome, not the job's: the job still succeeds.
    twilio.tamper = _reject_calls
    call_id = _queued(Channel.VOICE)
    with session_scope() as session:
        task_id = int(
            jobs.schedule(
                session, JobKind.NOTIFICATION_SEND, {"notification_id": call_id}, here=True
            ).id
        )
    task = jobs.run_here(task_id)
    assert task.status == TaskStatus.SUCCEEDED and task.result["status"] == "failed"
    # No row to deliver is the job's failure.
    with session_scope() as session:
        task_id = int(
            jobs.schedule(
                session, JobKind.NOTIFICATION_SEND, {"notification_id": 999}, here=True
            ).id
        )
    task = jobs.run_here(task_id)
    assert task.status == TaskStatus.FAILED and "notification 999 does not exist" in task.error


# --- status callbacks ---------------------------------------------------------------------


def _sent_row(channel: Channel, sid: str, purpose: NotificationPurpose) -> int:
    notification_id = _queued(channel, "greeter v3 is live.", purpose=purpose)
    with session_scope() as session:
        row = session.get(Notification, notification_id)
        row.status, row.provider_id, row.attempts = NotificationStatus.SENT, sid, 1
        session.add(row)
    return notification_id


def _callback(sid: str, status: str, error_code: str | None = None) -> str | None:
    with session_scope() as session:
        row = record_provider_status(session, sid, status, error_code=error_code)
        return None if row is None else row.status


def test_call_statuses_end_delivered_and_late_callbacks_change_nothing(sqlite_db: str) -> None:
    sid = "CA" + "1" * 32
    notification_id = _sent_row(Channel.VOICE, sid, NotificationPurpose.RESULT)

    assert [_callback(sid, s) for s in ("initiated", "ringing", "answered")] == ["sent"] * 3
    assert _callback(sid, "completed") == "delivered"
    # Out of order: Twilio's earlier events, or a stray failure, arrive after the end.
    assert [_callback(sid, s) for s in ("ringing", "in-progress", "no-answer")] == ["delivered"] * 3
    assert stored(notification_id).error is None
    assert replacements(notification_id) == []
    assert _callback("CA" + "9" * 32, "completed") is None


def test_an_undelivered_result_text_fails_and_becomes_a_call(sqlite_db: str) -> None:
    sid = "SM" + "2" * 32
    notification_id = _sent_row(Channel.SMS, sid, NotificationPurpose.RESULT)

    assert _callback(sid, "sending") == "sent"
    assert _callback(sid, "undelivered", "30003") == "failed"
    assert _callback(sid, "delivered") == "failed"  # a late callback never revives it
    assert _callback(sid, "failed") == "failed"

    row = stored(notification_id)
    assert row.error == (
        "Twilio reported the text message undelivered: the carrier could not deliver it, "
        "Twilio error 30003"
    )
    [call] = replacements(notification_id)  # exactly one, despite the repeated failure
    assert call.channel == "voice" and call.body.startswith("A text message to you could not")


def test_a_busy_alert_call_fails_and_becomes_a_text(sqlite_db: str) -> None:
    sid = "CA" + "3" * 32
    notification_id = _sent_row(Channel.VOICE, sid, NotificationPurpose.ALERT)

    assert _callback(sid, "busy") == "failed"
    assert "the line was busy" in stored(notification_id).error
    [text] = replacements(notification_id)
    assert (text.channel, text.target, text.purpose) == ("sms", PHONE, "alert")
    assert text.body == "This text replaces a call that did not get through: greeter v3 is live."


def test_a_failed_verification_code_is_not_sent_again(sqlite_db: str) -> None:
    sid = "SM" + "4" * 32
    notification_id = _sent_row(Channel.SMS, sid, NotificationPurpose.VERIFICATION)

    assert _callback(sid, "undelivered") == "failed"
    assert replacements(notification_id) == []  # the person asks for a new code


# --- choosing the channel -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preferred", "asked_by", "verified", "opted_out", "expected"),
    [
        (Channel.VOICE, Channel.SMS, True, False, Channel.VOICE),
        (Channel.SMS, None, False, False, Channel.SMS),
        (Channel.EMAIL, Channel.VOICE, True, False, Channel.VOICE),
        (Channel.EMAIL, Channel.SMS, False, False, Channel.SMS),
        (Channel.EMAIL, Channel.WEB, True, False, Channel.SMS),
        (Channel.EMAIL, None, True, False, Channel.SMS),
        (Channel.EMAIL, None, True, True, Channel.VOICE),
        (Channel.SMS, None, True, True, Channel.VOICE),
    ],
)
def test_the_channel_follows_preference_then_how_they_asked(
    sqlite_db: str,
    preferred: Channel,
    asked_by: Channel | None,
    verified: bool,
    opted_out: bool,
    expected: Channel,
) -> None:
    with session_scope() as session:
        user = phone_user(session, preferred=preferred, verified=verified, sms_opted_out=opted_out)
        assert choose_channel(user, asked_by) == expected


def test_notify_person_queues_to_their_phone(sqlite_db: str) -> None:
    with session_scope() as session:
        user = phone_user(session, preferred=Channel.VOICE)
        notification = notify_person(
            session,
            user,
            body="greeter v3 is live.",
            purpose=NotificationPurpose.RESULT,
            asked_by=Channel.SMS,
            data={"modification_id": 7},
        )
        notification_id = int(notification.id)
    row = stored(notification_id)
    assert (row.channel, row.target, row.status, row.purpose) == (
        "voice",
        PHONE,
        "queued",
        "result",
    )
    assert row.data == {"modification_id": 7}
    assert len(_send_jobs(notification_id)) == 1


def _refusal(session: Session, **user: Any) -> str:
    with pytest.raises(InvalidInput) as refused:
        notify_person(
            session,
            phone_user(session, **user),
            body="hi",
            purpose=NotificationPurpose.ALERT,
        )
    return str(refused.value)


def test_a_person_without_a_usable_phone_is_refused_clearly(sqlite_db: str) -> None:
    with session_scope() as session:
        user = phone_user(session, name="Nophone", phone="+15551230002")
        user.phone = None
        with pytest.raises(InvalidInput, match="Nophone has no phone number"):
            notify_person(session, user, body="hi", purpose=NotificationPurpose.ALERT)
        assert "not verified" in _refusal(session, name="Unverified", verified=False)
