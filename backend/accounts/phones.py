"""Phone numbers people can be recognised by, the PIN that confirms changes by phone, and
SMS opt-out.

Only a verified number is recognised when it calls or texts (`find_verified_user`): a number
an admin adds (the CLI) is trusted; a number a person enters in the web app is verified by a
6-digit code sent by SMS (`start_phone_verification`, then `confirm_phone`). Codes are kept
only as keyed hashes, expire after PHONE_CODE_MINUTES and die after MAX_CODE_ATTEMPTS wrong
tries. PINs are hashed like passwords; PIN_MAX_FAILURES wrong PINs in a row lock them for
SIGN_IN_LOCK_MINUTES, counted in the sign-in limits' table under "pin:<user id>". Neither a
code nor a PIN is ever written to the audit log.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `start_phone_verification(...), confirm_phone(...), mark_phone_verified(...),
set_pin(...)`; a backend service composing several steps in one transaction calls the
`_in(session, ...)` form, which never commits.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.accounts import auth, sign_in_limits, users
from backend.channels import outbox
from backend.config import get_settings
from backend.db import own_transaction, session_scope
from backend.enums import Channel, EventName, NotificationPurpose
from backend.errors import Conflict, InvalidInput, ProductError
from backend.events import activity
from backend.models import PhoneVerification, User, utcnow

#: What Twilio sends as the caller's number when it is withheld (besides an empty one).
WITHHELD_NUMBERS = frozenset(
    {"", "anonymous", "+266696687", "266696687", "restricted", "private", "unknown", "blocked"}
)
CODE_DIGITS = 6
MAX_CODE_ATTEMPTS = 5
#: A person may ask for this many codes an hour, and for one only every RESEND_SECONDS.
MAX_CODES_PER_HOUR = 5
RESEND_SECONDS = 30
PIN_PATTERN = re.compile(r"^\d{4,8}$")
PRODUCT_NAME = "Durable Objects"


#: What a person without a PIN is told when a change by phone or SMS needs one.
NO_PIN = (
    "You have no PIN yet. Set one on the settings page of the web app, or ask an admin to set "
    "one for you."
)


class NoPin(ProductError):
    """The person has no PIN yet, so nothing that needs one can be done by phone or SMS."""


class PinLocked(ProductError):
    """Too many wrong PINs lately: refused for now (the message can be spoken as it is)."""


def find_verified_user(session: Session, phone: str | None) -> User | None:
    """The person whose verified number `phone` is; None for a withheld, malformed or
    unverified number (never matched to anybody)."""
    statement = verified_user(phone)
    return None if statement is None else session.exec(statement).first()


def verified_user(phone: str | None) -> Select | None:
    """The statement that finds the person whose verified number `phone` is (for a caller
    that reads it along with other things); None for a withheld or malformed number."""
    if (phone or "").strip().lower() in WITHHELD_NUMBERS:
        return None
    try:
        number = users.normalise_phone(phone or "")
    except InvalidInput:
        return None
    return select(User).where(User.phone == number, col(User.phone_verified).is_(True))


def has_pin(user: User) -> bool:
    return bool(user.pin_hash)


def _acting_on(session: Session, user_id: int, actor: audit.Actor) -> User:
    """The user `user_id`, once `actor` may change them: themselves, or an admin."""
    user = users.get_user(session, user_id)
    if actor.user_id != user.id:
        require(actor, Permission.USER_ADMIN)
    return user


def _code_hash(verification_user_id: int, phone: str, code: str) -> str:
    """A keyed hash: a database copy alone can't be searched for the 10**6 codes."""
    message = f"{verification_user_id}:{phone}:{code}".encode()
    return hmac.new(auth.secret_key(), message, hashlib.sha256).hexdigest()


