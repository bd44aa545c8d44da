"""Monaco code editor and diff editor, loaded from the app's own assets (no CDN).

reflex-monaco's components load Monaco from cdn.jsdelivr.net by default, so an offline
machine shows "Loading..." forever. These subclasses point @monaco-editor/react's loader at
`/monaco/vs` (copied into assets/ by scripts/install.sh through scripts/fetch_npm_files.sh)
and add what the package lacks: an `options` prop, Ctrl/Cmd+S bound to a button on the page,
and Python's indentation rules (js/python_editing.js: indent after a colon, out after return
and pass).
"""

from __future__ import annotations

from pathlib import Path

import reflex as rx
from reflex.utils.imports import ImportVar
from reflex_monaco.monaco import DiffMonacoEditor, MonacoEditor

MONACO_LIBRARY = "@monaco-editor/react@4.7.0"
MONACO_BASE = "/monaco/vs"

#: Module-level JS: runs once when the page's bundle loads, before any editor mounts.
_LOADER_CONFIG = f'loader.config({{ paths: {{ vs: "{MONACO_BASE}" }} }});'

#: An onMount callback that binds Ctrl/Cmd+S to clicking the element whose id the editor's
#: `data-save-target` names (a click keeps every check, disabled buttons, in one place), and
#: sets Python's editing rules.
_ON_MOUNT = """
function monacoOnMount(editor, monaco) {
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => {
    const host = editor.getContainerDomNode().closest("[data-save-target]");
    const target = host && document.getElementById(host.dataset.saveTarget);
    if (target && !target.disabled) target.click();
  });
  monacoPythonRules(editor, monaco);
}
"""
#: The diff editor's onMount: names both sides for screen readers. Monaco 0.55 takes
#: `originalAriaLabel`/`modifiedAriaLabel` only at construction, and @monaco-editor/react's
#: later option updates blank them again, so they are set on each side once it is mounted.
_DIFF_ON_MOUNT = """
function monacoDiffOnMount(editor) {
  editor.getOriginalEditor().updateOptions({ ariaLabel: "Before the change" });
  editor.getModifiedEditor().updateOptions({ ariaLabel: "After the change" });
}
"""
_PYTHON_EDITING = (Path(__file__).parent / "js" / "python_editing.js").read_text(encoding="utf-8")

#: How the editor indents: 4 spaces a level (PEP 8), unless the file already indents
#: otherwise (Monaco detects it), and the language's rules on Enter and while typing.
INDENT_OPTIONS = {
    "tabSize": 4,
    "insertSpaces": True,
    "detectIndentation": True,
    "autoIndent": "full",
}


#: Keys type what they say, whenever the suggestion list happens to be open. Monaco suggests
#: words of the file as one types, and Enter (or a commit character) accepted the suggestion
#: instead of ending the line: `pass` Enter `return y` became `passesreturn y` in a file
#: that has the word "passes", whenever the list opened before the Enter was handled (on a
#: busy machine, reliably). Tab still accepts a suggestion.
TYPING_OPTIONS = {
    "acceptSuggestionOnEnter": "off",
    "acceptSuggestionOnCommitCharacter": False,
}

#: Monaco cancels its pending work when an editor is disposed (a tab switch, leaving the
#: page) with an error named "Canceled"; it is expected (microsoft/monaco-editor#2382), so it
#: is dropped before Reflex reports it as a frontend exception. Reflex reports through
#: `window.onerror` / `window.onunhandledrejection`, and also calls `window.onerror`
#: directly, so the filter wraps whatever handler is assigned to those two properties
#: (keeping the browser's own setter, so real events still reach the wrapped handler).
_IGNORE_CANCELED = """
if (typeof window !== "undefined" && !window.__monacoCanceledFilter) {
  window.__monacoCanceledFilter = true;
  const isCanceled = (e) => !!e && e.name === "Canceled" && e.message === "Canceled";
  for (const name of ["onerror", "onunhandledrejection"]) {
    const native =
      Object.getOwnPropertyDescriptor(window, name) ||
      Object.getOwnPropertyDescriptor(Object.getPrototypeOf(window), name) ||
      Object.getOwnPropertyDescriptor(Window.prototype, name);
    if (!native || !native.set) continue;
    Object.defineProperty(window, name, {
      configurable: true,
      enumerable: true,
      get() { return native.get.call(window); },
      set(handler) {
        const wrapped = typeof handler !== "function" ? handler : function (...args) {
          const error = name === "onerror" ? args[4] : args[0] && args[0].reason;
          if (isCanceled(error)) {
            if (name === "onunhandledrejection" && args[0].preventDefault) args[0].preventDefault();
            return true;
          }
          return handler.apply(this, args);
        };
        native.set.call(window, wrapped);
      },
    });
    // Reflex may have set its handler already (this code loads with the page): wrap it too.
    window[name] = native.get.call(window);
  }
}
"""


