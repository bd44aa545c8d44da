"""Log in and sign up: the two pages a stranger can open."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.auth_card import auth_card, field
from components.error_banner import error_banner
from state.auth import AuthState


def _error() -> rx.Component:
    return rx.cond(AuthState.auth_error != "", error_banner(AuthState.auth_error, id="auth-error"))


def login() -> rx.Component:
    return auth_card(
        "Log in",
        _error(),
        rx.form(
            rx.vstack(
                field("Email", "email", type="email", auto_complete="username"),
                field("Password", "password", type="password", auto_complete="current-password"),
                rx.button("Log in", type="submit", width="100%", id="login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.log_in,
            id="login-form",
            width="100%",
        ),
        rx.text(
            "No account yet? ",
            rx.link("Sign up", href=routes.SIGNUP, id="signup-link"),
            size="2",
        ),
    )


def signup() -> rx.Component:
    return auth_card(
        "Sign up",
        rx.text("The first person to sign up becomes an admin.", size="2", color_scheme="gray"),
        _error(),
        rx.form(
            rx.vstack(
                field("Name", "name", auto_complete="name"),
                field("Email", "email", type="email", auto_complete="email"),
                field(
                    "Password (8 characters or more)",
                    "password",
                    type="password",
                    auto_complete="new-password",
                    min_length=8,
                ),
                field(
                    "Phone (optional, +15551234567)",
                    "phone",
                    type="tel",
                    required=False,
                    auto_complete="tel",
                ),
                rx.button("Sign up", type="submit", width="100%", id="signup-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.sign_up,
            id="signup-form",
            width="100%",
        ),
        rx.text(
            "Already signed up? ",
            rx.link("Log in", href=routes.LOGIN, id="login-link"),
            size="2",
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(login, route=routes.LOGIN, title="Log in", on_load=AuthState.redirect_if_signed_in)
    app.add_page(
        signup, route=routes.SIGNUP, title="Sign up", on_load=AuthState.redirect_if_signed_in
    )
