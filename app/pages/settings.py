"""Settings: features configured, limits in force, sandbox tier, and the user's profile."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.auth_card import field
from components.error_banner import error_banner
from components.layout import page
from state.auth import AuthState
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


def _section(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, size="4"), *children, spacing="3", width="100%"),
        width="100%",
        **props,
    )


def _features() -> rx.Component:
    return _section(
        "Features",
        rx.text(
            "A feature whose settings are missing is off; set the environment variables named "
            "and restart to turn it on.",
            size="2",
            color_scheme="gray",
        ),
        rx.box(
            rx.table.root(
                rx.table.body(rx.foreach(SettingsState.features, _feature)),
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        id="settings-features",
    )


def _limits() -> rx.Component:
    return _section(
        "Limits in force",
        rx.data_list.root(
            rx.foreach(
                SettingsState.limits,
                lambda row: rx.data_list.item(
                    rx.data_list.label(row.label), rx.data_list.value(row.value)
                ),
            ),
        ),
        rx.hstack(
            rx.text("Sandbox tier:", weight="medium", size="2"),
            rx.badge(
                SettingsState.sandbox_tier,
                color_scheme=rx.cond(SettingsState.sandbox_safe, "green", "red"),
                id="sandbox-tier",
            ),
            rx.text(SettingsState.sandbox_message, size="2", color_scheme="gray"),
            wrap="wrap",
            align="center",
        ),
        id="settings-limits",
    )


def _profile() -> rx.Component:
    return _section(
        "Your profile",
        rx.hstack(
            rx.text("Role:", size="2"),
            rx.badge(AuthState.role, id="profile-role"),
            rx.text(SettingsState.email, size="2", color_scheme="gray", id="profile-email"),
            align="center",
            wrap="wrap",
        ),
        rx.cond(
            SettingsState.profile_error != "",
            error_banner(SettingsState.profile_error, id="profile-error"),
        ),
        rx.form(
            rx.vstack(
                field("Name", "name", default_value=SettingsState.name, key=SettingsState.name),
                field(
                    "Phone (+15551234567; empty for none)",
                    "phone",
                    type="tel",
                    required=False,
                    default_value=SettingsState.phone,
                    key=SettingsState.phone,
                ),
                rx.vstack(
                    rx.text("Preferred channel", size="2", weight="medium"),
                    rx.select(
                        SettingsState.channels,
                        value=SettingsState.preferred_channel,
                        on_change=SettingsState.set_preferred_channel,
                        id="preferred-channel",
                    ),
                    spacing="1",
                ),
                rx.button(
                    "Save profile",
                    type="submit",
                    loading=SettingsState.saving,
                    disabled=SettingsState.saving,
                    id="profile-save",
                ),
                spacing="3",
                width="100%",
                max_width="28em",
            ),
            on_submit=SettingsState.save_profile,
            id="profile-form",
        ),
        id="settings-profile",
    )


def settings() -> rx.Component:
    return page(
        "Settings",
        rx.cond(
            SettingsState.loaded,
            rx.vstack(_profile(), _features(), _limits(), spacing="4", width="100%"),
            rx.center(rx.spinner(size="3"), padding="2em", width="100%"),
        ),
        subtitle="What is configured, the limits in force, and your profile.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        settings,
        route=routes.SETTINGS,
        title="Settings",
        on_load=[AuthState.require_login, SettingsState.load],
    )
