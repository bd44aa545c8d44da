"""Web sign-in: password hashes, sign up, log in and out, new passwords, session tokens.

Passwords are hashed with scrypt (stdlib) and a random salt; the stored string names its
algorithm and parameters ("scrypt$n$r$p$salt$hash"), so parameters can change later without
breaking existing hashes. Session tokens are "user_id.generation.expiry.signature" with an
HMAC-SHA256 signature under the secret key: the browser keeps one in a cookie, and any
process holding the key can check it without a sessions table. A token is good only while
its generation is the user's `session_generation`: logging out and a new password bump it,
which ends every session signed before (in every browser: a person who logs out anywhere is
logged out everywhere). Wrong passwords count against `sign_in_limits`.

Transactions: each write action here owns its transaction (`backend.db.own_transaction`):
doors call `sign_up(...)`; a backend service composing several steps in one transaction
calls the `_in(session, ...)` form, which never commits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

from sqlmodel import Session, select

from backend.access import audit
from backend.access.permissions import Permission, require
from backend.accounts import sign_in_limits, users
from backend.config import get_settings
from backend.db import own_transaction, session_scope
from backend.enums import Channel, EventName
from backend.errors import Conflict, InvalidInput
from backend.events import activity
from backend.models import User

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
BAD_LOGIN = "wrong email or password"


class WrongPassword(InvalidInput):
    """The email or password is wrong (one message for both); counts against the limits."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_password_rules(password: str) -> None:
    """Raise `InvalidInput` with a clear message when `password` is not acceptable."""
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise InvalidInput(f"the password must be at least {PASSWORD_MIN_LENGTH} characters long")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(f"the password must be at most {PASSWORD_MAX_LENGTH} characters long")


def hash_password(password: str) -> str:
    """A self-describing scrypt hash of `password` with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches the stored hash (False for a missing or unknown hash)."""
    try:
        algorithm, n, r, p, salt, digest = (stored or "").split("$")
        if algorithm != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def sign_up_in(
    session: Session, *, name: str, email: str, password: str, phone: str | None = None
) -> User:
    """Add a person who signs in with a password; the first person becomes an admin.

    Goes through `users.sign_up_in`, so `user.created` is recorded.
    """
    check_password_rules(password)
    _no_account_waiting_for_its_password(session, email)
    user = users.sign_up_in(
        session, name=name, email=email, phone=(phone or "").strip() or None, channel=Channel.WEB
    )
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def _no_account_waiting_for_its_password(session: Session, email: str) -> None:
    """An admin added this person (the CLI's `users add`) and no password was set yet: say
    how to get in, rather than only that the email exists."""
    try:
        normalised = users.normalise_email(email)
    except InvalidInput:
        return  # refused with its reason by `users.sign_up_in`
    user = session.exec(select(User).where(User.email == normalised)).first()
    if user is not None and not user.password_hash:
        raise Conflict(
            f"an admin already added {normalised}, without a password: open the invite link "
            "they were given, or ask an admin for a new one ('users invite EMAIL') or to set "
            "a password ('users set-password EMAIL')"
        )


