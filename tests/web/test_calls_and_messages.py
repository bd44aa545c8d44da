"""Calls and messages, Notifications and Monitors as a member and as an admin sees them: a
member sees their own calls, texts, numbers and notifications, and another person's
monitor's buttons disabled with the reason; conversations are cards of turns in order,
filterable, with nothing cut off at 1280 or 1920 pixels wide."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from backend import db
from backend.access.audit import SYSTEM
from backend.models import Interaction, Notification, utcnow
from backend.monitoring import monitors
from tests.web.conftest import ADMIN, MEMBER, make_user, screenshot, sign_in

pytestmark = pytest.mark.browser

ADA_PHONE, BOB_PHONE, STRANGER = "+15551230001", "+15551230002", "+15559990000"
LONG_REPLY = (
    "Monitor 3 watches for a new user signing up and calls you at +15550001111; "
    "it fired 12 times today, the last at 14:02 for ann.long.address.for.wrapping@example.com, "
    "and you acknowledged it each time. Say 'pause monitor 3' to stop it for now, or "
    "'delete monitor 3' to remove it for good."
) * 2


def _seed() -> tuple[int, int, int]:
    """Ada (admin) and Bob (member), a call of Ada's, a text thread of Bob's, a stranger's
    text, a notification and a monitor each. Their ids and Ada's monitor's id."""
    ada, bob = make_user(ADMIN), make_user(MEMBER)
    start = utcnow() - timedelta(minutes=30)
    with db.session_scope() as session:
        turns = [
            ("voice", ADA_PHONE, ada, "", "greeted", "What can I do?", "CA0001"),
            ("voice", ADA_PHONE, ada, "list my monitors", "answered", LONG_REPLY, "CA0001"),
            ("sms", BOB_PHONE, bob, "how many users", "answered", "There are 2 users.", "SM1"),
            ("sms", BOB_PHONE, bob, "and payments", "answered", LONG_REPLY, "SM2"),
            ("sms", STRANGER, None, "who is this", "stranger", "Sorry, who is this?", "SM3"),
        ]
        for minute, (channel, phone, user, said, outcome, reply, sid) in enumerate(turns):
            session.add(
                Interaction(
                    channel=channel,
                    phone=phone,
                    user_id=user,
                    transcript=said,
                    outcome=outcome,
                    reply=reply,
                    provider_sid=sid,
                    command={"intent": "list_monitors"} if said == "list my monitors" else None,
                    confidence=0.93 if channel == "voice" and said else None,
                    created_at=start + timedelta(minutes=minute),
                )
            )
        form = {
            "event": "user.created",
            "condition": monitors.event_condition([]),
            "description": "call me when a user signs up",
        }
        ada_monitor = monitors.create_monitor_in(
            session, owner_id=ada, actor=SYSTEM, channel="voice", **form
        )
        monitors.create_monitor_in(session, owner_id=bob, actor=SYSTEM, channel="sms", **form)
        for user, phone in ((ada, ADA_PHONE), (bob, BOB_PHONE)):
            session.add(
                Notification(
                    channel="sms", target=phone, user_id=user, purpose="alert", status="sent"
                )
            )
    return ada, bob, ada_monitor.id


def _nothing_clipped(page: Page) -> None:
    """No text overflows its box or the page (wrapped, never cut off or scrolled)."""
    clipped = page.evaluate(
        """() => {
          const page = document.documentElement.scrollWidth > window.innerWidth + 1;
          const boxes = [...document.querySelectorAll('.turn-reply, .turn-transcript')]
            .filter((el) => el.closest('.conversation').getBoundingClientRect().right
                            < el.getBoundingClientRect().right - 1
                         || el.scrollWidth > el.clientWidth + 1);
          return { page, boxes: boxes.map((el) => el.textContent.slice(0, 40)) };
        }"""
    )
    assert clipped == {"page": False, "boxes": []}


def test_a_member_sees_only_their_own(harness, app_db, home: Page) -> None:
    _, bob, ada_monitor = _seed()
    page = sign_in(home, harness, bob, "/interactions")
    cards = page.locator("#conversations .conversation")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Bob Member")
    expect(cards.first.locator(".conversation-turn")).to_have_count(2)
    content = page.locator("#page-content")
    for other in (ADA_PHONE, STRANGER, "Ada Admin", "list my monitors", "who is this"):
        expect(content).not_to_contain_text(other)
    expect(page.locator("#interactions-person-filter")).to_have_count(0)  # no one else to pick

    page.goto(harness.frontend_url.rstrip("/") + "/notifications")
    rows = page.locator("#notifications-table .notification-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(BOB_PHONE)
    expect(page.locator("#page-content")).not_to_contain_text(ADA_PHONE)

    page.goto(harness.frontend_url.rstrip("/") + "/monitors")
    theirs = page.locator(f"#monitor-row-{ada_monitor}")
    expect(theirs.locator(".monitor-refused")).to_have_text(
        "Only an admin or the owner can change this monitor"
    )
    for button in (".monitor-pause", ".monitor-delete", ".monitor-silence-60"):
        expect(theirs.locator(button)).to_be_disabled()
        expect(theirs.locator(button)).to_have_attribute(
            "title", "Only an admin or the owner can change this monitor"
        )
    own = page.locator("#monitors-table .monitor-pause").and_(page.locator(":not([disabled])"))
    expect(own).to_have_count(1)  # Bob's own monitor's Pause works
    own.click()
    expect(page.locator("[data-sonner-toast]").filter(has_text="paused")).to_be_visible()


@pytest.mark.parametrize("width", [1280, 1920])
def test_an_admin_sees_conversations_as_cards_of_turns_filtered(
    harness, app_db, home: Page, width: int
) -> None:
    ada, _, _ = _seed()
    home.set_viewport_size({"width": width, "height": 900})
    page = sign_in(home, harness, ada, "/interactions")
    cards = page.locator("#conversations .conversation")
    expect(cards).to_have_count(3)
    # Newest first: the stranger's text, Bob's thread (two texts), Ada's call (two turns).
    expect(cards.nth(0)).to_contain_text("Unknown caller")
    expect(cards.nth(1).locator(".conversation-turn")).to_have_count(2)
    call = page.locator("#conversation-call-CA0001")
    turns = call.locator(".conversation-turn")
    expect(turns).to_have_count(2)
    expect(turns.nth(0)).to_contain_text("What can I do?")
    expect(turns.nth(1)).to_contain_text("They said: list my monitors")
    expect(turns.nth(1)).to_contain_text("list_monitors")
    expect(turns.nth(1)).to_contain_text("We answered: Monitor 3 watches")
    expect(turns.nth(1).locator(".turn-outcome")).to_have_text("answered")
    _nothing_clipped(page)
    screenshot(page, f"calls-and-messages-{width}")

    page.locator("#interactions-channel-filter").click()
    page.get_by_role("option", name="voice").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Ada Admin")
    page.locator("#interactions-channel-filter").click()
    page.get_by_role("option", name="all").click()
    page.locator("#interactions-person-filter").click()
    page.get_by_role("option", name="Bob Member").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(BOB_PHONE)
    page.locator("#interactions-person-filter").click()
    page.get_by_role("option", name="unknown numbers").click()
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(STRANGER)
    assert page.console_errors == []  # type: ignore[attr-defined]
