"""The table of durable objects (slug, name, kind, status, version, last update)."""

from __future__ import annotations

import reflex as rx

COLUMNS = ("Slug", "Name", "Kind", "Status", "Version", "Updated")

STATUS_COLORS = {
    "draft": "gray",
    "deployed": "green",
    "failed": "red",
    "deprecated": "amber",
}


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(
            status,
            *[(name, color) for name, color in STATUS_COLORS.items()],
            "gray",
        ),
        variant="soft",
    )


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(row.slug), class_name="object-slug"),
        rx.table.cell(row.name, class_name="object-name"),
        rx.table.cell(row.kind),
        rx.table.cell(status_badge(row.status)),
        rx.table.cell(row.version),
        rx.table.cell(row.updated, white_space="nowrap"),
        id=f"object-{row.slug}",
    )


def objects_table(rows: rx.Var[list], **props) -> rx.Component:
    """A table with one row per item of `rows` (dataclass rows with the COLUMNS' fields)."""
    return rx.table.root(
        rx.table.header(
            rx.table.row(*[rx.table.column_header_cell(title) for title in COLUMNS]),
        ),
        rx.table.body(rx.foreach(rows, _row)),
        variant="surface",
        width="100%",
        **props,
    )
