"""The Code tab: one editor per file, saving a new version, and its evaluation as it runs."""

from __future__ import annotations

import reflex as rx

from app.pages.object_detail.evaluation import evaluation
from components.code_problems import checked_code_editor
from components.error_banner import error_if
from components.job_progress import job_progress
from state.object_page import ObjectPageState as P


def _file_tabs() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            P.file_names,
            lambda path: rx.button(
                path,
                size="1",
                variant=rx.cond(P.active_file == path, "solid", "soft"),
                on_click=P.select_file(path),
                class_name="file-tab",
            ),
        ),
        spacing="1",
        wrap="wrap",
        id="file-tabs",
    )


def code_tab() -> rx.Component:
    return rx.vstack(
        _file_tabs(),
        checked_code_editor(
            P.active_text,
            path=P.editor_path,
            file=P.active_file,
            on_change=P.set_code,
            save_target="save-version",
            id="code-editor",
        ),
        rx.flex(
            rx.input(
                placeholder="What changed (message)",
                value=P.save_message,
                on_change=P.set_save_message,
                flex="1",
                min_width="14em",
                id="save-message",
                aria_label="What changed (message)",
            ),
            rx.select(
                ["change", "refactor"],
                value=P.save_intent,
                on_change=P.set_save_intent,
                id="save-intent",
                custom_attrs={"aria-label": "Intent: change, or refactor (keeps behaviour)"},
            ),
            rx.button(
                rx.icon("save"),
                "Save as new version",
                on_click=P.save,
                loading=P.saving,
                disabled=P.saving | ~P.dirty,
                id="save-version",
                title="Ctrl/Cmd+S",
            ),
            gap="2",
            wrap="wrap",
            width="100%",
            align="center",
        ),
        rx.text("Ctrl/Cmd+S saves. Saving runs the evaluation.", size="1", color_scheme="gray"),
        error_if(P.save_error, id="save-error"),
        rx.cond(
            P.evaluating,
            job_progress(
                "Evaluating v",
                P.evaluated_version.to_string(),
                ": ",
                P.evaluation_message,
                progress=P.evaluation_progress,
                message_id="evaluation-message",
                id="evaluation-running",
            ),
            rx.cond(
                P.evaluation.verdict != "",
                rx.card(
                    rx.heading("Evaluation of v", P.evaluated_version.to_string(), size="3"),
                    evaluation(P.evaluation),
                    width="100%",
                    id="save-evaluation",
                ),
            ),
        ),
        width="100%",
        spacing="3",
    )
