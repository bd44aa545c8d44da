"""The settings page's new-password form: the current password, the new one twice."""

from __future__ import annotations

from functools import partial

import reflex as rx

from backend.accounts import auth
from state.auth import AuthState
from state.web_actor import Action

CHANGE = Action(busy="changing", error="password_error")


class PasswordState(rx.State):
    changing: bool = False
    password_error: str = ""

    @rx.event
    async def change_password(self, form: dict):
        current, new = str(form.get("current_password", "")), str(form.get("new_password", ""))
        if new != str(form.get("repeat_password", "")):
            self.password_error = "The new password and its repetition differ."
            return
        CHANGE.begin(self)
        yield
        tab = await self.get_state(AuthState)
        change = partial(auth.change_password, address=self.router.session.client_ip)
        token = await CHANGE.run(self, change, tab.user_id, current, new)
        if token is None:
            return
        # This tab signs in with the new token from now on; every other session has ended.
        tab.session_token = token
        yield rx.toast.success("Password changed; your other sessions are logged out.")
