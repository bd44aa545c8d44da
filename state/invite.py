"""State of the invite page: the link `users add` printed opens it; the person sets their
password there and is signed in. Whether the link is good is the backend's to say
(`backend.accounts.invites`)."""

from __future__ import annotations

import asyncio

import reflex as rx

from app import routes
from backend.accounts import invites
from backend.errors import ProductError
from backend.read_models.accounts import SignedInUser, read_signed_in_user
from state.auth import AuthState
from state.wording import sentence


def _accept(token: str, password: str) -> tuple[SignedInUser | None, str]:
    session_token = invites.accept(token, password)
    return read_signed_in_user(session_token), session_token


class InviteState(rx.State):
    checked: bool = False
    refused: str = ""  # why the link can't be used ("" when it can)
    name: str = ""
    email: str = ""
    error: str = ""
    busy: bool = False

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @rx.event
    async def check(self):
        """on_load: who the link is for, or why it can't be used."""
        self.checked, self.refused, self.error = False, "", ""
        try:
            person = await asyncio.to_thread(invites.check_link, self._token())
        except ProductError as exc:
            self.refused = sentence(exc)
        else:
            self.name, self.email = person.name, person.email
        self.checked = True

    @rx.event
    async def set_password(self, form: dict):
        password, again = str(form.get("password", "")), str(form.get("again", ""))
        if password != again:
            self.error = "The two passwords differ."
            return
        self.error, self.busy = "", True
        yield
        try:
            user, token = await asyncio.to_thread(_accept, self._token(), password)
        except invites.InviteRefused as exc:
            self.refused = sentence(exc)
            return
        except ProductError as exc:
            self.error = sentence(exc)
            return
        finally:
            self.busy = False
        auth = await self.get_state(AuthState)
        auth._set_user(user)
        auth.session_token = token
        yield rx.toast.success(f"Welcome, {user.name}: your password is set.")
        yield rx.redirect(routes.DASHBOARD)
