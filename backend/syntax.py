"""Python syntax trees, built one at a time in this process.

CPython 3.11 keeps the AST constructor's recursion depth in state that every thread shares:
two threads building trees at once can upset it, and one of them fails with "SystemError:
AST constructor recursion depth mismatch" (python/cpython#106905). The evaluator builds trees
in several threads at once (one evaluation's tests, mutants and differential check; several
evaluations in one worker), so every tree, ours or a library's (radon, coverage.py), is
built under `LOCK`.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

LOCK = threading.RLock()


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """`ast.parse` under the lock (its errors unchanged)."""
    with LOCK:
        return ast.parse(source, filename=filename, mode=mode)
