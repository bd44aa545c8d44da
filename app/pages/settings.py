"""Settings: features configured, limits in force, sandbox tier, event sources, and the
user's profile."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from app import routes
from app.pages.settings_sources import event_sources_card
from components.empty_state import loading
from components.error_banner import error_if
from components.forms import field, labelled
from components.layout import page
from components.sandbox_tier import sandbox_tier
from components.section import section
from components.tables import data_table
from state.auth import AuthState
from state.event_sources import EventSourcesState
from state.password import PasswordState
from state.phone import PhoneState
from state.settings import SettingsState


def _feature(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.label),
        rx.table.cell(
            rx.badge(
                rx.cond(row.configured, "configured", "off"),
                color_scheme=rx.cond(row.configured, "green", "gray"),
            )
        ),
        rx.table.cell(row.message, color=rx.color("gray", 11)),
        class_name="feature-row",
        data_feature=row.key,
    )


def _features() -> rx.Component:
    return section(
        "Features",
        rx.text(
            "A feature whose settings are missing is off; set the environment variables named "
            "and restart to turn it on.",
            size="2",
            color_scheme="gray",
        ),
        data_table([], SettingsState.features, _feature, variant="ghost"),
        card=True,
        id="settings-features",
    )


def _channel(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.label),
        rx.table.cell(
            rx.badge(
                rx.cond(row.ok, "working", rx.cond(row.configured, "failing", "off")),
                color_scheme=rx.cond(row.ok, "green", rx.cond(row.configured, "red", "gray")),
            )
        ),
        rx.table.cell(
            rx.cond(
                row.url != "",
                rx.link(row.detail, href=row.url, is_external=True),
                rx.text(row.detail),
            )
        ),
        rx.table.cell(row.message, color=rx.color("gray", 11)),
        class_name="channel-row",
        data_channel=row.key,
    )


def _channels() -> rx.Component:
    return section(
        "Email, Slack and GitHub",
        rx.text(
            "Where alerts and results go besides calls and texts. Slack and GitHub are checked "
            "once against the vendor; a check that failed is tried again a minute later.",
            size="2",
            color_scheme="gray",
        ),
        data_table([], SettingsState.channel_rows, _channel, variant="ghost"),
        card=True,
        id="settings-channels",
    )


def _limits() -> rx.Component:
    return section(
        "Limits in force",
        rx.data_list.root(
            rx.foreach(
                SettingsState.limits,
                lambda row: rx.data_list.item(
                    rx.data_list.label(row.label), rx.data_list.value(row.value)
                ),
            ),
        ),
        sandbox_tier(
            SettingsState.sandbox_tier, SettingsState.sandbox_safe, SettingsState.sandbox_message
        ),
        card=True,
        id="settings-limits",
    )


def _form(
    kind: str,
    submit: str,
    busy: rx.Var[bool],
    on_submit: EventType,
    *fields: rx.Component,
    **props,
) -> rx.Component:
    """`fields` above a submit button that spins while `busy`; ids `{kind}-form`, `-save`."""
    return rx.form(
        rx.vstack(
            *fields,
            rx.button(submit, type="submit", loading=busy, disabled=busy, id=f"{kind}-save"),
            spacing="3",
            width="100%",
            max_width="28em",
        ),
        on_submit=on_submit,
        id=f"{kind}-form",
        **props,
    )


def _profile() -> rx.Component:
    return section(
        "Your profile",
        rx.hstack(
            rx.text("Role:", size="2"),
            rx.badge(AuthState.role, id="profile-role"),
            rx.text(SettingsState.email, size="2", color_scheme="gray", id="profile-email"),
            align="center",
            wrap="wrap",
        ),
        error_if(SettingsState.profile_error, id="profile-error"),
        _form(
            "profile",
            "Save profile",
            SettingsState.saving,
            # Then the phone's status: a changed number is not verified any more.
            [SettingsState.save_profile, PhoneState.load],
            field("Name", "name", default_value=SettingsState.name, key=SettingsState.name),
            field(
                "Phone (+15551234567; empty for none)",
                "phone",
                type="tel",
                required=False,
                default_value=SettingsState.phone,
                key=SettingsState.phone,
            ),
            labelled(
                "Preferred channel",
                rx.select(
                    SettingsState.channels,
                    value=SettingsState.preferred_channel,
                    on_change=SettingsState.set_preferred_channel,
                    id="preferred-channel",
                    custom_attrs={"aria-label": "Preferred channel"},
                ),
            ),
        ),
        card=True,
        id="settings-profile",
    )


def _password() -> rx.Component:
    def secret(label: str, name: str, auto_complete: str) -> rx.Component:
        return field(label, name, type="password", auto_complete=auto_complete)

    return section(
        "Password",
        rx.text(
            "A new password logs you out everywhere else; this tab stays signed in.",
            size="2",
            color_scheme="gray",
        ),
        error_if(PasswordState.password_error, id="password-error"),
        _form(
            "password",
            "Change password",
            PasswordState.changing,
            PasswordState.change_password,
            secret("Current password", "current_password", "current-password"),
            secret("New password (8 characters or more)", "new_password", "new-password"),
            secret("New password again", "repeat_password", "new-password"),
            reset_on_submit=True,
        ),
        card=True,
        id="settings-password",
    )


def _phone() -> rx.Component:
    def digits(label: str, name: str, **props) -> rx.Component:
        return field(label, name, input_mode="numeric", auto_complete="off", **props)

    return section(
        "Phone and PIN",
        rx.text(
            "Only a verified number is recognised when it calls or texts; your PIN confirms "
            "the changes you ask for by phone or text.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.text("Number:", size="2"),
            rx.text(rx.cond(PhoneState.phone != "", PhoneState.phone, "none"), id="phone-number"),
            rx.badge(
                rx.cond(PhoneState.verified, "verified", "not verified"),
                color_scheme=rx.cond(PhoneState.verified, "green", "orange"),
                id="phone-status",
            ),
            rx.text("PIN:", size="2"),
            rx.badge(
                rx.cond(PhoneState.has_pin, "set", "not set"),
                color_scheme=rx.cond(PhoneState.has_pin, "green", "gray"),
                id="pin-status",
            ),
            align="center",
            wrap="wrap",
        ),
        error_if(PhoneState.phone_error, id="phone-error"),
        _form(
            "phone-code",
            "Send code",
            PhoneState.sending,
            PhoneState.send_code,
            field(
                "Number to verify (+15551234567); a code is sent to it by SMS",
                "verify_phone",
                type="tel",
                auto_complete="tel",
                default_value=PhoneState.phone,
                key=PhoneState.phone,
            ),
        ),
        rx.cond(
            PhoneState.code_sent,
            _form(
                "phone-verify",
                "Verify",
                PhoneState.verifying,
                PhoneState.verify_code,
                digits("Code from the text message", "code", auto_focus=True),
                reset_on_submit=True,
            ),
        ),
        error_if(PhoneState.pin_error, id="pin-error"),
        _form(
            "pin",
            "Save PIN",
            PhoneState.saving_pin,
            PhoneState.save_pin,
            digits("New PIN (4 to 8 digits)", "pin", type="password"),
            digits("New PIN again", "pin_repeat", type="password"),
            reset_on_submit=True,
        ),
        rx.text(
            "Quiet hours: alert calls become texts between these times, in your time zone "
            "(leave both empty for none).",
            size="2",
            color_scheme="gray",
        ),
        error_if(PhoneState.quiet_error, id="quiet-error"),
        _form(
            "quiet",
            "Save quiet hours",
            PhoneState.saving_quiet,
            PhoneState.save_quiet_hours,
            field(
                "Time zone (e.g. Europe/Paris)",
                "timezone",
                default_value=PhoneState.timezone,
                key=PhoneState.timezone,
            ),
            field(
                "From (HH:MM)",
                "quiet_start",
                required=False,
                default_value=PhoneState.quiet_start,
                key=PhoneState.quiet_start,
            ),
            field(
                "To (HH:MM)",
                "quiet_end",
                required=False,
                default_value=PhoneState.quiet_end,
                key=PhoneState.quiet_end,
            ),
        ),
        card=True,
        id="settings-phone",
    )


def _webhook(row: rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(row.label),
        rx.data_list.value(rx.code(row.url, class_name="webhook-url")),
    )


def _webhooks() -> rx.Component:
    return section(
        "Twilio webhooks",
        rx.hstack(
            rx.badge(
                rx.cond(SettingsState.twilio_configured, "configured", "off"),
                color_scheme=rx.cond(SettingsState.twilio_configured, "green", "gray"),
                id="twilio-status",
            ),
            rx.text(SettingsState.twilio_message, size="2", color=rx.color("gray", 11)),
            align="center",
            wrap="wrap",
        ),
        rx.text(
            "Paste these into your Twilio number's configuration (method HTTP POST). They are "
            "built from PUBLIC_BASE_URL, which Twilio must be able to reach.",
            size="2",
            color_scheme="gray",
        ),
        rx.data_list.root(rx.foreach(SettingsState.webhooks, _webhook)),
        card=True,
        id="settings-webhooks",
    )


def settings() -> rx.Component:
    return page(
        "Settings",
        rx.cond(
            SettingsState.loaded,
            rx.vstack(
                _profile(),
                _phone(),
                _password(),
                _features(),
                _webhooks(),
                _channels(),
                event_sources_card(),
                _limits(),
                spacing="4",
                width="100%",
            ),
            loading(),
        ),
        subtitle="What is configured, the limits in force, and your profile.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        settings,
        route=routes.SETTINGS,
        title="Settings",
        on_load=[
            AuthState.require_login,
            SettingsState.load,
            PhoneState.load,
            EventSourcesState.load,
        ],
    )
