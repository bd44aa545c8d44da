"""The Versions tab: every version (restoring an older one, after a confirmation) and the
diff between any two."""

from __future__ import annotations

import reflex as rx

from components.confirm_dialog import confirm_dialog
from components.diff_view import diff_view
from components.empty_state import empty_note
from components.error_banner import error_if
from components.parse_status import api_cell
from components.section import section
from components.tables import data_table
from state.auth import AuthState
from state.object_page import ObjectPageState as P


def _version_row(v: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell("v", v.number.to_string()),
        rx.table.cell(v.message),
        rx.table.cell(v.author),
        rx.table.cell(v.created, white_space="nowrap"),
        rx.table.cell(api_cell(v.api, v.syntax_error), max_width="20em"),
        rx.table.cell(
            rx.cond(
                v.number == P.current_version,
                rx.badge("current", variant="soft"),
                rx.button(
                    "Restore",
                    size="1",
                    variant="soft",
                    on_click=P.ask_restore(v.number),
                    disabled=AuthState.refusals["rollback"] != "",
                    title=AuthState.refusals["rollback"],
                    class_name="restore-button",
                ),
            )
        ),
        id="version-row-" + v.number.to_string(),
        class_name="version-row",
    )


def _restore_dialog() -> rx.Component:
    return confirm_dialog(
        "Restore v" + P.restore_target.to_string() + "?",
        "Its files become a new version after v"
        + P.current_version.to_string()
        + "; history is kept. Deploy afterwards to make it live.",
        confirm="Restore",
        on_confirm=P.restore,
        confirm_id="restore-confirm",
        open=P.restore_target > 0,
        on_cancel=P.cancel_restore,
        busy=P.restoring,
        error=error_if(P.restore_error, id="restore-error"),
        color_scheme="amber",
    )


def versions_tab() -> rx.Component:
    return rx.vstack(
        data_table(
            ["Version", "Message", "Author", "Created", "API", ""],
            P.versions,
            _version_row,
            size="2",
            id="versions-table",
        ),
        _restore_dialog(),
        section(
            "Diff",
            rx.cond(
                P.has_versions_to_diff,
                rx.vstack(
                    rx.hstack(
                        rx.text("From v", size="2"),
                        rx.select(
                            P.version_numbers,
                            value=P.diff_from,
                            on_change=P.set_diff_from,
                            id="diff-from",
                            custom_attrs={"aria-label": "Compare from version"},
                        ),
                        rx.text("to v", size="2"),
                        rx.select(
                            P.version_numbers,
                            value=P.diff_to,
                            on_change=P.set_diff_to,
                            id="diff-to",
                            custom_attrs={"aria-label": "Compare to version"},
                        ),
                        align="center",
                        spacing="2",
                    ),
                    error_if(P.diff_error, id="diff-error"),
                    diff_view(
                        P.diff_files, P.side_by_side, P.toggle_side_by_side, id="version-diff"
                    ),
                    width="100%",
                ),
                empty_note(
                    "Only one version so far: save a change to compare versions.",
                    id="diff-single-version",
                ),
            ),
        ),
        width="100%",
        spacing="4",
    )
