"""Verified numbers, codes sent by SMS, PINs and SMS opt-out (backend.accounts.phones)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from backend import config, db
from backend.access.audit import Actor
from backend.access.permissions import PermissionDenied
from backend.accounts import phones, users
from backend.enums import Channel, EventName, NotificationPurpose
from backend.errors import Conflict, InvalidInput
from backend.models import AuditEntry, Notification, PhoneVerification, SignInFailures, User

OPERATOR = Actor.operator("ops")
ADA_PHONE = "+15551230001"


def _user(name: str, *, phone: str | None = None, verified: bool = False, admin=False) -> User:
    with db.session_scope() as session:
        return users.add_user_in(
            session,
            name=name,
            email=f"{name.lower()}@example.com",
            phone=phone,
            phone_verified=verified,
            is_admin=admin,
            actor=OPERATOR,
        )


def _me(user: User) -> Actor:
    return Actor.for_user(user, Channel.WEB)


def _send_code(user: User, phone: str = ADA_PHONE) -> str:
    """Ask for a code as the person; the code, read from the queued SMS."""
    with db.session_scope() as session:
        phones.start_phone_verification_in(session, user.id, phone, actor=_me(user))
    return latest_code(user.id)


def latest_code(user_id: int) -> str:
    with db.session_scope() as session:
        sms = session.exec(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
        ).first()
    assert sms.channel == Channel.SMS and sms.purpose == NotificationPurpose.VERIFICATION
    return re.search(r"\b(\d{6})\b", sms.body).group(1)


def _confirm(user: User, code: str) -> User:
    with db.session_scope() as session:
        return phones.confirm_phone_in(session, user.id, code, actor=_me(user))


def _recognised(phone: str | None) -> int | None:
    with db.session_scope() as session:
        found = phones.find_verified_user(session, phone)
        return found.id if found else None


def test_only_verified_numbers_are_recognised(sqlite_db):
    trusted = _user("Ada", phone="+1 (555) 123-0001", verified=True)
    unverified = _user("Bob", phone="+15551230002")
    assert trusted.phone_verified and not unverified.phone_verified
    assert _recognised("+1 555 123 0001") == trusted.id
    assert _recognised("+15551230002") is None
    for withheld in ("", None, "anonymous", "Anonymous", "+266696687", "restricted", "12ab"):
        assert _recognised(withheld) is None


def test_a_code_sent_by_sms_verifies_the_number(sqlite_db):
    ada = _user("Ada")
    code = _send_code(ada)
    with db.session_scope() as session:
        sms = session.exec(select(Notification)).one()
        assert sms.target == ADA_PHONE and code in sms.body
        pending = session.exec(select(PhoneVerification)).one()
        assert code not in pending.code_hash and pending.user_id == ada.id
        assert session.get(User, ada.id).phone == ADA_PHONE
    assert _recognised(ADA_PHONE) is None
    assert _confirm(ada, code[:3] + " " + code[3:]).phone_verified
    assert _recognised(ADA_PHONE) == ada.id
    with pytest.raises(InvalidInput, match="already verified"):
        _send_code(ada)
    with db.session_scope() as session:
        entries = session.exec(select(AuditEntry)).all()
    assert [e.action for e in entries][-2:] == [
        EventName.PHONE_VERIFICATION_SENT,
        EventName.PHONE_VERIFIED,
    ]
    assert all(code not in str(e.detail) for e in entries), "no code in the audit log"


def test_changing_the_number_makes_it_unverified_again(sqlite_db):
    ada = _user("Ada", phone=ADA_PHONE, verified=True)
    with db.session_scope() as session:
        users.update_profile_in(
            session, ada.id, name="Ada", phone=ADA_PHONE, preferred_channel="email"
        )
    assert _recognised(ADA_PHONE) == ada.id, "saving the same number keeps it verified"
    with db.session_scope() as session:
        users.update_profile_in(
            session, ada.id, name="Ada", phone="+15559990000", preferred_channel="email"
        )
    assert _recognised("+15559990000") is None


def test_wrong_codes_are_limited_and_codes_expire(sqlite_db, monkeypatch):
    ada = _user("Ada")
    code = _send_code(ada)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(InvalidInput, match="6 digits"):
        _confirm(ada, "12")
    for left in range(phones.MAX_CODE_ATTEMPTS - 1, 0, -1):
        with pytest.raises(InvalidInput, match=f"wrong code: {left} tr"):
            _confirm(ada, wrong)
    with pytest.raises(InvalidInput, match="last try"):
        _confirm(ada, wrong)
    with pytest.raises(InvalidInput, match="no longer works"):
        _confirm(ada, code)  # the right one, too late
    with db.session_scope() as session:
        session.get(PhoneVerification, 1).created_at -= timedelta(minutes=1)  # not "just now"
    code = _send_code(ada)
    with db.session_scope() as session:
        session.exec(
            select(PhoneVerification).where(PhoneVerification.id == 2)
        ).one().expires_at -= timedelta(hours=1)
    with pytest.raises(InvalidInput, match="expired"):
        _confirm(ada, code)


def test_codes_are_not_sent_too_often(sqlite_db):
    ada = _user("Ada")
    _send_code(ada)
    with pytest.raises(InvalidInput, match="just now"):
        _send_code(ada)
    with pytest.raises(InvalidInput, match="no code was sent"):
        _confirm(_user("Bob"), "123456")


def test_rights_and_numbers_taken(sqlite_db):
    ada = _user("Ada", phone=ADA_PHONE)
    bob = _user("Bob")
    admin = _user("Root", admin=True)
    with db.session_scope() as session, pytest.raises(Conflict, match="already exists"):
        phones.start_phone_verification_in(session, bob.id, ADA_PHONE, actor=_me(bob))
    with db.session_scope() as session, pytest.raises(PermissionDenied):
        phones.start_phone_verification_in(session, ada.id, "+15550000009", actor=_me(bob))
    with db.session_scope() as session, pytest.raises(PermissionDenied):
        phones.mark_phone_verified_in(session, "ada@example.com", actor=_me(bob))
    with db.session_scope() as session, pytest.raises(InvalidInput, match="no phone"):
        phones.mark_phone_verified_in(session, "bob@example.com", actor=_me(admin))
    with db.session_scope() as session:
        assert phones.mark_phone_verified_in(session, "ada@example.com", actor=_me(admin)).id
    assert _recognised(ADA_PHONE) == ada.id
    with db.session_scope() as session:
        phones.set_pin_in(session, bob.id, "2468", actor=_me(admin))  # an admin, for anyone
        with pytest.raises(PermissionDenied):
            phones.set_pin_in(session, ada.id, "2468", actor=_me(bob))


def test_pins_are_hashed_checked_and_locked_after_too_many_wrong(sqlite_db, monkeypatch):
    monkeypatch.setenv("PIN_MAX_FAILURES", "3")
    config.reload_settings()
    ada = _user("Ada", phone=ADA_PHONE, verified=True)
    with db.session_scope() as session, pytest.raises(phones.NoPin, match="settings page"):
        phones.check_pin(session, session.get(User, ada.id), "1234")
    for bad in ("123", "123456789", "12a4", ""):
        with db.session_scope() as session, pytest.raises(InvalidInput, match="4 to 8 digits"):
            phones.set_pin_in(session, ada.id, bad, actor=_me(ada))
    with db.session_scope() as session:
        user = phones.set_pin_in(session, ada.id, "1234", actor=_me(ada))
        assert phones.has_pin(user) and "1234" not in user.pin_hash

    def check(pin: str) -> bool:
        with db.session_scope() as session:
            return phones.check_pin(session, session.get(User, ada.id), pin)

    assert check("1234")
    assert not check("9999") and not check("0000")
    assert check("1234"), "a right PIN starts the count again"
    assert not any(check("0000") for _ in range(3))
    with pytest.raises(phones.PinLocked, match=r"Too many wrong PINs\. Please try again in"):
        check("1234")
    with db.session_scope() as session:
        phones.set_pin_in(session, ada.id, "55555", actor=_me(ada))  # a new PIN unlocks
        assert session.exec(select(SignInFailures)).all() == []
        actions = [e.action for e in session.exec(select(AuditEntry))]
        details = [str(e.detail) for e in session.exec(select(AuditEntry))]
    assert check("55555")
    assert actions.count(EventName.USER_PIN_SET) == 2
    assert EventName.SIGN_IN_LOCKED in actions
    assert not any("1234" in d or "55555" in d for d in details)


def test_sms_opt_out(sqlite_db):
    ada = _user("Ada", phone=ADA_PHONE, verified=True)
    with db.session_scope() as session:
        assert phones.set_sms_opt_out(session, "+1 555 123 0001", True).id == ada.id
        assert phones.set_sms_opt_out(session, "+15550000000", True) is None
        assert phones.set_sms_opt_out(session, "anonymous", True) is None
    with db.session_scope() as session:
        assert session.get(User, ada.id).sms_opted_out
        session.get(User, ada.id).phone_verified = False
    with pytest.raises(InvalidInput, match="STOP"):
        _send_code(ada)
    with db.session_scope() as session:
        assert not phones.set_sms_opt_out(session, ADA_PHONE, False).sms_opted_out
        changes = session.exec(
            select(AuditEntry).where(AuditEntry.action == EventName.SMS_OPT_OUT_CHANGED)
        ).all()
    assert [c.detail["opted_out"] for c in changes] == [True, False]


def test_one_number_one_person_on_both_databases(migrated_db):
    """Two people claiming one number: the unique index refuses the second."""
    ada, bob = _user("Ada"), _user("Bob")
    _send_code(ada)
    with db.session_scope() as session, pytest.raises(Conflict):
        phones.start_phone_verification_in(session, bob.id, ADA_PHONE, actor=_me(bob))
    with db.session_scope() as session, pytest.raises(Conflict):
        users.update_profile_in(
            session, bob.id, name="Bob", phone=ADA_PHONE, preferred_channel="email"
        )
    code = latest_code(ada.id)
    with pytest.raises(InvalidInput, match="4 tries left"):
        _confirm(ada, f"{(int(code) + 1) % 10**6:06d}")
    with db.session_scope() as session:
        assert session.exec(select(PhoneVerification)).one().attempts == 1, "counted, kept"
    assert _confirm(ada, code).phone_verified
    assert _recognised(ADA_PHONE) == ada.id


def test_webhook_urls_are_built_from_the_public_base_url(sqlite_db, monkeypatch):
    from backend import urls
    from backend.read_models.settings_page import settings_overview

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://dob.example.com/")
    config.reload_settings()
    assert urls.public_url(urls.VOICE_STATUS_PATH) == (
        "https://dob.example.com/webhooks/voice/status"
    )
    twilio = settings_overview().twilio
    assert not twilio.configured and "TWILIO_ACCOUNT_SID" in twilio.message
    assert [w.url for w in twilio.webhooks] == [
        "https://dob.example.com/webhooks/voice",
        "https://dob.example.com/webhooks/sms",
        "https://dob.example.com/webhooks/voice/status",
    ]


def test_interactions_read_newest_first_with_the_person(sqlite_db):
    from backend.access.audit import SYSTEM
    from backend.models import Interaction
    from backend.read_models.interactions import read_interactions

    ada = _user("Ada", phone=ADA_PHONE, verified=True)
    with db.session_scope() as session:
        session.add(Interaction(channel="sms", phone="+15550000000", transcript="hi"))
        session.flush()
        session.add(
            Interaction(
                channel="voice",
                phone=ADA_PHONE,
                user_id=ada.id,
                transcript="deploy calc",
                confidence=0.876,
                command={"intent": "deploy", "slug": "calc"},
                outcome="confirmed",
                reply="Deployed.",
                provider_sid="CA123",
            )
        )
    rows = read_interactions(SYSTEM)
    assert [(r.person, r.intent, r.confidence, r.sid) for r in rows] == [
        ("Ada", "deploy", "0.88", "CA123"),
        ("", "", "", ""),
    ]
