"""Isolated execution of object code: limits, a warm worker pool, a JSON protocol.

Layers, from the outside in (see `workers`, `runtime/child.py` and `runtime/seccomp_policy.py`):
a worker process started fresh (empty environment, `python -I -S`, no inherited descriptors,
dies with its parent), under bubblewrap where user namespaces work; and for every call a
child of that worker confined by rlimits, Landlock and a seccomp filter before any object code
runs. `probe` decides at start-up which tier this machine supports.

    from backend.sandbox import get_pool
    result = get_pool().call(code_dir, "add", {"a": 1, "b": 2}, storage={"count": 3})
    if result.ok: commit(result.storage_writes)
"""

from backend.sandbox.errors import SandboxUnavailable
from backend.sandbox.limits import Limits, limits_for
from backend.sandbox.pool import SandboxPool, get_pool, run_tests, shutdown_pool, smoke_import
from backend.sandbox.probe import sandbox_status, supported_modes
from backend.sandbox.results import (
    CallResult,
    ErrorKind,
    ImportReport,
    StorageWrite,
    TestOutcome,
    TestReport,
)

__all__ = [
    "CallResult",
    "ErrorKind",
    "ImportReport",
    "Limits",
    "SandboxPool",
    "SandboxUnavailable",
    "StorageWrite",
    "TestOutcome",
    "TestReport",
    "get_pool",
    "limits_for",
    "run_tests",
    "sandbox_status",
    "shutdown_pool",
    "smoke_import",
    "supported_modes",
]
