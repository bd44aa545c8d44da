"""Branch tracing of one call: the line arcs it ran in the object's own source files.

With tracing on, a batch input's function call (the call only: not the import of the
object's modules, nor the runtime's own code) runs under `sys.settrace`, and its answer
carries, per object file that ran (its path relative to the code folder; never a test file
`test_*.py`), the distinct arcs `[from, to]` between lines. They follow coverage.py's
PyTracer (Python 3.11) so that coverage.py's static analysis applies to them on the host:

- a frame entered by a real call (not a generator resumed) starts at `-co_firstlineno`; a
  resumed one at the line it resumes on;
- each "line" event adds `(last line, this line)`, except on the instruction that starts an
  exception handler;
- a "return" that is not a generator's yield adds `(last line, -co_firstlineno)`.

Module bodies (`<module>` code, even one imported during the call) are not traced, and
only the calling thread is. The cost is bounded: a frame whose activation reaches
`LINE_EVENTS_PER_FRAME` line events is no longer traced (and gets no exit arc), and once
`MAX_ARCS` distinct arcs are recorded, tracing stops for the rest of the call. The arcs are
then a lower bound of what ran. Like the rest of an answer they are the object's own word:
its code runs in this process and can stop or feed the tracer.
"""

from __future__ import annotations

import opcode
import sys
from types import FrameType
from typing import Any

LINE_EVENTS_PER_FRAME = 20_000
MAX_ARCS = 5_000
RESUME = opcode.opmap["RESUME"]
PUSH_EXC_INFO = opcode.opmap["PUSH_EXC_INFO"]
_UNKNOWN = object()


class Tracer:
    """Arcs of one call in the object's files under `code_dir`."""

    def __init__(self, code_dir: str) -> None:
        self.prefix = code_dir.rstrip("/") + "/"
        self.files: dict[Any, set[tuple[int, int]] | None] = {}  # co_filename -> arcs
        self.count = 0
        self.full = False
        self.started = False

    def arcs(self) -> dict[str, list[list[int]]]:
        """Relative path -> sorted arcs, for the files with any."""
        return {
            filename[len(self.prefix) :]: [list(arc) for arc in sorted(arcs)]
            for filename, arcs in sorted(self.files.items())
            if arcs
        }

    def _file_arcs(self, filename: Any) -> set[tuple[int, int]] | None:
        arcs = self.files.get(filename, _UNKNOWN)
        if arcs is _UNKNOWN:
            arcs = set() if self._own(filename) else None
            self.files[filename] = arcs
        return arcs  # type: ignore[return-value]

    def _own(self, filename: Any) -> bool:
        if type(filename) is not str or not filename.startswith(self.prefix):
            return False
        parts = filename[len(self.prefix) :].split("/")
        name = parts[-1]
        return (
            name.endswith(".py")
            and not name.startswith("test_")
            and all(part not in ("", ".", "..") for part in parts)
        )

    def start(self) -> None:
        self.started = True
        sys.settrace(self.dispatch)

    def stop(self) -> None:
        sys.settrace(None)

    def dispatch(self, frame: FrameType, event: str, arg: Any) -> Any:
        """The global trace function: called for each frame entered ("call" events)."""
        if event != "call" or self.full:
            return None
        code = frame.f_code
        arcs = self._file_arcs(code.co_filename)
        if arcs is None or code.co_name == "<module>":
            return None
        co_code = code.co_code
        size = len(co_code)
        exit_line = -code.co_firstlineno
        lasti = frame.f_lasti
        real_call = 0 <= lasti < size - 1 and co_code[lasti + 1] == 0  # RESUME 0: a call
        last = exit_line if real_call else frame.f_lineno
        lines = 0
        stopped = False

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal last, lines, stopped
            if stopped:
                return local
            if event == "line":
                lasti = frame.f_lasti
                if 0 <= lasti < size and co_code[lasti] == PUSH_EXC_INFO:
                    return local
                lineno = frame.f_lineno
                arc = (last, lineno)
                if arc not in arcs:
                    if self.count >= MAX_ARCS:
                        self.full = True
                        sys.settrace(None)  # no new frames; this one stops below
                        lines = LINE_EVENTS_PER_FRAME
                    else:
                        arcs.add(arc)
                        self.count += 1
                last = lineno
                lines += 1
                if lines >= LINE_EVENTS_PER_FRAME:
                    # Returning None wouldn't stop "line" events (only a "call" answer
                    # decides whether a frame is traced); the exit arc is lost too.
                    stopped = True
                    frame.f_trace_lines = False
            elif event == "return":
                lasti = frame.f_lasti
                if lasti + 2 == size:
                    real_return = True
                else:  # a yield leaves the frame just before a RESUME
                    real_return = not (0 <= lasti + 2 < size and co_code[lasti + 2] == RESUME)
                if real_return and self.count < MAX_ARCS:
                    arc = (last, exit_line)
                    if arc not in arcs:
                        arcs.add(arc)
                        self.count += 1
            return local

        return local


MAX_FILES = 200  # an object holds at most this many files
MAX_PATH = 500
MAX_LINE = 1 << 31
TRACE_BYTES = 256 << 10  # room for an answer's arcs, beyond its value


def clean_arcs(raw: Any) -> dict[str, list[list[int]]] | None:
    """An answer's arcs checked for shape and size (the worker and the host both ask): a
    dict of relative `.py` paths (never a test file) to at most `MAX_ARCS` pairs of ints in
    all. None when anything is out of shape: the arcs are only ever reported."""
    if not isinstance(raw, dict) or len(raw) > MAX_FILES:
        return None
    clean: dict[str, list[list[int]]] = {}
    total = 0
    for path, arcs in raw.items():
        if not (isinstance(path, str) and 0 < len(path) <= MAX_PATH and path.endswith(".py")):
            return None
        parts = path.split("/")
        if parts[-1].startswith("test_") or any(p in ("", ".", "..") for p in parts):
            return None
        if not isinstance(arcs, list):
            return None
        total += len(arcs)
        if total > MAX_ARCS:
            return None
        pairs = []
        for arc in arcs:
            if not (isinstance(arc, list) and len(arc) == 2):
                return None
            start, end = arc
            if type(start) is not int or type(end) is not int:
                return None
            if not (-MAX_LINE < start < MAX_LINE and -MAX_LINE < end < MAX_LINE):
                return None
            pairs.append([start, end])
        clean[path] = pairs
    return clean
