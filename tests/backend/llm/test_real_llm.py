"""The modification and creation pipelines against a real LLM server, end to end.

The server is llama-cpp-python's OpenAI-compatible server serving a GGUF model
(scripts/local_llm.sh: by default Gemma 3 270M, a base model, so its answers are poor:
exactly the messy output real servers and small local models give). Whatever the model
answers, a request must end within its deadline, either failed with a reason a person can
read or accepted with a real, non-empty change; never hang, never crash, never hand a person
an empty change.

`make test` installs the server before any test starts (scripts/install.sh), so its build
never runs beside other tests. When pytest is run by hand without it, the tests are skipped
(`scripts/local_llm.sh install`, or `make llm`, installs it), except under CI (CI set), where
the fixture installs it: pip caches the wheel it builds, so only the first build on a
machine pays its ~10 minutes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from backend import config, db
from backend.access.audit import Actor
from backend.enums import ModificationStatus
from backend.models import LLMCall, Modification
from backend.objects import store
from backend.pipeline import modifications
from tests.support.llm_fixtures import _clear_llm_settings
from tests.support.llm_scenarios import MAIN, TESTS
from tests.support.llm_server import closed_port
from tests.support.paths import ROOT
from tests.support.sandbox_helpers import require_default_pool

SCRIPT = ROOT / "scripts" / "local_llm.sh"
ALIAS = "local"
#: The product's own wall-clock limit per modification (MODIFICATION_DEADLINE_SECONDS).
DEADLINE_SECONDS = 480
#: How much longer the test waits before it stops the server itself: one request's timeout
#: (the deadline can only be noticed between requests) and the evaluator's last run.
GRACE_SECONDS = 180
REQUEST_TIMEOUT_SECONDS = 120
INSTALL_TIMEOUT_SECONDS = 45 * 60
STARTUP_SECONDS = 300
ADA = Actor.operator("ada@example.com")
S = ModificationStatus

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(INSTALL_TIMEOUT_SECONDS + STARTUP_SECONDS + 2 * DEADLINE_SECONDS),
]


class LocalServer:
    """scripts/local_llm.sh serving on a free port, in its own process group."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = Path(tempfile.mkstemp(prefix="local-llm-", suffix=".log")[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalServer:
        self.port = closed_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SCRIPT), "serve", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LLM_ALIAS": ALIAS},
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"the local LLM server exited ({self.process.returncode}):\n{self.tail()}"
                )
            if self.answers():
                return self
            time.sleep(1)
        self.stop()
        pytest.fail(f"the local LLM server did not answer in {STARTUP_SECONDS} s:\n{self.tail()}")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def ensure_running(self) -> None:
        """Start it again if a test stopped it (a runaway request outlived its deadline)."""
        if self.process is None or self.process.poll() is not None or not self.answers():
            self.stop()
            self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _installed() -> bool:
    return subprocess.run([str(SCRIPT), "installed"], check=False).returncode == 0


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalServer]:
    if not _installed():
        if not os.environ.get("CI"):
            pytest.skip(
                "no local LLM server installed (scripts/local_llm.sh install builds it, "
                "~10 minutes the first time)"
            )
        done = subprocess.run(
            [str(SCRIPT), "install"],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/local_llm.sh install failed:\n{done.stderr[-3000:]}")
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()
        server.log.unlink(missing_ok=True)  # failures quoted its tail already


@pytest.fixture
def real_llm(local_server: LocalServer, sqlite_db: str) -> Iterator[LocalServer]:
    """Settings pointed at the local server, for a whole modification."""
    require_default_pool()
    local_server.ensure_running()
    with pytest.MonkeyPatch.context() as patch:
        _clear_llm_settings(patch)
        for name, value in {
            "OPENAI_BASE_URL": local_server.base_url,
            "LLM_PLANNER_MODEL": ALIAS,
            "LLM_CODER_MODEL": ALIAS,
            "LLM_JUDGE_MODEL": ALIAS,
            "LLM_PARSER_MODEL": ALIAS,
            # llama-cpp-python turns a named tool choice into a grammar; its json_schema
            # response format answers HTTP 500.
            "LLM_MODE": "tools",
            "MODIFICATION_DEADLINE_SECONDS": str(DEADLINE_SECONDS),
            "LLM_TIMEOUT_SECONDS": str(REQUEST_TIMEOUT_SECONDS),
            # The server goes on generating after a client gives up: a retry would queue
            # behind the orphaned request.
            "LLM_MAX_RETRIES": "0",
            "LLM_VALIDATION_RETRIES": "1",
            "MAX_ATTEMPTS": "2",
            "LLM_PROMPT_PRICE_PER_1K": "0",
            "LLM_COMPLETION_PRICE_PER_1K": "0",
        }.items():
            patch.setenv(name, value)
        config.reload_settings()
        yield local_server
    config.reload_settings()


def _run_within_deadline(server: LocalServer, modification_id: int) -> Modification:
    """Run the pipeline here; if it outlives its deadline (and the grace), stop the server so
    the request in flight fails, and fail the test saying so."""
    stopped = threading.Event()

    def stop_server() -> None:
        stopped.set()
        server.stop()

    watchdog = threading.Timer(DEADLINE_SECONDS + GRACE_SECONDS, stop_server)
    watchdog.start()
    try:
        modification = modifications.run(modification_id)
    finally:
        watchdog.cancel()
    _report(modification)
    if stopped.is_set():
        pytest.fail(
            f"modification {modification_id} was still running {DEADLINE_SECONDS} s after it "
            f"started (MODIFICATION_DEADLINE_SECONDS) plus {GRACE_SECONDS} s; the server was "
            f"stopped; it ended {modification.status}: {modification.error}"
        )
    return modification


def _report(modification: Modification) -> None:
    """What happened, for whoever reads the test's output."""
    with db.session_scope() as session:
        calls = session.exec(
            select(LLMCall).where(LLMCall.modification_id == modification.id)
        ).all()
    print(
        f"\n{modification.kind} #{modification.id}: {modification.status} after "
        f"{modification.attempts} attempt(s); error: {modification.error}"
    )
    for call in calls:
        print(
            f"  {call.role:8} {call.response_model:20} {call.duration_ms / 1000:6.1f} s "
            f"{call.prompt_tokens:6}+{call.completion_tokens:<5} tokens  "
            f"{'ok' if call.ok else call.error}"
        )


def _assert_readable_failure(modification: Modification) -> None:
    error = modification.error or ""
    assert len(error.split()) >= 4, f"the reason is too short to act on: {error!r}"
    assert "Traceback" not in error
    assert not re.match(r"^[A-Za-z_.]+(Error|Exception)\b", error), (
        f"the reason is a bare exception, not words: {error!r}"
    )


def test_a_real_model_changes_an_object_or_says_why_not(real_llm):
    with db.session_scope() as session:
        store.create_object_in(
            session, slug="calc", name="Calc", files={"main.py": MAIN, "test_main.py": TESTS},
            actor=ADA,
        )  # fmt: skip
    requested = modifications.request_modification(
        "calc", "Add a function sub(x, y) that returns x minus y.", actor=ADA
    )

    modification = _run_within_deadline(real_llm, requested.id)

    assert modification.status in (S.FAILED, S.AWAITING_APPROVAL), modification.error
    if modification.status == S.FAILED:
        _assert_readable_failure(modification)
        return
    with db.session_scope() as session:
        diff = modifications.proposed_diff(session, modification)
        base = store.get_version(session, "calc").files
    assert diff, "an accepted change must change something"
    assert modification.proposed_files != base


def test_a_real_model_writes_a_new_object_or_says_why_not(real_llm):
    requested = modifications.request_creation(
        slug="greeter",
        name="Greeter",
        requirements="A function greet(name: str) -> str that returns 'Hello, NAME!'.",
        actor=ADA,
    )

    modification = _run_within_deadline(real_llm, requested.id)

    assert modification.status in (S.FAILED, S.APPLIED, S.AWAITING_APPROVAL), modification.error
    if modification.status == S.FAILED:
        _assert_readable_failure(modification)
        return
    assert (modification.proposed_files or {}).get("main.py", "").strip()
    if modification.status == S.APPLIED:
        with db.session_scope() as session:
            version = store.get_version(session, "greeter")
        assert version.files == modification.proposed_files
