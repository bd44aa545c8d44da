"""The HTTP API tab: who may call the object (public or private, switched after a
confirmation), each function's endpoint with a curl line, and the OpenAPI document."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.code_text import code_text
from components.confirm_dialog import confirm_dialog
from components.empty_state import empty_note
from components.error_banner import error_if
from state.object_page import ObjectPageState as P


def _visibility() -> rx.Component:
    refused = P.object_refusals["visibility"]
    make_public = ~P.is_public
    return rx.vstack(
        rx.hstack(
            rx.text("Who may call it:", size="2", weight="medium"),
            rx.cond(
                P.is_public,
                rx.badge(rx.icon("globe", size=14), "public", color_scheme="green"),
                rx.badge(rx.icon("lock", size=14), "private", color_scheme="gray"),
            ),
            rx.text(
                rx.cond(
                    P.is_public,
                    "anyone who can reach this server, without a token.",
                    "its owner and admins, with an API token.",
                ),
                size="2",
                color_scheme="gray",
            ),
            confirm_dialog(
                "Make " + P.object_slug + rx.cond(make_public, " public?", " private?"),
                rx.cond(
                    make_public,
                    "Anyone who can reach this server may then call its functions without a "
                    "token, and read its OpenAPI document.",
                    "Calls then need an API token of its owner or an admin; programs calling "
                    "it without one are refused from now on.",
                ),
                confirm=rx.cond(make_public, "Make public", "Make private"),
                on_confirm=P.set_public(make_public),
                confirm_id="visibility-confirm",
                color_scheme="amber",
                trigger=rx.button(
                    rx.cond(make_public, "Make public", "Make private"),
                    size="1",
                    variant="soft",
                    loading=P.switching_visibility,
                    disabled=P.switching_visibility | (refused != ""),
                    title=refused,
                    id="visibility-button",
                ),
            ),
            align="center",
            spacing="2",
            wrap="wrap",
            id="object-visibility",
        ),
        rx.cond(refused != "", empty_note(refused, ".", id="visibility-refused")),
        error_if(P.visibility_error, id="visibility-error"),
        width="100%",
        spacing="2",
    )


def _endpoint(endpoint: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge("POST", variant="outline"),
            rx.code(endpoint.url, class_name="endpoint-url"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        code_text(endpoint.curl, class_name="endpoint-curl"),
        width="100%",
        spacing="1",
        class_name="endpoint",
        data_function=endpoint.name,
    )


def http_tab() -> rx.Component:
    return rx.vstack(
        _visibility(),
        rx.cond(
            P.http.endpoints.length() > 0,
            rx.vstack(
                rx.text(
                    "Each exported function of the live version answers a POST with its "
                    'arguments as a JSON object; the answer is {"result": ...}.',
                    size="2",
                ),
                rx.cond(
                    ~P.is_public,
                    rx.text(
                        "Set DOB_TOKEN to one of your API tokens first (",
                        rx.link(
                            "create one on the Tokens page", href=routes.TOKENS, underline="always"
                        ),
                        ").",
                        size="2",
                        id="http-token-hint",
                    ),
                ),
                rx.foreach(P.http.endpoints, _endpoint),
                rx.text(
                    "OpenAPI 3.1 document, for any OpenAPI client or tool (the same access rule): ",
                    rx.code(P.http.openapi_url, id="openapi-url"),
                    size="2",
                ),
                width="100%",
                spacing="3",
                id="http-endpoints",
            ),
            empty_note(
                "Nothing is live yet: deploy it, and its functions answer at ",
                rx.code(P.http.base_url, "/api/objects/", P.object_slug, "/<function>"),
                ".",
                id="http-not-deployed",
            ),
        ),
        width="100%",
        spacing="4",
    )
