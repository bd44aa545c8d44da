// The code's problems as Monaco markers (squiggles, hovers, the overview ruler).
//
// <MonacoProblems model=... marked=... problems=[...] /> renders nothing: it puts `problems`
// (the backend's, for the Monaco model named `marked`) on that model, now or as soon as the
// editor creates it, and asks for a check (`onCheck(model, file, text)`) whenever another
// model is shown (`model`), so a file's problems are there before anyone types.
const monacoProblems = { byModel: new Map(), watching: false };
const PROBLEM_OWNER = "python-problems";

function monacoMarkers(monaco, problems) {
  return (problems || []).map((p) => ({
    startLineNumber: p.line,
    startColumn: p.column,
    endLineNumber: p.end_line,
    endColumn: p.end_column,
    severity: p.severity === "error" ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
    message: p.message,
    code: p.code,
    source: p.code === "syntax" ? "python" : "ruff",
  }));
}

function monacoShowProblems(monaco, model, problems) {
  const key = monaco.Uri.parse(model).toString();
  monacoProblems.byModel.set(key, problems || []);
  if (!monacoProblems.watching) {
    monacoProblems.watching = true;
    monaco.editor.onDidCreateModel((created) => {
      const waiting = monacoProblems.byModel.get(created.uri.toString());
      if (waiting) monaco.editor.setModelMarkers(created, PROBLEM_OWNER, monacoMarkers(monaco, waiting));
    });
  }
  const found = monaco.editor.getModel(monaco.Uri.parse(model));
  if (found) monaco.editor.setModelMarkers(found, PROBLEM_OWNER, monacoMarkers(monaco, problems));
}

function MonacoProblems({ model, file, text, marked, problems, onCheck }) {
  useEffect(() => {
    if (!model || !onCheck) return;
    let live = true;
    loader.init().then((monaco) => {
      const shown = monaco.editor.getModel(monaco.Uri.parse(model));
      if (live) onCheck(model, file, shown ? shown.getValue() : text);
    });
    return () => { live = false; };
  }, [model]);
  useEffect(() => {
    if (!marked) return;
    loader.init().then((monaco) => monacoShowProblems(monaco, marked, problems));
  }, [marked, problems]);
  return null;
}
