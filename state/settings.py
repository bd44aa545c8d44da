"""State of the settings page: the configuration in force and the user's own profile."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import reflex as rx

from backend.accounts import users
from backend.db import session_scope
from backend.errors import NotFound, ProductError
from backend.models import User
from backend.read_models.settings_page import settings_overview
from state.auth import AuthState


@dataclasses.dataclass
class FeatureRow:
    key: str
    label: str
    configured: bool
    message: str


@dataclasses.dataclass
class ChannelRow:
    key: str
    label: str
    configured: bool
    ok: bool
    detail: str
    message: str
    url: str


@dataclasses.dataclass
class WebhookRow:
    label: str
    url: str


@dataclasses.dataclass
class LimitRow:
    label: str
    value: str


def _read(user_id: int) -> tuple[dict[str, Any], User | None]:
    overview = settings_overview()
    with session_scope() as session:
        try:
            user = users.get_user(session, user_id)
        except NotFound:
            return overview, None
        session.expunge(user)
    return overview, user


def _save(user_id: int, name: str, phone: str, channel: str) -> User:
    with session_scope() as session:
        user = users.update_profile(
            session, user_id, name=name, phone=phone, preferred_channel=channel
        )
        session.flush()
        session.expunge(user)
        return user


class SettingsState(rx.State):
    features: list[FeatureRow] = []
    channel_rows: list[ChannelRow] = []
    limits: list[LimitRow] = []
    sandbox_tier: str = ""
    sandbox_message: str = ""
    sandbox_safe: bool = False
    webhooks: list[WebhookRow] = []
    twilio_configured: bool = False
    twilio_message: str = ""
    name: str = ""
    email: str = ""
    phone: str = ""
    preferred_channel: str = "email"
    channels: list[str] = [str(c) for c in users.PREFERRED_CHANNELS]
    profile_error: str = ""
    saving: bool = False
    loaded: bool = False

    @rx.event
    def set_preferred_channel(self, value: str) -> None:
        self.preferred_channel = value

    def _show_user(self, user: User) -> None:
        self.name = user.name
        self.email = user.email
        self.phone = user.phone or ""
        self.preferred_channel = str(user.preferred_channel)

    @rx.event
    async def load(self):
        auth = await self.get_state(AuthState)
        if not auth.signed_in and await auth.current_user() is None:
            return
        overview, user = await asyncio.to_thread(_read, auth.user_id)
        self.features = [FeatureRow(**row) for row in overview["features"]]
        self.channel_rows = [ChannelRow(**row) for row in overview["channels"]]
        self.limits = [LimitRow(**row) for row in overview["limits"]]
        self.sandbox_tier = overview["sandbox"]["tier"]
        self.sandbox_message = overview["sandbox"]["message"]
        self.sandbox_safe = overview["sandbox"]["safe"]
        self.webhooks = [WebhookRow(**row) for row in overview["twilio"]["webhooks"]]
        self.twilio_configured = overview["twilio"]["configured"]
        self.twilio_message = overview["twilio"]["message"]
        if user is not None:
            self._show_user(user)
        self.profile_error = ""
        self.loaded = True

    @rx.event
    async def save_profile(self, form: dict):
        auth = await self.get_state(AuthState)
        if not auth.signed_in:
            yield rx.redirect("/login")
            return
        self.saving = True
        self.profile_error = ""
        yield
        try:
            user = await asyncio.to_thread(
                _save,
                auth.user_id,
                str(form.get("name", "")),
                str(form.get("phone", "")),
                self.preferred_channel,
            )
        except ProductError as exc:
            self.profile_error = str(exc)
            self.saving = False
            return
        self._show_user(user)
        auth.user_name = user.name
        self.saving = False
        yield rx.toast.success("Profile saved.")
        # The page then reloads `PhoneState` (a changed number is not verified any more);
        # this state doesn't name it: `state.phone` builds on this module, not the other way.