sign_up = own_transaction(sign_up_in)


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with this email and password; `WrongPassword` for either being wrong.

    Emails are stored lower-case (`users.normalise_email`), so any case signs in.
    """
    try:
        normalised = users.normalise_email(email)
    except InvalidInput:
        normalised = None
    user = session.exec(select(User).where(User.email == normalised)).first()
    if user is None:
        # Spend the same time as a real check, so timing doesn't tell which emails exist.
        verify_password(password, _DUMMY_HASH)
        raise WrongPassword(BAD_LOGIN)
    if not verify_password(password, user.password_hash):
        raise WrongPassword(BAD_LOGIN)
    return user


def log_in(email: str, password: str, *, address: str = "") -> tuple[User, str]:
    """Sign in from `address` (the client's IP, "" when unknown): the user and a new token.

    Refused with `sign_in_limits.TooManyAttempts` while the account or the address has had
    too many wrong passwords lately; a wrong one is counted in its own transaction, since
    the sign-in itself fails.
    """
    limits = sign_in_limits.limits_for(email, address)
    with session_scope() as session:
        sign_in_limits.check(session, limits)
        try:
            user = authenticate(session, email, password)
        except WrongPassword:
            pass
        else:
            sign_in_limits.forget(session, limits[0])
            return user, issue_session_token(user)
    _count_wrong_password(limits, address)
    raise WrongPassword(BAD_LOGIN)


def _count_wrong_password(limits: list[sign_in_limits.Limit], address: str) -> None:
    with session_scope() as session:
        for locked in sign_in_limits.record_failure(session, limits):
            stranger = audit.Actor(name=address or "anonymous", channel=Channel.WEB)
            activity.record(
                session,
                stranger,
                EventName.SIGN_IN_LOCKED,
                detail={"key": locked.key, "minutes": get_settings().sign_in_lock_minutes},
            )


def log_out(token: str | None) -> None:
    """End the session `token` names (and the person's other sessions: see the module)."""
    with session_scope() as session:
        user = user_from_token(session, token)
        if user is not None:
            user.session_generation += 1
            session.add(user)


def change_password(
    user_id: int,
    current: str,
    new: str,
    *,
    actor: audit.Actor,
    address: str = "",
) -> str:
    """Give the person a new password; returns a session token for the tab that asked.

    The current password must be given (and counts against the sign-in limits when wrong,
    so a session left open can't be used to guess it); every other session ends.
    """
    with session_scope() as session:
        user = users.get_user(session, user_id)
        if actor.user_id != user.id:
            require(actor, Permission.USER_ADMIN)
        email = user.email
    limits = sign_in_limits.limits_for(email, address)
    with session_scope() as session:
        sign_in_limits.check(session, limits)
        user = users.get_user(session, user_id)
        if verify_password(current, user.password_hash):
            check_password_rules(new)
            if new == current:
                raise InvalidInput("the new password is the same as the current one")
            user.password_hash = hash_password(new)
            user.session_generation += 1
            session.add(user)
            session.flush()
            activity.record(
                session, actor, EventName.USER_PASSWORD_CHANGED, detail={"user_id": user.id}
            )
            return issue_session_token(user)
    _count_wrong_password(limits, address)
    raise WrongPassword("the current password is not right")


def secret_key() -> bytes:
    """SECRET_KEY, or the key kept in DATA_DIR/secret_key (created on first use)."""
    settings = get_settings()
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        candidate.write_text(secrets.token_urlsafe(48))
        candidate.chmod(0o600)
        try:
            # Link instead of rename: when two processes race, the first key wins for both.
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink(missing_ok=True)
    return path.read_text().strip().encode()


def _signature(payload: str) -> str:
    return _b64(hmac.new(secret_key(), payload.encode(), hashlib.sha256).digest())


def issue_session_token(user: User, *, hours: float | None = None) -> str:
    """A signed token naming `user`, valid for SESSION_HOURS (or `hours`)."""
    if user.id is None:
        raise InvalidInput("the user has no id yet (flush the session first)")
    lifetime = hours if hours is not None else get_settings().session_hours
    expiry = int(time.time() + lifetime * 3600)
    payload = f"{user.id}.{user.session_generation}.{expiry}"
    return f"{payload}.{_signature(payload)}"


def user_from_token(session: Session, token: str | None) -> User | None:
    """The user a valid, unexpired, not ended token names; None for anything else."""
    try:
        user_id, generation, expiry, signature = (token or "").split(".")
        payload = f"{user_id}.{generation}.{expiry}"
        if not hmac.compare_digest(signature, _signature(payload)):
            return None
        if int(expiry) < time.time():
            return None
        user = session.get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.session_generation == int(generation) else None


def actor_from_token(token: str | None, channel: Channel) -> audit.Actor | None:
    """The person a valid session token names, as an Actor with their current role (read in
    its own session: what every page does first)."""
    with session_scope() as session:
        user = user_from_token(session, token)
        return audit.Actor.for_user(user, channel) if user else None


_DUMMY_HASH = hash_password(secrets.token_hex(8))
