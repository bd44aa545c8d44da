"""State of the settings page: the configuration in force and the user's own profile."""

from __future__ import annotations

import asyncio

import reflex as rx

from backend.accounts import users
from backend.errors import ProductError
from backend.read_models.accounts import Profile, profile, read_profile
from backend.read_models.settings_page import (
    ChannelRow,
    FeatureRow,
    LimitRow,
    SettingsOverview,
    WebhookRow,
    settings_overview,
)
from state.auth import AuthState


def _read(user_id: int) -> tuple[SettingsOverview, Profile | None]:
    return settings_overview(), read_profile(user_id)


def _save(user_id: int, name: str, phone: str, channel: str) -> Profile:
    return profile(users.update_profile(user_id, name=name, phone=phone, preferred_channel=channel))


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

    def _show_user(self, user: Profile) -> None:
        self.name = user.name
        self.email = user.email
        self.phone = user.phone
        self.preferred_channel = user.preferred_channel

    @rx.event
    async def load(self):
        auth = await self.get_state(AuthState)
        if not auth.signed_in and await auth.current_user() is None:
            return
        overview, user = await asyncio.to_thread(_read, auth.user_id)
        self.features = overview.features
        self.channel_rows = overview.channels
        self.limits = overview.limits
        self.sandbox_tier = overview.sandbox.tier
        self.sandbox_message = overview.sandbox.message
        self.sandbox_safe = overview.sandbox.safe
        self.webhooks = overview.twilio.webhooks
        self.twilio_configured = overview.twilio.configured
        self.twilio_message = overview.twilio.message
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
