"""Log in and sign up: the two pages a stranger can open."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventType

from app import routes
from components.auth_card import auth_card
from components.error_banner import error_if
from components.forms import field
from state.auth import AuthState
from state.invite import InviteState


def _form(kind: str, label: str, on_submit: EventType, *fields: rx.Component) -> rx.Component:
    """`fields` and a full-width submit button; `kind` names the ids (`login-form`, ...)."""
    return rx.form(
        rx.vstack(
            *fields,
            rx.button(label, type="submit", width="100%", id=f"{kind}-submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=on_submit,
        id=f"{kind}-form",
        width="100%",
    )


def _other_way(question: str, label: str, href: str, id: str) -> rx.Component:
    """The link to the other page ("No account yet? Sign up")."""
    # Underlined: a link inside text must not be told apart by its colour alone.
    return rx.text(question, " ", rx.link(label, href=href, id=id, underline="always"), size="2")


def login() -> rx.Component:
    return auth_card(
        "Log in",
        error_if(AuthState.auth_error, id="auth-error"),
        _form(
            "login",
            "Log in",
            AuthState.log_in,
            field("Email", "email", type="email", auto_complete="username"),
            field("Password", "password", type="password", auto_complete="current-password"),
        ),
        _other_way("No account yet?", "Sign up", routes.SIGNUP, "signup-link"),
    )


def signup() -> rx.Component:
    return auth_card(
        "Sign up",
        rx.text("The first person to sign up becomes an admin.", size="2", color_scheme="gray"),
        error_if(AuthState.auth_error, id="auth-error"),
        _form(
            "signup",
            "Sign up",
            AuthState.sign_up,
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
        ),
        _other_way("Already signed up?", "Log in", routes.LOGIN, "login-link"),
    )


def invite() -> rx.Component:
    """The page an invite link opens: set a password, then in."""
    good = rx.vstack(
        rx.text(
            "Welcome, ", InviteState.name, ". Choose the password you will log in with as ",
            rx.text(InviteState.email, weight="bold", as_="span"), ".",
            size="2",
        ),
        error_if(InviteState.error, id="invite-error"),
        _form(
            "invite",
            "Set password and log in",
            InviteState.set_password,
            field(
                "Password (8 characters or more)",
                "password",
                type="password",
                auto_complete="new-password",
                min_length=8,
            ),
            field("The same password again", "again", type="password",
                  auto_complete="new-password", min_length=8),
        ),
        width="100%",
        spacing="3",
    )  # fmt: skip
    refused = rx.vstack(
        rx.callout(InviteState.refused, icon="link-2-off", color_scheme="red", id="invite-refused"),
        _other_way("Have a password?", "Log in", routes.LOGIN, "login-link"),
        width="100%",
        spacing="3",
    )
    return auth_card(
        "Set your password",
        rx.cond(
            InviteState.checked, rx.cond(InviteState.refused != "", refused, good), rx.spinner()
        ),
    )


def register(app: rx.App) -> None:
    app.add_page(login, route=routes.LOGIN, title="Log in", on_load=AuthState.redirect_if_signed_in)
    app.add_page(
        signup, route=routes.SIGNUP, title="Sign up", on_load=AuthState.redirect_if_signed_in
    )
    app.add_page(invite, route=routes.INVITE, title="Set your password", on_load=InviteState.check)