def _check_sending_rate(session: Session, user_id: int) -> None:
    now = utcnow()
    recent = session.exec(
        select(PhoneVerification.created_at)
        .where(
            PhoneVerification.user_id == user_id,
            PhoneVerification.created_at >= now - timedelta(hours=1),
        )
        .order_by(col(PhoneVerification.created_at).desc())
    ).all()
    if len(recent) >= MAX_CODES_PER_HOUR:
        raise InvalidInput(
            f"{MAX_CODES_PER_HOUR} codes were sent in the last hour: wait a while before "
            "asking for another"
        )
    if recent and now - recent[0] < timedelta(seconds=RESEND_SECONDS):
        raise InvalidInput(f"a code was sent just now: wait {RESEND_SECONDS} seconds for it")


def start_phone_verification_in(
    session: Session, user_id: int, phone: str, *, actor: audit.Actor
) -> PhoneVerification:
    """Make `phone` the person's (unverified) number and queue an SMS with a new code.

    A number another person has is refused; so is one already verified for this person.
    """
    user = _acting_on(session, user_id, actor)
    number = users.normalise_phone(phone)
    if user.phone == number and user.phone_verified:
        raise InvalidInput(f"{number} is already verified")
    other = session.exec(select(User).where(User.phone == number, User.id != user.id)).first()
    if other is not None:
        raise Conflict(f"a user with phone {number} already exists")
    if user.phone == number and user.sms_opted_out:
        raise InvalidInput(
            f"{number} replied STOP, so no text can be sent to it: text START to the "
            "product's number first"
        )
    _check_sending_rate(session, user.id)
    changed = user.phone != number
    user.phone, user.phone_verified = number, False
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same number saved by someone else meanwhile
        raise Conflict(f"a user with phone {number} already exists") from None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = get_settings().phone_code_minutes
    verification = PhoneVerification(
        user_id=user.id,
        phone=number,
        code_hash=_code_hash(user.id, number, code),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(verification)
    session.flush()
    outbox.queue(
        session,
        channel=Channel.SMS,
        target=number,
        body=f"Your {PRODUCT_NAME} verification code is {code}. It expires in {minutes:g} "
        "minutes. If you did not ask for it, ignore this message.",
        purpose=NotificationPurpose.VERIFICATION,
        user_id=user.id,
    )
    activity.record(
        session,
        actor,
        EventName.PHONE_VERIFICATION_SENT,
        detail={"user_id": user.id, "phone": number, "number_changed": changed},
    )
    return verification


start_phone_verification = own_transaction(start_phone_verification_in)


def confirm_phone_in(session: Session, user_id: int, code: str, *, actor: audit.Actor) -> User:
    """Mark the person's number verified when `code` is the latest one sent to it, in time.

    A wrong code counts in its own transaction (the caller's rolls back with the error), and
    after MAX_CODE_ATTEMPTS the code no longer works.
    """
    user = _acting_on(session, user_id, actor)
    if user.phone and user.phone_verified:
        raise InvalidInput(f"{user.phone} is already verified")
    verification = session.exec(
        select(PhoneVerification)
        .where(PhoneVerification.user_id == user.id)
        .order_by(col(PhoneVerification.id).desc())
    ).first()
    if verification is None or verification.verified_at is not None or not user.phone:
        raise InvalidInput("no code was sent: ask for a code first")
    if verification.phone != user.phone:
        raise InvalidInput("the number changed since the code was sent: ask for a new code")
    if verification.attempts >= MAX_CODE_ATTEMPTS:
        raise InvalidInput("too many wrong codes: this code no longer works; ask for a new one")
    if utcnow() >= verification.expires_at:
        raise InvalidInput("the code has expired: ask for a new one")
    typed = re.sub(r"[\s-]", "", code or "")
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", typed):
        raise InvalidInput(f"the code is the {CODE_DIGITS} digits of the text message")
    expected = verification.code_hash
    if not hmac.compare_digest(_code_hash(user.id, user.phone, typed), expected):
        left = _count_wrong_code(verification.id)
        if left <= 0:
            raise InvalidInput("wrong code: that was the last try; ask for a new code")
        raise InvalidInput(f"wrong code: {left} {'try' if left == 1 else 'tries'} left")
    verification.verified_at = utcnow()
    user.phone_verified = True
    session.add_all([verification, user])
    session.flush()
    activity.record(
        session,
        actor,
        EventName.PHONE_VERIFIED,
        detail={"user_id": user.id, "phone": user.phone, "by": "code"},
    )
    return user


confirm_phone = own_transaction(confirm_phone_in)


def _count_wrong_code(verification_id: int | None) -> int:
    """Count one wrong try (committed at once, atomically); the tries left."""
    with session_scope() as counting:
        row = counting.get(PhoneVerification, verification_id, with_for_update=True)
        row.attempts += 1
        counting.add(row)
        return MAX_CODE_ATTEMPTS - row.attempts


def mark_phone_verified_in(session: Session, email: str, *, actor: audit.Actor) -> User:
    """An admin vouches for the person's number (the CLI's `verify-phone --trusted`)."""
    require(actor, Permission.USER_ADMIN)
    user = users.get_user_by_email(session, email)
    if not user.phone:
        raise InvalidInput(f"{user.email} has no phone number: add one first")
    if not user.phone_verified:
        user.phone_verified = True
        session.add(user)
        session.flush()
        activity.record(
            session,
            actor,
            EventName.PHONE_VERIFIED,
            detail={"user_id": user.id, "phone": user.phone, "by": "admin"},
        )
    return user


mark_phone_verified = own_transaction(mark_phone_verified_in)


def set_pin_in(session: Session, user_id: int, pin: str, *, actor: audit.Actor) -> User:
    """Give the person a new PIN (4 to 8 digits); its wrong-PIN count starts again."""
    user = _acting_on(session, user_id, actor)
    pin = (pin or "").strip()
    if not PIN_PATTERN.match(pin):
        raise InvalidInput("the PIN must be 4 to 8 digits")
    had_pin = has_pin(user)
    user.pin_hash = auth.hash_password(pin)
    session.add(user)
    session.flush()
    sign_in_limits.forget(session, _pin_limit(user))
    activity.record(
        session, actor, EventName.USER_PIN_SET, detail={"user_id": user.id, "changed": had_pin}
    )
    return user


set_pin = own_transaction(set_pin_in)


def _pin_limit(user: User) -> sign_in_limits.Limit:
    most = get_settings().pin_max_failures
    return sign_in_limits.Limit(f"pin:{user.id}", "for this PIN", most, most)


def check_pin(session: Session, user: User, pin: str, *, channel: Channel = Channel.VOICE) -> bool:
    """Whether `pin` is the person's PIN. A wrong one counts in the caller's transaction
    (commit it even when refusing); `PinLocked` once too many were wrong; `NoPin` without one.

    `channel`: where the PIN was given, for the audit entry when this locks the PIN.
    """
    if not has_pin(user):
        raise NoPin(NO_PIN)
    limit = _pin_limit(user)
    wait = sign_in_limits.locked_for(session, limit.key)
    if wait:
        raise PinLocked(f"Too many wrong PINs. Please try again in {wait}.")
    if auth.verify_password((pin or "").strip(), user.pin_hash):
        sign_in_limits.forget(session, limit)
        return True
    for locked in sign_in_limits.record_failure(session, [limit]):
        caller = audit.Actor(name=user.phone or user.email, channel=Channel(channel))
        activity.record(
            session,
            caller,
            EventName.SIGN_IN_LOCKED,
            detail={"key": locked.key, "minutes": get_settings().sign_in_lock_minutes},
        )
    return False


def set_sms_opt_out(session: Session, phone: str, opted_out: bool) -> User | None:
    """Record that the number replied STOP (True) or START (False); the person with that
    number, or None when nobody has it. Needs no right: the number's holder asked."""
    try:
        number = users.normalise_phone(phone)
    except InvalidInput:
        return None
    user = session.exec(select(User).where(User.phone == number)).first()
    if user is None or user.sms_opted_out == opted_out:
        return user
    user.sms_opted_out = opted_out
    session.add(user)
    session.flush()
    activity.record(
        session,
        audit.Actor(name=number, channel=Channel.SMS, user_id=None),
        EventName.SMS_OPT_OUT_CHANGED,
        detail={"user_id": user.id, "phone": number, "opted_out": opted_out},
    )
    return user
