"""Who is signed in to this tab: sign up, log in, log out, and the login guard.

The browser keeps a signed session token (backend.accounts.auth) in a cookie, so a reload or a new
tab
stays signed in; every page's first on_load (`require_login`) turns the cookie back into the
user's id, name, admin flag and what the backend's rules refuse them (`refusals`, for
showing buttons disabled with the reason). Rights themselves are checked by the backend
services; `state.web_actor` passes them the tab's person.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from app import routes
from backend.access import permissions
from backend.access.audit import Actor
from backend.accounts import auth
from backend.enums import Channel, Role
from backend.errors import ProductError
from backend.read_models.accounts import SignedInUser, read_signed_in_user, signed_in_user
from state.wording import database_unreachable, sentence

SESSION_COOKIE = "do_session"
logger = logging.getLogger(__name__)


def _sign_up(name: str, email: str, password: str, phone: str) -> tuple[SignedInUser, str]:
    user = auth.sign_up(name=name, email=email, password=password, phone=phone)
    return signed_in_user(user), auth.issue_session_token(user)


def _log_in(email: str, password: str, address: str) -> tuple[SignedInUser, str]:
    user, token = auth.log_in(email, password, address=address)
    return signed_in_user(user), token


def actor_or_anonymous(token: str) -> Actor:
    """The person a session token names, with their current role, or an anonymous Actor
    (who may see nothing of anybody's) for a token that is not good (blocking)."""
    actor = auth.actor_from_token(token, Channel.WEB)
    return actor or Actor(name="anonymous", channel=Channel.WEB)


def refusals_for(auth: AuthState, **subject: int | None) -> dict[str, str]:
    """What the backend's rules refuse this tab's person about one thing (`owner_id`: an
    object's owner), by permission ("" where allowed); `AuthState.refusals` is for things
    they own none of. Worded as of the page's load, like `refusals`; the services check again."""
    actor = Actor(
        name=auth.user_email or "anonymous",
        channel=Channel.WEB,
        user_id=auth.user_id or None,
        role=Role(auth.actor_role),
    )
    return permissions.refusals(actor, **subject)


class AuthState(rx.State):
    """The signed-in user of this tab (user_id 0 means nobody)."""

    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    is_admin: bool = False
    actor_role: str = str(Role.ANONYMOUS)
    # What the backend's rules refuse this person, by permission ("" where allowed), so a page
    # shows a button disabled with the reason instead of failing after the click.
    refusals: dict[str, str] = {}
    auth_error: str = ""
    auth_busy: bool = False
    session_token: str = rx.Cookie("", name=SESSION_COOKIE, path="/", same_site="lax")

    @rx.var
    def signed_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def role(self) -> str:
        return "admin" if self.is_admin else "member"

    def _set_user(self, user: SignedInUser | None) -> None:
        self.user_id = user.id if user else 0
        self.user_name = user.name if user else ""
        self.user_email = user.email if user else ""
        self.is_admin = user.is_admin if user else False
        self.actor_role = user.actor_role if user else str(Role.ANONYMOUS)
        self.refusals = user.refusals if user else {}

    async def current_user(self) -> SignedInUser | None:
        """Re-read the user from the cookie (a deleted user or an expired token signs out)."""
        if not self.session_token:
            self._set_user(None)
            return None
        try:
            user = await asyncio.to_thread(read_signed_in_user, self.session_token)
        except (SQLAlchemyError, OSError) as exc:
            # Treated as signed out for now (the cookie is kept): the login page says why.
            logger.warning("the signed-in user could not be read: %s", exc)
            self.auth_error = database_unreachable(exc)
            user = None
        self._set_user(user)
        return user

    @rx.event
    async def require_login(self):
        """First on_load of every page but login and sign up: send strangers to /login."""
        if await self.current_user() is None:
            return rx.redirect(routes.LOGIN)
        return None

    @rx.event
    async def redirect_if_signed_in(self):
        """on_load of login and sign up: someone already signed in goes to the dashboard."""
        self.auth_error = ""
        self.auth_busy = False
        if await self.current_user() is not None:
            return rx.redirect(routes.DASHBOARD)
        return None

    @rx.event
    async def sign_up(self, form: dict):
        """Sign-up form submit: name, email, password, phone (optional)."""
        self.auth_error = ""
        try:
            user, token = await asyncio.to_thread(
                _sign_up,
                str(form.get("name", "")),
                str(form.get("email", "")),
                str(form.get("password", "")),
                str(form.get("phone", "")),
            )
        except ProductError as exc:
            self.auth_error = sentence(exc)
            return None
        self._set_user(user)
        self.session_token = token
        return [rx.toast.success(f"Welcome, {user.name}."), rx.redirect(routes.DASHBOARD)]

    @rx.event
    async def log_in(self, form: dict):
        """Login form submit: email, password."""
        self.auth_error = ""
        try:
            user, token = await asyncio.to_thread(
                _log_in,
                str(form.get("email", "")),
                str(form.get("password", "")),
                self.router.session.client_ip,
            )
        except ProductError as exc:
            self.auth_error = sentence(exc)
            return None
        self._set_user(user)
        self.session_token = token
        return rx.redirect(routes.DASHBOARD)

    @rx.event
    async def log_out(self):
        """End the session on the server too: the token is no good even if kept somewhere."""
        token = self.session_token
        self._set_user(None)
        self.session_token = ""
        try:
            await asyncio.to_thread(auth.log_out, token)
        except (SQLAlchemyError, OSError) as exc:
            logger.warning("the session could not be ended on the server: %s", exc)
        return [rx.remove_cookie(SESSION_COOKIE, {"path": "/"}), rx.redirect(routes.LOGIN)]
