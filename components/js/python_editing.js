// Python editing rules for Monaco: indent after a line that opens a block (it ends with a
// colon), one level out after return/pass/raise/break/continue, and elif/else/except/finally
// move back to their block's level as they are typed (4 spaces a level: the editor options).
// Enter on a blank line keeps its indentation: Monaco would otherwise take the indentation of
// the last line with code, undoing the step out after a return.
//
// Monaco's own Python support sets a language configuration of its own once its module has
// loaded (lazily, after the first editor mounts), and the configuration registered last
// wins. `colorize` resolves only once that module is loaded and its configuration set, so
// these rules are registered after it, once for every editor of the page.
const PYTHON_BLOCK_START = /^(?!\s*#).*:\s*(?:#.*)?$/;
const PYTHON_BLOCK_END = /^\s+(?:return\b.*|pass|raise\b.*|break|continue)\s*(?:#.*)?$/;
const BLANK_BEFORE_CURSOR = /^\s*$/;
const PYTHON_BLOCK_NEXT = /^\s*(?:elif\b.*|else|except\b.*|finally)\s*:\s*(?:#.*)?$/;
let pythonRulesRegistered = null;

function monacoRegisterPythonRules(monaco) {
  const { IndentAction } = monaco.languages;
  return monaco.languages.setLanguageConfiguration("python", {
    onEnterRules: [
      { beforeText: PYTHON_BLOCK_START, action: { indentAction: IndentAction.Indent } },
      { beforeText: PYTHON_BLOCK_END, action: { indentAction: IndentAction.Outdent } },
      { beforeText: BLANK_BEFORE_CURSOR, action: { indentAction: IndentAction.None } },
    ],
    indentationRules: {
      increaseIndentPattern: PYTHON_BLOCK_START,
      decreaseIndentPattern: PYTHON_BLOCK_NEXT,
    },
  });
}

// Monaco applies these rules only where the lines above are tokenized, and tokenizes in the
// background when the browser is idle: typing faster than that (a quick typist, a paste of
// keystrokes, a test) got plain Enters, with the indentation of the line before. So the
// line is tokenized before the keys that apply the rules: Enter, and the colon that ends
// `else:`.
function monacoTokenizeBeforeRules(editor, event) {
  const key = event.browserEvent.key;
  if (key !== "Enter" && key !== ":") return;
  const model = editor.getModel();
  const position = editor.getPosition();
  const tokens = model && (model.tokenization || model); // `tokenization` since Monaco 0.34
  if (position && tokens && typeof tokens.forceTokenization === "function") {
    tokens.forceTokenization(position.lineNumber);
  }
}

function monacoPythonRules(editor, monaco) {
  if (!pythonRulesRegistered) {
    pythonRulesRegistered = monaco.editor
      .colorize("pass", "python", {})
      .then(() => monacoRegisterPythonRules(monaco));
  }
  editor.onKeyDown((event) => monacoTokenizeBeforeRules(editor, event));
}
