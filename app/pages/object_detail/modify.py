"""The Modify tab: ask for a change in words, follow its plan and attempts, then approve
(optionally deploying at once) or reject it."""

from __future__ import annotations

import reflex as rx

from app.pages.object_detail.evaluation import evaluation
from components.confirm_dialog import confirm_dialog
from components.diff_view import diff_view
from components.empty_state import empty_note
from components.error_banner import error_if
from components.notice import notice_if
from components.status_badge import status_badge
from state.auth import AuthState
from state.object_modify import ObjectModifyState as M
from state.object_page import ObjectPageState as P


def _attempt(view: rx.Var) -> rx.Component:
    return rx.card(
        rx.text("Attempt ", view.attempt.to_string(), weight="bold", size="2"),
        evaluation(view),
        rx.cond(
            view.feedback != "",
            rx.text("Feedback: ", view.feedback, size="2", color_scheme="gray"),
        ),
        width="100%",
        class_name="modification-attempt",
    )


def _approve_deploy_button() -> rx.Component:
    """Approve and deploy in one step, after saying which version goes live instead of what."""
    new = "v" + (M.modification.base_version + 1).to_string()
    live = "v" + P.deployed_version.to_string()
    is_live = P.deployed_version > 0
    return confirm_dialog(
        "Approve and deploy " + new + "?",
        "The change becomes "
        + new
        + ". Its tests run in the sandbox first; if they pass, "
        + new
        + rx.cond(is_live, " goes live in place of " + live, " becomes the live version")
        + ". If they fail, "
        + new
        + " stays approved and "
        + rx.cond(is_live, live + " keeps serving.", "nothing is live."),
        confirm="Approve and deploy",
        on_confirm=M.approve(True),
        confirm_id="approve-deploy-confirm",
        color_scheme="green",
        trigger=rx.button(
            rx.icon("rocket"),
            "Approve and deploy",
            color_scheme="green",
            variant="soft",
            high_contrast=True,  # green text on green reads below AA otherwise
            loading=M.deciding,
            disabled=M.deciding | (AuthState.refusals["approve"] != ""),
            title=AuthState.refusals["approve"],
            id="approve-deploy-button",
        ),
    )


def _decision() -> rx.Component:
    return rx.cond(
        M.awaiting,
        rx.vstack(
            rx.heading("Proposed change", size="3"),
            diff_view(M.proposed, P.side_by_side, P.toggle_side_by_side, id="proposed-diff"),
            rx.flex(
                rx.button(
                    "Approve",
                    color_scheme="green",
                    high_contrast=True,  # white on Radix green is below AA contrast
                    on_click=M.approve(False),
                    disabled=M.deciding | (AuthState.refusals["approve"] != ""),
                    title=AuthState.refusals["approve"],
                    id="approve-button",
                ),
                _approve_deploy_button(),
                rx.input(
                    placeholder="Why reject it? (required)",
                    value=M.reject_reason,
                    on_change=M.set_reject_reason,
                    flex="1",
                    min_width="14em",
                    id="reject-reason",
                    aria_label="Why reject it? (required)",
                ),
                rx.button(
                    "Reject",
                    color_scheme="red",
                    variant="soft",
                    on_click=M.reject,
                    disabled=M.deciding | (M.reject_reason.strip() == ""),
                    id="reject-button",
                ),
                gap="2",
                wrap="wrap",
                width="100%",
            ),
            width="100%",
            spacing="3",
        ),
    )


def modify_tab() -> rx.Component:
    mod = M.modification
    no_llm = M.llm_missing != ""
    return rx.vstack(
        notice_if(M.llm_missing, id="modify-llm-missing"),
        rx.text_area(
            placeholder="Describe the change, e.g. 'greet in French as well'",
            value=M.prompt,
            on_change=M.set_prompt,
            rows="3",
            width="100%",
            disabled=no_llm,
            id="modify-prompt",
            aria_label="Describe the change",
        ),
        rx.button(
            rx.icon("sparkles"),
            "Request change",
            on_click=M.request,
            loading=M.starting,
            disabled=M.starting | M.running | no_llm | (M.prompt.strip() == ""),
            id="modify-submit",
        ),
        error_if(M.start_error, id="modify-error"),
        error_if(M.live_error, id="modify-live-error"),
        rx.cond(
            mod.id > 0,
            rx.vstack(
                rx.hstack(
                    rx.text("Modification ", mod.id.to_string(), weight="bold"),
                    status_badge(mod.status, id="modification-status"),
                    rx.cond(M.running, rx.spinner(size="1")),
                    rx.text("attempts: ", mod.attempts.to_string(), size="2", color_scheme="gray"),
                    rx.cond(
                        mod.result_version > 0,
                        rx.text(
                            "became v",
                            mod.result_version.to_string(),
                            size="2",
                            id="modification-version",
                        ),
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text(mod.prompt, size="2", font_style="italic"),
                rx.cond(
                    mod.plan_summary != "",
                    rx.vstack(
                        rx.text("Plan: ", mod.plan_summary, size="2"),
                        rx.el.ol(
                            rx.foreach(mod.plan_steps, lambda s: rx.el.li(rx.text(s, size="2"))),
                            padding_left="1.2em",
                            margin="0",
                        ),
                        spacing="1",
                        id="modification-plan",
                    ),
                ),
                error_if(mod.error, id="modification-failed"),
                rx.cond(
                    mod.rejection_reason != "",
                    rx.text("Rejected: ", mod.rejection_reason, size="2", color_scheme="red"),
                ),
                rx.foreach(M.attempts, _attempt),
                _decision(),
                # Outside the decision: a failed deployment is reported after the approval.
                error_if(M.decide_error, id="decide-error"),
                width="100%",
                spacing="3",
                id="modification",
            ),
            empty_note(
                "No change requested yet: describe one above; a model plans and writes it, "
                "the evaluator scores it, and it waits here for approval.",
                id="modification-empty",
            ),
        ),
        width="100%",
        spacing="3",
    )
