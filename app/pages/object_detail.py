"""The object page: code editor, versions and diffs, modification box, deploys, console, and
how to call it over HTTP."""

from __future__ import annotations

import reflex as rx

from app import routes
from components.code_problems import checked_code_editor
from components.code_text import code_text
from components.confirm_dialog import confirm_dialog
from components.diff_view import diff_view
from components.empty_state import empty_note, loading
from components.error_banner import error_banner, error_if
from components.job_progress import job_progress
from components.layout import page
from components.notice import notice_if
from components.parse_status import api_cell, does_not_parse
from components.sandbox_tier import sandbox_tier
from components.score_chart import score_chart
from components.section import section
from components.status_badge import status_badge
from components.tables import data_table
from state.auth import AuthState
from state.object_console import ObjectConsoleState
from state.object_modify import ObjectModifyState
from state.object_page import ObjectPageState

P = ObjectPageState
C = ObjectConsoleState
M = ObjectModifyState


def _evaluation(view: rx.Var, **props) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("Verdict", weight="medium", size="2"),
            status_badge(view.verdict),
            rx.text("overall ", view.overall, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        rx.foreach(view.warnings, lambda warning: notice_if(warning, class_name="eval-warning")),
        rx.cond(
            view.highlights.length() > 0,
            rx.box(
                rx.text("What the checks found", weight="medium", size="2", as_="div"),
                # One line each: against the parent, the mutation score, per function the
                # inputs compared (by source, branch coverage), the first differing input;
                # long inputs wrap rather than being cut off.
                rx.el.ul(
                    rx.foreach(
                        view.highlights,
                        lambda line: rx.el.li(rx.text(line, size="2"), overflow_wrap="anywhere"),
                    ),
                    padding_left="1.2em",
                    margin="0",
                    aria_label="What the checks found",
                    class_name="eval-highlights",
                ),
                width="100%",
                class_name="eval-findings",
            ),
        ),
        score_chart(view.bars, view.reasons),
        width="100%",
        spacing="2",
        **props,
    )


# --- code ------------------------------------------------------------------------------


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


def _code_tab() -> rx.Component:
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
                    _evaluation(P.evaluation),
                    width="100%",
                    id="save-evaluation",
                ),
            ),
        ),
        width="100%",
        spacing="3",
    )


# --- versions ----------------------------------------------------------------------------


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


def _versions_tab() -> rx.Component:
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


# --- modification box ----------------------------------------------------------------------


def _attempt(view: rx.Var) -> rx.Component:
    return rx.card(
        rx.text("Attempt ", view.attempt.to_string(), weight="bold", size="2"),
        _evaluation(view),
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


def _modify_tab() -> rx.Component:
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


# --- deploy ------------------------------------------------------------------------------


def _deploy_button() -> rx.Component:
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


def _deploy_tab() -> rx.Component:
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


# --- console and storage -------------------------------------------------------------------


def _console_tab() -> rx.Component:
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
        section(
            "Durable storage (read-only)",
            rx.text(
                C.storage_keys.to_string(),
                rx.cond(C.storage_keys == 1, " key", " keys"),
                size="2",
                color_scheme="gray",
                id="storage-count",
            ),
            code_text(C.storage, id="object-storage"),
        ),
        width="100%",
        spacing="4",
    )


# --- HTTP API ------------------------------------------------------------------------------


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


def _http_tab() -> rx.Component:
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


def _tabs() -> rx.Component:
    tabs = [
        ("code", "Code", _code_tab),
        ("versions", "Versions", _versions_tab),
        ("modify", "Modify", _modify_tab),
        ("deploy", "Deployments", _deploy_tab),
        ("console", "Console", _console_tab),
        ("http", "HTTP API", _http_tab),
    ]
    return rx.tabs.root(
        rx.tabs.list(
            *[rx.tabs.trigger(label, value=key, id=f"tab-{key}") for key, label, _ in tabs],
            # On a phone the tabs wrap onto a second row instead of being cut off.
            flex_wrap="wrap",
            id="object-tabs",
        ),
        *[rx.tabs.content(body(), value=key, padding_top="1em") for key, _, body in tabs],
        default_value="code",
        width="100%",
    )


def _body() -> rx.Component:
    return rx.cond(
        P.error != "",
        rx.vstack(
            error_banner(P.error, id="object-error"),
            rx.link("Back to the objects", href=routes.OBJECTS),
            width="100%",
        ),
        rx.cond(
            P.loaded,
            rx.vstack(
                rx.hstack(
                    rx.code(P.object_slug, id="object-slug"),
                    status_badge(P.status, id="object-status"),
                    rx.badge(P.kind, variant="outline"),
                    rx.text(P.version_line, size="2", id="object-version"),
                    does_not_parse(P.current_syntax_error, id="object-parse-error"),
                    rx.text(P.description, size="2", color_scheme="gray"),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                _tabs(),
                width="100%",
                spacing="3",
                id="object-page",
            ),
            loading(padding="3em", id="object-loading"),
        ),
    )


def object_page() -> rx.Component:
    return page(
        P.name,  # type: ignore[arg-type]  # a Var: the heading shows the object's name
        _body(),
        actions=[_deploy_button()],
    )


def register(app: rx.App) -> None:
    app.add_page(
        object_page,
        route=routes.OBJECT,
        title="Object · Durable objects",
        # The page state's load reads the object once and fills the console too.
        on_load=[AuthState.require_login, ObjectPageState.load, ObjectModifyState.load],
    )
