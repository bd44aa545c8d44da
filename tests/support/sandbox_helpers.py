"""Shared pieces of the sandbox tests: tiers to run in, pools, and objects written to disk."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from backend.sandbox import Limits, SandboxPool, SandboxUnavailable, get_pool
from backend.sandbox.probe import probe
from backend.sandbox.workers import MODES

# Every way of starting workers; a test in a mode this machine doesn't support is skipped
# (with the probe's reason), except under CI, where a missing tier is a failure.
TIERS = list(MODES)
SECRET_NAME = "DOBJ_SANDBOX_TEST_SECRET"
SECRET_VALUE = "s3cr3t-4f1c7e-never-visible"
FAST = Limits(cpu_seconds=1, wall_seconds=2, memory_mb=256, output_bytes=1 << 16)


def require_tier(mode: str) -> None:
    report = probe(mode)
    if report.safe:
        return
    reason = f"sandbox tier {mode!r} unsupported here: {'; '.join(report.missing)}"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_default_pool() -> None:
    """The default pool (`get_pool`) starts, or the test is skipped saying why (a failure
    under CI, where the sandbox must work)."""
    try:
        get_pool()
    except SandboxUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(str(exc))
        pytest.skip(f"no sandbox here: {exc}")


def start_pool(mode: str, size: int = 2) -> SandboxPool:
    """A pool in `mode`, started with the test secret in the host's environment."""
    require_tier(mode)
    os.environ[SECRET_NAME] = SECRET_VALUE
    return SandboxPool(size=size, tier=mode)


def write_object(root: Path, source: str, extra: dict[str, str] | None = None) -> Path:
    """An object folder: `main.py` from `source`, plus other files (relative path -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.py").write_text(textwrap.dedent(source))
    for name, text in (extra or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


ECHO = """
def echo(value):
    return value
"""
