"""The object page: a header, then one tab per module of this package (code editor, versions
and diffs, modification box, deploys, health (its calls), console and storage, how to call it
over HTTP)."""

from __future__ import annotations

import reflex as rx

from app import routes
from app.pages.object_detail.code import code_tab
from app.pages.object_detail.console import console_tab
from app.pages.object_detail.deploy import deploy_button, deploy_tab
from app.pages.object_detail.health import health_tab
from app.pages.object_detail.http_api import http_tab
from app.pages.object_detail.modify import modify_tab
from app.pages.object_detail.versions import versions_tab
from components.empty_state import loading
from components.error_banner import error_banner
from components.layout import page
from components.parse_status import does_not_parse
from components.status_badge import status_badge
from state.auth import AuthState
from state.object_modify import ObjectModifyState
from state.object_page import ObjectPageState

P = ObjectPageState


def _tabs() -> rx.Component:
    tabs = [
        ("code", "Code", code_tab),
        ("versions", "Versions", versions_tab),
        ("modify", "Modify", modify_tab),
        ("deploy", "Deployments", deploy_tab),
        ("health", "Health", health_tab),
        ("console", "Console", console_tab),
        ("http", "HTTP API", http_tab),
    ]
    return rx.tabs.root(
        rx.tabs.list(
            *[rx.tabs.trigger(label, value=key, id=f"tab-{key}") for key, label, _ in tabs],
            # On a phone the tabs wrap onto a second row instead of being cut off.
            flex_wrap="wrap",
            id="object-tabs",
        ),
        *[rx.tabs.content(body(), value=key, padding_top="1em") for key, _, body in tabs],
        default_value="code",
        width="100%",
    )


def _body() -> rx.Component:
    return rx.cond(
        P.error != "",
        rx.vstack(
            error_banner(P.error, id="object-error"),
            rx.link("Back to the objects", href=routes.OBJECTS),
            width="100%",
        ),
        rx.cond(
            P.loaded,
            rx.vstack(
                rx.hstack(
                    rx.code(P.object_slug, id="object-slug"),
                    status_badge(P.status, id="object-status"),
                    rx.badge(P.kind, variant="outline"),
                    rx.text(P.version_line, size="2", id="object-version"),
                    does_not_parse(P.current_syntax_error, id="object-parse-error"),
                    rx.text(P.description, size="2", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                _tabs(),
                width="100%",
                spacing="3",
                id="object-page",
            ),
            loading(padding="3em", id="object-loading"),
        ),
    )


def object_page() -> rx.Component:
    return page(
        P.name,  # type: ignore[arg-type]  # a Var: the heading shows the object's name
        _body(),
        actions=[deploy_button()],
    )


def register(app: rx.App) -> None:
    app.add_page(
        object_page,
        route=routes.OBJECT,
        title="Object · Durable objects",
        # The page state's load reads the object once and fills the console too.
        on_load=[AuthState.require_login, ObjectPageState.load, ObjectModifyState.load],
    )
