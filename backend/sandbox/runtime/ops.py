"""What a call's child does once confined: run a function, list functions, collect or run tests.

Each operation returns the child's answer as JSON text with a `status`:
- "ok": `value` (and `writes`, the storage writes, for calls);
- "error": the object's code raised; `type`, `message`, `where` (innermost frame in the
  object's own files) and `forbidden` (an OSError with EPERM, EACCES or EROFS: the sandbox refused);
- "input": the function doesn't exist or the arguments don't fit its signature;
- "output": the result is not JSON or is larger than allowed.
Only the object's frames are ever named; the runtime's own never leave the sandbox.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import importlib.machinery
import importlib.util
import inspect
import itertools
import json
import linecache
import os
import sys
import types
from collections.abc import Callable
from typing import Any

import storage as storage_api
import tracer as tracing

ENTRY_MODULE = "main"
# What the sandbox answers when it refuses: seccomp and capabilities (EPERM), Landlock
# (EACCES), bubblewrap's read-only mounts (EROFS).
FORBIDDEN_ERRNOS = (errno.EPERM, errno.EACCES, errno.EROFS)
MAX_TEXT = 2000
MAX_TESTS = 500


def _text(value: object, limit: int = MAX_TEXT) -> str:
    try:
        text = str(value)
    except BaseException:
        return "<unprintable>"
    if not isinstance(text, str):
        return "<unprintable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _innermost_object_frame(tb: types.TracebackType | None, code_dir: str) -> tuple[str, int, str]:
    found = ("", 0, "")
    prefix = code_dir.rstrip("/") + "/"
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if isinstance(filename, str) and filename.startswith(prefix):
            found = (filename, tb.tb_lineno, tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return found


def describe_exception(exc: BaseException, code_dir: str) -> dict[str, Any]:
    """Type, message and the object's own innermost frame; never the runtime's frames."""
    try:
        filename, line, name = _innermost_object_frame(exc.__traceback__, code_dir)
    except BaseException:
        filename, line, name = "", 0, ""
    where = ""
    source = ""
    if filename:
        where = f"{os.path.relpath(filename, code_dir)}:{line} in {_text(name, 200)}"
        source = linecache.getline(filename, line).strip()
    try:
        forbidden = isinstance(exc, OSError) and exc.errno in FORBIDDEN_ERRNOS
    except BaseException:
        forbidden = False
    message = _text(exc)
    if isinstance(exc, AssertionError) and not message and source:
        message = source
    return {
        "status": "error",
        "type": _text(getattr(type(exc), "__name__", "Exception"), 200),
        "message": message,
        "where": where,
        "forbidden": bool(forbidden),
    }


def _error_json(exc: BaseException, code_dir: str) -> str:
    return json.dumps(describe_exception(exc, code_dir))


def _fail(status: str, kind: str, message: str) -> str:
    return json.dumps({"status": status, "type": kind, "message": message})


def exported_functions(module: types.ModuleType) -> dict[str, types.FunctionType]:
    """Functions the object exports: those in a list `__all__`, else public ones of main."""
    names = getattr(module, "__all__", None)
    if not (isinstance(names, list | tuple) and all(isinstance(n, str) for n in names)):
        names = [n for n in vars(module) if not n.startswith("_")]
    found = {}
    for name in names:
        value = vars(module).get(name)
        if inspect.isfunction(value) and getattr(value, "__module__", None) == ENTRY_MODULE:
            found[name] = value
    return found


def exported_function(module: types.ModuleType, name: str) -> types.FunctionType | None:
    """`exported_functions(module).get(name)`, without looking at every other name."""
    names = getattr(module, "__all__", None)
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        if name not in names:
            return None
    elif name.startswith("_"):
        return None
    value = vars(module).get(name)
    if inspect.isfunction(value) and getattr(value, "__module__", None) == ENTRY_MODULE:
        return value
    return None


_signatures: dict[tuple[types.CodeType, int, tuple[str, ...]], inspect.Signature] = {}


def signature(function: types.FunctionType) -> inspect.Signature:
    """`inspect.signature(function)`, made once per code object in a batch. What binding
    arguments needs (the parameters, their kinds, which have defaults) follows from the code
    object and how many defaults there are; a function with attributes of its own (which may
    be `__wrapped__` or `__signature__`) is always asked afresh."""
    if function.__dict__:
        return inspect.signature(function)
    key = (
        function.__code__,
        len(function.__defaults__ or ()),
        tuple(function.__kwdefaults__ or ()),
    )
    found = _signatures.get(key)
    if found is None:
        found = _signatures[key] = inspect.signature(function)
    return found


def _import_main() -> types.ModuleType:
    return importlib.import_module(ENTRY_MODULE)


def op_call(
    request: dict[str, Any],
    code_dir: str,
    output_cap: int,
    *,
    tracer: tracing.Tracer | None = None,
) -> str:
    """Call the function; with a `tracer`, the call itself (nothing before or after it) runs
    traced."""
    store = storage_api.Storage(request.get("storage") or {})
    sys.modules["storage"] = storage_api.make_module(store)
    name = request["function"]
    try:
        module = _import_main()
        function = exported_function(module, name)
        if function is None:
            return _fail("input", "UnknownFunction", f"main.py exports no function {name!r}")
        try:
            bound = signature(function).bind(**request["args"])
        except TypeError as exc:
            return _fail("input", "BadArguments", f"arguments don't fit {name}(): {_text(exc)}")
        args, kwargs = bound.args, bound.kwargs
        if tracer is None:
            value = function(*args, **kwargs)
        else:
            tracer.start()
            try:
                value = function(*args, **kwargs)
            finally:
                tracer.stop()
        if inspect.isawaitable(value):
            getattr(value, "close", lambda: None)()
            return _fail("error", "TypeError", f"{name} is async; only plain functions run here")
    except BaseException as exc:
        return _error_json(exc, code_dir)
    try:
        value_json = json.dumps(value, allow_nan=False, separators=(",", ":"))
        writes_json = store.writes_json()
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        return _fail("output", type(exc).__name__, f"the result is not JSON: {_text(exc)}")
    if len(value_json) + len(writes_json) > output_cap:
        size = len(value_json) + len(writes_json)
        return _fail(
            "output", "ResultTooLarge", f"the result is {size} bytes; the limit is {output_cap}"
        )
    return '{"status":"ok","value":' + value_json + ',"writes":' + writes_json + "}"


class CachedSourceLoader(importlib.machinery.SourceFileLoader):
    """The standard loader for an object's `.py` file, whose code object (from the
    byte-compiled file, or compiled from source) is made once per batch and shared by its
    inputs: a code object is immutable, and each input still runs it in a fresh module."""

    codes: dict[str, types.CodeType] = {}

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        code = self.codes.get(path)
        if code is None:
            code = super().get_code(fullname)
            if code is None:  # pragma: no cover - a source loader always makes code
                raise ImportError(f"no code for {fullname}", name=fullname)
            self.codes[path] = code
        return code


class CachedFinder:
    """A path-entry finder for one folder of the object: asks the standard finder once per
    module name (the folder never changes during a batch) and answers later lookups with a
    fresh spec whose loader reuses the module's code object."""

    def __init__(self, finder: Any) -> None:
        self.finder = finder
        self.specs: dict[str, tuple[str, list[str] | None, str | None] | None] = {}

    def find_spec(self, fullname: str, target: Any = None) -> Any:
        if fullname not in self.specs:
            spec = self.finder.find_spec(fullname, target)
            if spec is None:
                self.specs[fullname] = None
            elif type(spec.loader) is importlib.machinery.SourceFileLoader and spec.has_location:
                locations = spec.submodule_search_locations
                self.specs[fullname] = (
                    spec.origin,
                    None if locations is None else list(locations),
                    spec.cached,
                )
            else:  # a namespace portion, a .pyc-only file, an extension: not cached
                return spec
        known = self.specs[fullname]
        if known is None:
            return None
        origin, locations, cached = known
        spec = importlib.machinery.ModuleSpec(
            fullname,
            CachedSourceLoader(fullname, origin),
            origin=origin,
            is_package=locations is not None,
        )
        spec.has_location = True
        spec.cached = cached
        if locations is not None:
            spec.submodule_search_locations = list(locations)
        return spec

    def invalidate_caches(self) -> None:
        self.finder.invalidate_caches()

    def iter_modules(self, prefix: str = "") -> Any:
        """What `pkgutil.iter_modules` lists for the folder (it knows only its own finders)."""
        import pkgutil

        return pkgutil.iter_importer_modules(self.finder, prefix)

    def __getattr__(self, name: str) -> Any:
        if name == "finder":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.finder, name)  # the rest of a FileFinder (`path`, ...)


