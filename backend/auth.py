"""Web sign-in: password hashes, sign up, log in, and signed session tokens.

Passwords are hashed with scrypt (stdlib) and a random salt; the stored string names its
algorithm and parameters ("scrypt$n$r$p$salt$hash"), so parameters can change later without
breaking existing hashes. Session tokens are "user_id.expiry.signature" with an HMAC-SHA256
signature under the secret key: the browser keeps one in a cookie, and any process holding
the key can check it without a sessions table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

from sqlmodel import Session, func, select

from backend import audit, users
from backend.config import get_settings
from backend.enums import Channel
from backend.errors import InvalidInput
from backend.models import User

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
BAD_LOGIN = "wrong email or password"


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


def sign_up(
    session: Session, *, name: str, email: str, password: str, phone: str | None = None
) -> User:
    """Add a person who signs in with a password; the first person becomes an admin.

    Goes through `users.sign_up`, so `user.created` is recorded.
    """
    check_password_rules(password)
    user = users.sign_up(
        session, name=name, email=email, phone=(phone or "").strip() or None, channel=Channel.WEB
    )
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with this email and password; one message for either being wrong."""
    try:
        normalised = users.normalise_email(email)
    except InvalidInput:
        raise InvalidInput(BAD_LOGIN) from None
    # Emails are matched without regard to case: people type them both ways.
    user = session.exec(select(User).where(func.lower(User.email) == normalised.lower())).first()
    if user is None:
        # Spend the same time as a real check, so timing doesn't tell which emails exist.
        verify_password(password, _DUMMY_HASH)
        raise InvalidInput(BAD_LOGIN)
    if not verify_password(password, user.password_hash):
        raise InvalidInput(BAD_LOGIN)
    return user


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
    payload = f"{user.id}.{int(time.time() + lifetime * 3600)}"
    return f"{payload}.{_signature(payload)}"


def user_from_token(session: Session, token: str | None) -> User | None:
    """The user a valid, unexpired token names; None for anything else."""
    try:
        user_id, expiry, signature = (token or "").split(".")
        payload = f"{user_id}.{expiry}"
        if not hmac.compare_digest(signature, _signature(payload)):
            return None
        if int(expiry) < time.time():
            return None
        return session.get(User, int(user_id))
    except ValueError:
        return None


def actor_from_token(session: Session, token: str | None, channel: Channel) -> audit.Actor | None:
    """The person a valid session token names, as an Actor with their current role."""
    user = user_from_token(session, token)
    return audit.Actor.for_user(user, channel) if user else None


_DUMMY_HASH = hash_password(secrets.token_hex(8))