class _LocalMonaco:
    """Mixin: import `loader` and configure it to use the app's own Monaco files."""

    def add_imports(self) -> dict:
        return {MONACO_LIBRARY: [ImportVar(tag="loader")]}

    def add_custom_code(self) -> list[str]:
        return [_LOADER_CONFIG, _PYTHON_EDITING, _ON_MOUNT, _DIFF_ON_MOUNT, _IGNORE_CANCELED]


class LocalMonacoEditor(_LocalMonaco, MonacoEditor):
    """The code editor, with Monaco's `options` (e.g. readOnly, minimap)."""

    options: rx.Var[dict]

    # The model's name: each path keeps its own text, undo stack and cursor.
    path: rx.Var[str]


class LocalMonacoDiffEditor(_LocalMonaco, DiffMonacoEditor):
    """The diff editor; `options.renderSideBySide` switches between split and inline."""

    options: rx.Var[dict]


def code_editor(
    value: rx.Var[str] | str,
    *,
    path: rx.Var[str] | str,
    on_change: rx.EventHandler | None = None,
    save_target: str = "",
    read_only: bool | rx.Var[bool] = False,
    height: str = "420px",
    **props,
) -> rx.Component:
    """A Python editor for one file; `path` names its model, so each file keeps its edits.

    `value` is the initial text of a model (Monaco owns the text while the person types;
    `on_change` receives it). With `save_target`, Ctrl/Cmd+S clicks the element with that id.
    """
    editor = LocalMonacoEditor.create(
        default_value=value,
        default_language="python",
        path=path,
        height=height,
        width="100%",
        options={
            "readOnly": read_only,
            "minimap": {"enabled": False},
            "fontSize": 13,
            "ariaLabel": "Code editor",
            # Monaco dims the number of the line after a final newline below AA contrast.
            "renderFinalNewline": "on",
            **INDENT_OPTIONS,
            **TYPING_OPTIONS,
        },
        custom_attrs={"onMount": rx.Var("monacoOnMount")},
        **({"on_change": on_change} if on_change is not None else {}),
    )
    return rx.box(
        editor,
        width="100%",
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-2)",
        overflow="hidden",
        custom_attrs={"data-save-target": save_target} if save_target else {},
        **props,
    )


def diff_editor(
    original: rx.Var[str] | str,
    modified: rx.Var[str] | str,
    *,
    side_by_side: rx.Var[bool] | bool = True,
    height: str = "360px",
    **props,
) -> rx.Component:
    """A read-only diff of two texts, side by side or inline."""
    return rx.box(
        LocalMonacoDiffEditor.create(
            original=original,
            modified=modified,
            language="python",
            # @monaco-editor/react 4.7 disposes the models before the widget on unmount, which
            # Monaco 0.55 reports as an error; the widget disposes them itself when kept.
            keep_current_original_model=True,
            keep_current_modified_model=True,
            height=height,
            width="100%",
            options={
                "readOnly": True,
                "renderSideBySide": side_by_side,
                "useInlineViewWhenSpaceIsLimited": False,
                # Whitespace is code in Python: a re-indented or trailing-space change is
                # highlighted like any other (Monaco hides it by default), trailing spaces
                # drawn as dots.
                "ignoreTrimWhitespace": False,
                "renderWhitespace": "trailing",
                "minimap": {"enabled": False},
                # As in the code editor: no dimmed number below AA contrast on the last line.
                "renderFinalNewline": "on",
                "originalAriaLabel": "Before the change",
                "modifiedAriaLabel": "After the change",
            },
            custom_attrs={"onMount": rx.Var("monacoDiffOnMount")},
        ),
        width="100%",
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="var(--radius-2)",
        overflow="hidden",
        **props,
    )