class ObjectModules:
    """The object's own modules across the inputs of a batch.

    `forget` drops, before each input, `main` and every module loaded from the object's
    folder, so that input imports them afresh: module-level state (caches, counters,
    the `storage` functions it imported) doesn't carry over. Only entries of `sys.modules`
    that are new or replaced since the last look are examined. `install` makes imports from
    the object's folders find each module and read its code only once per batch (see
    `CachedFinder`); each input still executes every module in a fresh namespace."""

    def __init__(self, code_dir: str) -> None:
        self.root = code_dir.rstrip("/")
        self.prefix = self.root + "/"
        self.seen: dict[str, Any] = {}  # module name -> a module that is not the object's

    def own(self, name: str, module: Any) -> bool:
        if name == ENTRY_MODULE:
            return True
        try:
            file = getattr(module, "__file__", None)
            if isinstance(file, str):
                return file.startswith(self.prefix)
            # A namespace package has no file: it is the object's if a folder of it is.
            path = getattr(module, "__path__", None)
            return path is not None and any(map(self.holds, itertools.islice(path, 100)))
        except BaseException:
            return True  # a module object that misbehaves is the object's own

    def forget(self) -> None:
        seen = self.seen
        for name, module in list(sys.modules.items()):
            if seen.get(name, _ABSENT) is module:
                continue
            if self.own(name, module):
                sys.modules.pop(name, None)
                seen.pop(name, None)
            else:
                seen[name] = module

    def install(self) -> None:
        """Put the caching finder in front of the path hooks for the object's folders."""
        hooks = list(sys.path_hooks)

        def hook(entry: str) -> CachedFinder:
            if not self.holds(entry):
                raise ImportError("not the object's folder")
            for original in hooks:
                try:
                    return CachedFinder(original(entry))
                except ImportError:
                    continue
            raise ImportError("no finder for the object's folder")

        sys.path_hooks.insert(0, hook)
        for entry in list(sys.path_importer_cache):
            if self.holds(entry):
                del sys.path_importer_cache[entry]

    def holds(self, entry: object) -> bool:
        return isinstance(entry, str) and (entry == self.root or entry.startswith(self.prefix))


