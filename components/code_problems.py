"""The code editor with the code's problems shown as the person types.

Problems are Python's syntax error and the evaluator's ruff findings (see
`state.code_problems`): Monaco markers in the editor (squiggles and hovers) and a list under
it with each line and message, which screen readers announce as it changes.
"""

from __future__ import annotations

from pathlib import Path

import reflex as rx
from reflex.event import passthrough_event_spec
from reflex.utils.imports import ImportVar

from components.editor import MONACO_LIBRARY, code_editor
from state.code_problems import CodeProblemsState

#: How long typing must pause before the code is checked (ms).
CHECK_DELAY_MS = 400
_MARKERS_JS = (Path(__file__).parent / "js" / "problem_markers.js").read_text(encoding="utf-8")

S = CodeProblemsState


class MonacoProblems(rx.Component):
    """Renders nothing: puts `problems` on the Monaco model `marked` as markers, and calls
    `on_check(model, file, text)` when the model `model` is shown and `delay` ms after each
    pause in typing in it (problem_markers.js)."""

    tag = "MonacoProblems"  # defined by the custom code below, not imported

    model: rx.Var[str]
    file: rx.Var[str]
    text: rx.Var[str]
    marked: rx.Var[str]
    problems: rx.Var[list]
    delay: rx.Var[int]
    on_check: rx.EventHandler[passthrough_event_spec(str, str, str)]

    def add_imports(self) -> dict:
        return {
            "react": [ImportVar(tag="useEffect"), ImportVar(tag="useRef")],
            MONACO_LIBRARY: [ImportVar(tag="loader")],
        }

    def add_custom_code(self) -> list[str]:
        return [_MARKERS_JS]


def _problem(problem: rx.Var) -> rx.Component:
    error = problem.severity == "error"
    return rx.el.li(
        rx.hstack(
            rx.icon(
                rx.cond(error, "circle-x", "triangle-alert"),
                size=14,
                color=rx.cond(error, rx.color("red", 10), rx.color("amber", 10)),
                aria_hidden="true",
            ),
            rx.text(
                rx.cond(error, "Error: ", "Warning: "),
                "line ",
                problem.line.to_string(),
                ": ",
                problem.message,
                size="2",
                class_name="problem-text",
            ),
            spacing="2",
            align="center",
        ),
        class_name="problem problem-" + problem.severity,
    )


def problems_list(model: rx.Var[str], **props) -> rx.Component:
    """The problems of model `model` (nothing until its first check has answered)."""
    return rx.box(
        rx.cond(
            S.model == model,
            rx.cond(
                S.problems.length() > 0,
                rx.el.ul(
                    rx.foreach(S.problems, _problem),
                    list_style="none",
                    padding="0",
                    margin="0",
                    aria_label="Problems in the code",
                ),
                rx.text("No problems found.", size="2", color_scheme="gray"),
            ),
        ),
        rx.cond(S.check_error != "", rx.text(S.check_error, size="2", color_scheme="red")),
        role="status",
        aria_live="polite",
        width="100%",
        **props,
    )


def checked_code_editor(
    value: rx.Var[str],
    *,
    path: rx.Var[str],
    file: rx.Var[str],
    on_change: rx.EventHandler,
    save_target: str = "",
    **props,
) -> rx.Component:
    """`code_editor` for the file `file` (Monaco model `path`), with its problems: checked
    when it is shown and after each pause in typing, marked in it and listed under it."""
    return rx.vstack(
        code_editor(
            value,
            path=path,
            # Every change is stored at once, in order, so a save right after typing has
            # every key; the check is debounced on its own, by MonacoProblems.
            on_change=on_change,
            save_target=save_target,
            **props,
        ),
        MonacoProblems.create(
            model=path,
            file=file,
            text=value,
            marked=S.model,
            problems=S.problems,
            delay=CHECK_DELAY_MS,
            on_check=S.check,
        ),
        problems_list(path, id="editor-problems"),
        width="100%",
        spacing="2",
    )
