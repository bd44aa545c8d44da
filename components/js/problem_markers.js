// The code's problems as Monaco markers (squiggles, hovers, the overview ruler).
//
// <MonacoProblems model=... marked=... problems=[...] /> renders nothing: it puts `problems`
// (the backend's, for the Monaco model named `marked`) on that model, now or as soon as the
// editor creates it, and asks for a check (`onCheck(model, file, text)`) whenever another
// model is shown (`model`), so a file's problems are there before anyone types, and `delay`
// ms after each change to that model's text.
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

function MonacoProblems({ model, file, text, marked, problems, onCheck, delay }) {
  // The latest handler, without making the effect below start again at every render.
  const checkRef = useRef(onCheck);
  checkRef.current = onCheck;
  useEffect(() => {
    if (!model || !onCheck) return;
    let live = true;
    let timer = null;
    const disposables = [];
    loader.init().then((monaco) => {
      if (!live) return;
      const uri = monaco.Uri.parse(model);
      const check = () => {
        const shown = monaco.editor.getModel(uri);
        if (live && checkRef.current) checkRef.current(model, file, shown ? shown.getValue() : text);
      };
      // After each pause in typing. The editor's own on_change only stores the text: a
      // debounce there would hold back the text a save sends too.
      const watch = (found) =>
        disposables.push(
          found.onDidChangeContent(() => {
            clearTimeout(timer);
            timer = setTimeout(check, delay || 0);
          }),
        );
      const found = monaco.editor.getModel(uri);
      if (found) {
        watch(found);
      } else {
        const created = monaco.editor.onDidCreateModel((m) => {
          if (m.uri.toString() === uri.toString()) watch(m);
        });
        disposables.push(created);
      }
      check();
    });
    return () => {
      live = false;
      clearTimeout(timer);
      disposables.forEach((d) => d.dispose());
    };
  }, [model]);
  useEffect(() => {
    if (!marked) return;
    loader.init().then((monaco) => monacoShowProblems(monaco, marked, problems));
  }, [marked, problems]);
  return null;
}
