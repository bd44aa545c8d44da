"""A live list's body: a spinner until its first read, then its table, or its empty state."""

from __future__ import annotations

import reflex as rx

from components.empty_state import loading


def live_rows(state: type[rx.State], table: rx.Component, empty: rx.Component) -> rx.Component:
    """`table` once `state` has read rows, `empty` when it read none (a LiveMixin state)."""
    return rx.cond(state.loaded, rx.cond(state.rows.length() > 0, table, empty), loading())
