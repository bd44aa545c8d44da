"""The Console tab: call a function of the live version with JSON arguments, and read the
object's durable storage."""

from __future__ import annotations

import reflex as rx

from components.code_text import code_text
from components.empty_state import empty_note
from components.error_banner import error_if
from components.section import section
from state.object_console import ObjectConsoleState as C


def _storage() -> rx.Component:
    return section(
        "Durable storage (read-only)",
        rx.text(
            C.storage_keys.to_string(),
            rx.cond(C.storage_keys == 1, " key", " keys"),
            size="2",
            color_scheme="gray",
            id="storage-count",
        ),
        code_text(C.storage, id="object-storage"),
    )


def console_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            C.functions.length() > 0,
            rx.vstack(
                rx.hstack(
                    rx.select(
                        C.function_names,
                        value=C.function,
                        on_change=C.pick,
                        id="console-function",
                        custom_attrs={"aria-label": "Function to call"},
                    ),
                    rx.code(C.signature),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text_area(
                    value=C.arguments,
                    on_change=C.set_arguments,
                    rows="5",
                    font_family="monospace",
                    width="100%",
                    id="console-arguments",
                    aria_label="Arguments (a JSON object)",
                ),
                rx.button(
                    rx.icon("play"),
                    "Call",
                    on_click=C.call,
                    loading=C.calling,
                    disabled=C.calling,
                    id="console-call",
                ),
                error_if(C.call_error, id="console-error"),
                rx.cond(
                    C.result != "",
                    rx.vstack(
                        rx.text("Result", weight="medium", size="2"),
                        code_text(C.result, id="console-result"),
                        width="100%",
                        spacing="1",
                    ),
                ),
                rx.cond(
                    C.took != "",
                    rx.text("Took ", C.took, size="1", color_scheme="gray", id="console-took"),
                ),
                width="100%",
                spacing="2",
            ),
            empty_note("Deploy the object to call its functions here.", id="console-empty"),
        ),
        _storage(),
        width="100%",
        spacing="4",
    )
