"""Objects: the searchable list, "New object" and "Create from scratch" dialogs."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.empty_state import empty_state, loading
from components.error_banner import error_banner, error_if
from components.forms import code_area, form_dialog, labelled
from components.layout import page
from components.notice import notice_if
from components.parse_status import does_not_parse_badge
from components.status_badge import status_badge
from components.tables import data_table
from state.auth import AuthState
from state.object_list import KINDS, ObjectListState

S = ObjectListState
MAIN_PY_PLACEHOLDER = (
    'def hello(name: str) -> str:\n    """Greet someone."""\n    return f"hello {name}"\n'
)
TESTS_PLACEHOLDER = (
    'from main import hello\n\n\ndef test_hello():\n    assert hello("Ada") == "hello Ada"\n'
)


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.link(rx.code(row.slug), href=routes.OBJECTS + "/" + row.slug),
            class_name="object-slug",
        ),
        rx.table.cell(row.name, class_name="object-name"),
        rx.table.cell(row.kind),
        rx.table.cell(status_badge(row.status)),
        rx.table.cell(
            rx.hstack(rx.text(row.version), does_not_parse_badge(row.syntax_error), spacing="2")
        ),
        rx.table.cell(row.updated, white_space="nowrap"),
        id="object-row-" + row.slug,
        class_name="object-row",
    )


def _table() -> rx.Component:
    return rx.cond(
        S.filtered.length() > 0,
        data_table(
            ["Slug", "Name", "Kind", "Status", "Version", "Last change"],
            S.filtered,
            _row,
            size="2",
            id="objects-list",
        ),
        rx.text("No object matches ", rx.code(S.search), ".", id="objects-no-match"),
    )


def _list() -> rx.Component:
    return rx.cond(
        S.live_error != "",
        error_banner(S.live_error, id="objects-error"),
        rx.cond(
            S.loaded,
            rx.cond(
                S.has_objects,
                _table(),
                empty_state(
                    "No durable objects yet",
                    "Use \u201cNew object\u201d to paste code, or \u201cCreate from scratch\u201d "
                    "to describe what it should do.",
                    id="objects-empty",
                ),
            ),
            loading(padding="3em", id="objects-loading"),
        ),
    )


def _new_dialog() -> rx.Component:
    return form_dialog(
        "New object",
        "Type or paste its main.py, and its tests if it has some; the first version is a draft.",
        labelled(
            "Slug",
            rx.input(name="slug", placeholder="weather-report", id="new-slug", required=True),
        ),
        labelled(
            "Name",
            rx.input(name="name", placeholder="Weather report", id="new-name", required=True),
        ),
        labelled("Description", rx.input(name="description", id="new-description")),
        labelled(
            "Kind",
            rx.select(
                KINDS,
                name="kind",
                default_value=KINDS[0],
                id="new-kind",
                custom_attrs={"aria-label": "Kind"},
            ),
        ),
        labelled(
            "main.py",
            code_area(
                "main_py", id="new-main", rows="10", placeholder=MAIN_PY_PLACEHOLDER, required=True
            ),
        ),
        labelled(
            "test_main.py (optional)",
            code_area("tests_py", id="new-tests", rows="5", placeholder=TESTS_PLACEHOLDER),
        ),
        error=error_if(S.new_error, id="new-error"),
        trigger=rx.button(rx.icon("plus"), "New object", id="new-object-button"),
        submit="Create",
        submit_id="new-submit",
        on_submit=S.create,
        busy=S.new_busy,
        open=S.new_open,
        on_open_change=S.set_new_open,
    )


def _scratch_progress() -> rx.Component:
    return rx.cond(
        S.scratch_task_id > 0,
        rx.vstack(
            rx.hstack(
                rx.text("Task ", S.scratch_task_id.to_string(), size="2"),
                status_badge(S.scratch_task_status),
                rx.text("modification", size="2", color_scheme="gray"),
                status_badge(S.scratch_status),
                spacing="2",
                align="center",
            ),
            rx.progress(
                value=S.scratch_progress,
                max=100,
                width="100%",
                id="scratch-progress",
                aria_label="Progress of the new object",
            ),
            rx.text(S.scratch_message, size="2", color_scheme="gray", id="scratch-message"),
            rx.cond(
                S.scratch_status == "applied",
                rx.link(
                    "Created: open ",
                    S.scratch_slug,
                    href=routes.OBJECTS + "/" + S.scratch_slug,
                    id="scratch-created",
                ),
            ),
            rx.cond(
                S.scratch_status == "awaiting_approval",
                rx.text(
                    "The new object is written and waits for approval.",
                    size="2",
                    color_scheme="green",
                ),
            ),
            width="100%",
            spacing="2",
            id="scratch-status",
        ),
    )


def _scratch_dialog() -> rx.Component:
    return form_dialog(
        "Create from scratch",
        "Describe what the object should do; a model writes it and the evaluator checks it.",
        notice_if(S.scratch_llm_missing, id="scratch-llm-missing"),
        labelled("Slug", rx.input(name="slug", id="scratch-slug", required=True)),
        labelled("Name", rx.input(name="name", id="scratch-name", required=True)),
        labelled("Description", rx.input(name="description", id="scratch-description")),
        labelled(
            "Requirements",
            rx.text_area(
                name="requirements",
                rows="6",
                id="scratch-requirements",
                required=True,
                disabled=S.scratch_llm_missing != "",
            ),
        ),
        _scratch_progress(),
        error=error_if(S.scratch_error, id="scratch-error"),
        trigger=rx.button(
            rx.icon("sparkles"), "Create from scratch", variant="soft", id="scratch-button"
        ),
        submit="Start",
        submit_id="scratch-submit",
        on_submit=S.create_from_scratch,
        busy=S.scratch_busy | S.scratch_running | (S.scratch_llm_missing != ""),
        open=S.scratch_open,
        on_open_change=S.set_scratch_open,
        # Once the creation runs, closing the dialog cancels nothing: the job goes on.
        close=rx.cond(S.scratch_task_id > 0, "Close", "Cancel"),
    )


def objects_page() -> rx.Component:
    return page(
        "Objects",
        rx.input(
            rx.input.slot(rx.icon("search")),
            placeholder="Search by slug or name",
            aria_label="Search by slug or name",
            value=S.search,
            on_change=S.set_search,
            width="100%",
            max_width="28em",
            id="objects-search",
        ),
        _list(),
        actions=[_new_dialog(), _scratch_dialog()],
        subtitle="Small pieces of server code, versioned, changed by describing what you want.",
    )


def register(app: rx.App) -> None:
    app.add_page(
        objects_page,
        route=routes.OBJECTS,
        title="Objects · Durable objects",
        on_load=[AuthState.require_login, ObjectListState.load],
    )