_ABSENT = object()


def op_call_many(
    request: dict[str, Any],
    code_dir: str,
    output_cap: int,
    *,
    before_each: Callable[[], None],
    emit: Callable[[str, str | None], None],
) -> None:
    """Call a function once per input in `request["inputs"]`, in order (the function named
    at the same place in `request["functions"]`), each with a fresh copy of the storage
    snapshot and freshly imported object modules; `emit` each answer
    (as `op_call` would return it) before starting the next. The worker enforces each
    input's limits and restarts the batch in a new child after one that ends it.

    With `request["trace"]`, each call runs traced (see `tracer`) and its arcs, as JSON
    text, are emitted with its answer (None when the function wasn't called)."""
    modules = ObjectModules(code_dir)
    modules.install()
    trace = request.get("trace") is True
    for function, args in zip(request["functions"], request["inputs"], strict=True):
        before_each()
        modules.forget()
        single = {"function": function, "args": args, "storage": request.get("storage")}
        tracer = tracing.Tracer(code_dir) if trace else None
        answer = op_call(single, code_dir, output_cap, tracer=tracer)
        emit(answer, None if tracer is None else _arcs_json(tracer))


def _arcs_json(tracer: tracing.Tracer) -> str | None:
    if not tracer.started:
        return None
    try:
        return json.dumps(tracer.arcs(), separators=(",", ":"))
    except BaseException:  # the object's code may have tampered with the tracer
        return None


