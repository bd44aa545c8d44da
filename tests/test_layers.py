"""The layers of DESIGN.md hold: `lint-imports` checks the contracts in pyproject.toml (doors
above tasks above backend; inside backend the doors, the assistant, the services, then the
sandbox and the database; no Reflex below the web; no import cycles)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.paths import ROOT

PROJECT_ROOT = ROOT
CONTRACTS = (
    "Doors above tasks above backend",
    "No Reflex in backend, tasks or the CLI",
    "Backend layers",
    "No import cycles",
)


def test_every_import_contract_is_kept() -> None:
    # No cache: another run writing .import_linter_cache at the same time can't confuse this one.
    run = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    kept = [line for line in output.splitlines() if " KEPT" in line]
    for contract in CONTRACTS:
        assert any(contract in line for line in kept), f"{contract!r} not checked:\n{output}"
