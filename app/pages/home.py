"""Home: every durable object at a glance."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from components.error_banner import error_banner
from components.objects_table import objects_table
from state.objects import HomeState


def _objects() -> rx.Component:
    return rx.cond(
        HomeState.error != "",
        error_banner(HomeState.error, id="objects-error"),
        rx.cond(
            HomeState.loaded,
            rx.cond(
                HomeState.has_objects,
                objects_table(HomeState.objects, id="objects-table"),
                empty_state(
                    "No durable objects yet",
                    "Create one by describing what it should do; it will be listed here.",
                    id="objects-empty",
                ),
            ),
            rx.center(rx.spinner(size="3"), padding="3em", width="100%", id="objects-loading"),
        ),
    )


def home() -> rx.Component:
    return rx.container(
        rx.vstack(
            rx.hstack(
                rx.heading("Durable objects", size="7"),
                rx.spacer(),
                rx.color_mode.button(),
                width="100%",
                align="center",
            ),
            rx.text(
                "Small pieces of server code, versioned, changed by describing what you want.",
                color_scheme="gray",
            ),
            _objects(),
            spacing="5",
            width="100%",
        ),
        size="4",
        padding_y="2em",
    )
