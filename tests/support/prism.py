"""Prism: a mock server that answers like a vendor's API and validates every request against
the vendor's own OpenAPI description (../shared/specs, see its README).

`prism(spec_file)` (session fixture, a factory) starts one Prism per spec file, once per
session, and returns its base URL; `prism_twilio` is Twilio's. Where Prism or the specs are
missing the tests that need them are skipped with the reason, except under CI, where that is
a failure. Prism is installed by `scripts/install.sh --for-tests` into .test-tools/prism.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from backend.config import PROJECT_ROOT

SPECS_DIR = PROJECT_ROOT.parent / "shared" / "specs"
PRISM_BIN = PROJECT_ROOT / ".test-tools" / "prism" / "node_modules" / ".bin" / "prism"
TWILIO_SPEC = "twilio_api_v2010.prism.json"
READY_LINE = "Prism is listening"
START_TIMEOUT = 60.0
#: An account SID of the shape the Twilio spec demands ("AC" and 32 hex digits).
TWILIO_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2


@dataclass
class PrismServer:
    """One running `prism mock`; its output is kept for the failure message."""

    spec: Path
    port: int
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop it and what it started: `prism mock` forks the server that listens, which
        outlived a plain terminate() of its parent (one left behind after every run)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the forked server, if it lingers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _unavailable(spec: Path) -> str | None:
    """Why Prism can't serve `spec` here, or None."""
    if not PRISM_BIN.exists():
        return f"Prism is not installed at {PRISM_BIN} (run scripts/install.sh ... --for-tests)"
    if not spec.is_file():
        return f"the API description {spec} is missing (../shared beside the checkout)"
    return None


def start_prism(spec_file: str) -> PrismServer:
    """Start `prism mock` on a free port for SPECS_DIR/spec_file; returns once it listens."""
    spec = SPECS_DIR / spec_file
    port = _free_port()
    process = subprocess.Popen(
        [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so stop() reaches the fork too
    )
    server = PrismServer(spec=spec, port=port, process=process)
    ready = threading.Event()

    def drain() -> None:  # Prism logs every request: read on, or its pipe fills and it stalls
        assert process.stdout is not None
        for line in process.stdout:
            server.output.append(line)
            if READY_LINE in line:
                ready.set()
        ready.set()  # it exited

    threading.Thread(target=drain, name=f"prism-{spec_file}", daemon=True).start()
    if not ready.wait(START_TIMEOUT) or process.poll() is not None:
        server.stop()
        tail = "".join(server.output[-20:])
        raise RuntimeError(f"Prism did not start for {spec_file} on port {port}:\n{tail}")
    return server


@pytest.fixture(scope="session")
def prism() -> Iterator[Callable[[str], str]]:
    """A factory: `prism("slack_web_openapi_v3.prism.json")` -> the base URL of a Prism
    serving that spec (started once per session, stopped at its end)."""
    servers: dict[str, PrismServer] = {}

    def serve(spec_file: str) -> str:
        if spec_file not in servers:
            reason = _unavailable(SPECS_DIR / spec_file)
            if reason:
                if os.environ.get("CI"):
                    pytest.fail(reason)
                pytest.skip(reason)
            servers[spec_file] = start_prism(spec_file)
        return servers[spec_file].base_url

    yield serve
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def prism_twilio(prism: Callable[[str], str]) -> str:
    """The base URL of a Prism serving Twilio's 2010 REST API."""
    return prism(TWILIO_SPEC)
