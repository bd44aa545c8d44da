"""The Deployments tab (the live version, the sandbox tier, each deployment and its log, a
deploy running now) and the page's Deploy button."""

from __future__ import annotations

import reflex as rx

from components.code_text import code_text
from components.confirm_dialog import confirm_dialog
from components.empty_state import empty_note
from components.error_banner import error_if
from components.job_progress import job_progress
from components.sandbox_tier import sandbox_tier
from components.status_badge import status_badge
from state.auth import AuthState
from state.object_page import ObjectPageState as P


def deploy_button() -> rx.Component:
    refused = AuthState.refusals["deploy"]
    return confirm_dialog(
        "Deploy v" + P.current_version.to_string() + "?",
        "A job runs its tests in the sandbox first (follow it here or on the Tasks page); if "
        "they pass it becomes the live version, else the live version keeps serving.",
        confirm="Deploy",
        on_confirm=P.deploy,
        confirm_id="deploy-confirm",
        trigger=rx.button(
            rx.icon("rocket"),
            "Deploy",
            loading=P.deploying,
            disabled=P.deploying | (P.error != "") | (refused != ""),
            title=rx.cond(refused != "", refused, "Deploy the latest version"),
            id="deploy-button",
        ),
    )


def _auto_rollback() -> rx.Component:
    refused = P.object_refusals["auto_rollback"]
    return rx.vstack(
        rx.hstack(
            rx.switch(
                checked=P.auto_rollback,
                on_change=P.set_auto_rollback,
                disabled=P.switching_auto_rollback | (refused != ""),
                id="auto-rollback-switch",
                aria_label="Roll back a failing new version by itself",
            ),
            rx.text(
                "Roll back by itself: a version deployed recently that fails noticeably more "
                "than the one before it goes back to that one, without asking.",
                size="2",
            ),
            align="center",
            spacing="2",
        ),
        rx.cond(refused != "", empty_note(refused, ".", id="auto-rollback-refused")),
        error_if(P.auto_rollback_error, id="auto-rollback-error"),
        spacing="1",
        width="100%",
        id="object-auto-rollback",
    )


def _deployment_row(d: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("v", d.version.to_string(), weight="bold"),
            status_badge(d.status),
            rx.text(d.deployed_by, " · ", d.created, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.el.details(
            rx.el.summary("Log"),
            code_text(d.logs, wrap=True),
        ),
        width="100%",
        spacing="1",
        class_name="deployment-row",
    )


def _deploy_running() -> rx.Component:
    return rx.cond(
        P.deploying & (P.deploy_task_id > 0),
        job_progress(
            "Deploying v",
            P.deploy_target.to_string(),
            " (task ",
            P.deploy_task_id.to_string(),
            "): ",
            P.deploy_message,
            progress=P.deploy_progress,
            message_id="deploy-message",
            id="deploy-running",
        ),
    )


def deploy_tab() -> rx.Component:
    return rx.vstack(
        rx.cond(
            AuthState.refusals["deploy"] != "",
            empty_note(AuthState.refusals["deploy"], ".", id="deploy-refused"),
        ),
        _deploy_running(),
        sandbox_tier(P.sandbox_tier, P.sandbox_safe, P.sandbox_message),
        rx.hstack(
            rx.text("Live version: ", size="2"),
            rx.cond(
                P.deployed_version > 0,
                rx.badge("v", P.deployed_version.to_string(), color_scheme="green"),
                empty_note("none (not deployed)"),
            ),
            id="live-version",
        ),
        _auto_rollback(),
        error_if(P.deploy_error, id="deploy-error"),
        rx.cond(
            P.deployments.length() > 0,
            rx.vstack(rx.foreach(P.deployments, _deployment_row), width="100%", id="deployments"),
            empty_note(
                "No deployments yet: Deploy runs the tests and makes this version live.",
                id="deployments-empty",
            ),
        ),
        width="100%",
        spacing="3",
    )
