"""scripts/run.py (`make run`): what its log shows, without starting the whole product."""

from __future__ import annotations

import importlib.util
import shutil
import uuid

import pytest

from backend.config import PROJECT_ROOT

_spec = importlib.util.spec_from_file_location("run_script", PROJECT_ROOT / "scripts" / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


def test_a_fresh_web_folder_is_set_up_without_the_next_steps_hint(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """On a fresh clone `reflex run` would set the web folder up itself and end that step
    with "Run `uv run reflex run` to start the app", while the app is starting already."""
    workdir = f".web-run-test-{uuid.uuid4().hex[:8]}"  # relative to the project root
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", workdir)
    env = run.child_environment()
    # Reflex's set-up rewrites reflex.lock/ (the same pins, another layout): put it back.
    locks = {path: path.read_bytes() for path in (PROJECT_ROOT / "reflex.lock").glob("*")}
    try:
        assert run.prepare_web(env) is True
        out, err = capfd.readouterr()
        assert "reflex run" not in out + err
        assert "run: web folder set up" in out
        assert (PROJECT_ROOT / workdir).is_dir()
        # What `reflex run` checks before setting the folder up (and printing the hint).
        assert run.prepare_web(env) is False
    finally:
        shutil.rmtree(PROJECT_ROOT / workdir, ignore_errors=True)
        for path, content in locks.items():
            path.write_bytes(content)