def op_import(request: dict[str, Any], code_dir: str, output_cap: int) -> str:
    sys.modules["storage"] = storage_api.make_module(storage_api.Storage({}))
    try:
        module = _import_main()
        functions = {
            name: list(inspect.signature(function).parameters)
            for name, function in exported_functions(module).items()
        }
    except BaseException as exc:
        return _error_json(exc, code_dir)
    return json.dumps({"status": "ok", "value": functions})


def _test_files(code_dir: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(code_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
        for name in sorted(files):
            if name.startswith("test_") and name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(root, name), code_dir))
    return found


def _load_file(code_dir: str, relative: str) -> types.ModuleType:
    name = "test__" + relative[:-3].replace("/", "__")
    spec = importlib.util.spec_from_file_location(name, os.path.join(code_dir, relative))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {relative}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _test_functions(module: types.ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if name.startswith("test") and inspect.isfunction(value)
    ]


def op_collect(request: dict[str, Any], code_dir: str, output_cap: int) -> str:
    sys.modules["storage"] = storage_api.make_module(storage_api.Storage({}))
    tests: list[list[str]] = []
    errors: list[dict[str, Any]] = []
    for relative in _test_files(code_dir):
        try:
            module = _load_file(code_dir, relative)
        except BaseException as exc:
            errors.append({"file": relative, **describe_exception(exc, code_dir)})
            continue
        tests.extend([relative, name] for name in _test_functions(module))
    return json.dumps({"status": "ok", "value": {"tests": tests[:MAX_TESTS], "errors": errors}})


def op_test(request: dict[str, Any], code_dir: str, output_cap: int) -> str:
    sys.modules["storage"] = storage_api.make_module(storage_api.Storage({}))
    relative, name = request["file"], request["name"]
    try:
        function = vars(_load_file(code_dir, relative)).get(name)
        if not inspect.isfunction(function):
            return _fail("error", "LookupError", f"{relative} has no test function {name}")
        required = [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required:
            return _fail(
                "error", "TypeError", f"fixtures are not supported ({', '.join(required)})"
            )
        result = function()
        if inspect.isawaitable(result):
            getattr(result, "close", lambda: None)()
            return _fail("error", "TypeError", "async tests are not supported")
    except BaseException as exc:
        return _error_json(exc, code_dir)
    return json.dumps({"status": "ok", "value": None})


def op_compile(request: dict[str, Any], code_dir: str, output_cap: int) -> str:
    """Byte-compile the object's files into __pycache__ (run once per version, by the worker's
    request, never with object code loaded). Files that don't compile are left to fail, with
    a proper message, when they are imported."""
    import py_compile

    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH  # the folder never changes
    for root, dirs, files in os.walk(code_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(root, name)
                cache = importlib.util.cache_from_source(path)
                with contextlib.suppress(
                    py_compile.PyCompileError, OSError, ValueError, RecursionError
                ):
                    py_compile.compile(path, cfile=cache, doraise=True, invalidation_mode=mode)
    return json.dumps({"status": "ok", "value": None})


OPERATIONS = {
    "compile": op_compile,
    "call": op_call,
    "import": op_import,
    "collect": op_collect,
    "test": op_test,
}
