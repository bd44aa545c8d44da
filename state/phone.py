"""The settings page's "Phone and PIN" part: verify a number by a code sent by SMS, set a PIN.

Each event makes one backend call as the tab's person (`state.web_actor.Action`); what the
page shows of the number comes back with it, so nothing is read twice.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from backend.access import audit
from backend.accounts import phones, users
from backend.errors import NotFound
from backend.read_models.accounts import PhoneStatus, phone_status, read_phone_status
from state.auth import AuthState
from state.settings import SettingsState
from state.web_actor import Action

SEND = Action(busy="sending", error="phone_error")
VERIFY = Action(busy="verifying", error="phone_error")
PIN = Action(busy="saving_pin", error="pin_error")
QUIET = Action(busy="saving_quiet", error="quiet_error")


def _send_code(user_id: int, phone: str, *, actor: audit.Actor) -> PhoneStatus:
    phones.start_phone_verification(user_id, phone, actor=actor)
    status = read_phone_status(user_id)
    if status is None:  # the person was removed meanwhile
        raise NotFound(f"no user with id {user_id}")
    return status


def _confirm(user_id: int, code: str, *, actor: audit.Actor) -> PhoneStatus:
    return phone_status(phones.confirm_phone(user_id, code, actor=actor))


def _set_pin(user_id: int, pin: str, *, actor: audit.Actor) -> PhoneStatus:
    return phone_status(phones.set_pin(user_id, pin, actor=actor))


def _set_quiet(
    user_id: int, timezone: str, start: str, end: str, *, actor: audit.Actor
) -> PhoneStatus:
    return phone_status(
        users.set_quiet_hours(user_id, timezone=timezone, start=start, end=end, actor=actor)
    )


class PhoneState(rx.State):
    phone: str = ""
    verified: bool = False
    has_pin: bool = False
    code_sent: bool = False  # a code went out from this tab: show where to type it
    phone_error: str = ""
    pin_error: str = ""
    sending: bool = False
    verifying: bool = False
    saving_pin: bool = False
    timezone: str = "UTC"
    quiet_start: str = ""
    quiet_end: str = ""
    quiet_error: str = ""
    saving_quiet: bool = False

    def _show(self, status: PhoneStatus) -> None:
        self.phone, self.verified, self.has_pin = status.phone, status.verified, status.has_pin
        self.timezone, self.quiet_start = status.timezone, status.quiet_start
        self.quiet_end = status.quiet_end

    @rx.event
    async def load(self):
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            return
        status = await asyncio.to_thread(read_phone_status, auth.user_id)
        if status is not None:
            self._show(status)
        self.code_sent = self.code_sent and not self.verified
        self.phone_error = self.pin_error = self.quiet_error = ""

    @rx.event
    async def send_code(self, form: dict):
        SEND.begin(self)
        yield
        auth = await self.get_state(AuthState)
        phone = str(form.get("verify_phone", ""))
        status = await SEND.run(self, _send_code, auth.user_id, phone)
        if status is None:
            return
        self._show(status)
        self.code_sent = True
        # The profile form shows the number too: it is the person's number now.
        (await self.get_state(SettingsState)).phone = status.phone
        yield rx.toast.success(f"A code was sent to {status.phone}.")

    @rx.event
    async def verify_code(self, form: dict):
        VERIFY.begin(self)
        yield
        auth = await self.get_state(AuthState)
        status = await VERIFY.run(self, _confirm, auth.user_id, str(form.get("code", "")))
        if status is None:
            return
        self._show(status)
        self.code_sent = False
        yield rx.toast.success(f"{status.phone} is verified.")

    @rx.event
    async def save_pin(self, form: dict):
        pin = str(form.get("pin", ""))
        if pin != str(form.get("pin_repeat", "")):
            self.pin_error = "The PIN and its repetition differ."
            return
        PIN.begin(self)
        yield
        auth = await self.get_state(AuthState)
        status = await PIN.run(self, _set_pin, auth.user_id, pin)
        if status is None:
            return
        self._show(status)
        yield rx.toast.success("PIN saved.")

    @rx.event
    async def save_quiet_hours(self, form: dict):
        QUIET.begin(self)
        yield
        auth = await self.get_state(AuthState)
        values = [str(form.get(name, "")) for name in ("timezone", "quiet_start", "quiet_end")]
        status = await QUIET.run(self, _set_quiet, auth.user_id, *values)
        if status is None:
            return
        self._show(status)
        hours = f"{status.quiet_start} to {status.quiet_end}" if status.quiet_start else "none"
        yield rx.toast.success(f"Quiet hours: {hours} ({status.timezone}).")
