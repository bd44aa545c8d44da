"""The sandbox's tiers, settings and process life cycle, and the checks on what comes back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend import config
from backend.errors import InvalidInput, NotFound
from backend.sandbox import (
    Limits,
    SandboxPool,
    SandboxUnavailable,
    get_pool,
    limits_for,
    sandbox_status,
    shutdown_pool,
    supported_modes,
)
from backend.sandbox import probe as probe_module
from backend.sandbox.code import snapshot
from backend.sandbox.probe import ModeReport, choose, probe
from backend.sandbox.results import call_result
from backend.sandbox.runtime import frames
from tests.support.paths import ROOT
from tests.support.sandbox_helpers import ECHO, TIERS, require_tier, write_object

pytestmark = pytest.mark.slow

GOOD_LAYERS = {
    "landlock": {"ok": True, "detail": "ABI 7"},
    "seccomp": {"ok": True, "detail": "loaded"},
}


def test_status_names_the_tier_and_each_layer() -> None:
    status = sandbox_status()
    assert status["runs_objects"] and status["safe"]
    assert status["tier"] in ("bwrap+landlock+seccomp", "landlock+seccomp")
    for name in ("bwrap", "landlock", "seccomp", "rlimits", "capabilities"):
        assert {"ok", "detail"} <= set(status["layers"][name])
    assert set(status["modes"]) == {"bwrap", "no-bwrap"}
    json.dumps(status)  # fit for /api/health


@pytest.mark.parametrize("tier", TIERS)
def test_each_supported_tier_really_refuses(tier: str) -> None:
    require_tier(tier)
    report = probe(tier)
    assert report.safe and not report.missing
    assert report.checks == {
        "read_etc_passwd": True,
        "read_proc_environ": True,
        "write_outside_scratch": True,
        "open_socket": True,
        "write_scratch_allowed": True,
    }
    expected = {"bwrap": "bwrap+landlock+seccomp", "no-bwrap": "landlock+seccomp"}[tier]
    assert report.tier == expected
    assert tier in supported_modes()


def test_the_machine_supports_both_tiers_here() -> None:
    """This machine (Debian 12, Landlock, user namespaces) must keep both tiers working."""
    if not os.path.exists("/usr/bin/bwrap"):
        pytest.skip("bubblewrap is not installed")
    assert supported_modes() == ["bwrap", "no-bwrap"]


@pytest.fixture
def fake_reports(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModeReport]:
    reports: dict[str, ModeReport] = {}
    monkeypatch.setattr(probe_module, "_reports", reports)
    return reports


def test_a_machine_without_isolation_is_refused(fake_reports: dict[str, ModeReport]) -> None:
    fake_reports["bwrap"] = ModeReport(
        "bwrap", False, reason="No permissions to create new namespace"
    )
    fake_reports["no-bwrap"] = ModeReport(
        "no-bwrap",
        True,
        {"landlock": {"ok": False, "detail": "not supported"}, "seccomp": GOOD_LAYERS["seccomp"]},
        {"read_etc_passwd": False},
    )
    with pytest.raises(SandboxUnavailable, match="SANDBOX_ALLOW_UNSAFE=1") as caught:
        choose("auto", allow_unsafe=False)
    assert "nothing isolates the file system" in str(caught.value)
    assert choose("auto", allow_unsafe=True).tier == "seccomp"
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace"):
        choose("bwrap", allow_unsafe=True)


def test_auto_falls_back_to_the_tier_without_bubblewrap(
    fake_reports: dict[str, ModeReport],
) -> None:
    fake_reports["bwrap"] = ModeReport("bwrap", False, reason="bubblewrap is not installed")
    fake_reports["no-bwrap"] = ModeReport("no-bwrap", True, GOOD_LAYERS)
    report = choose("auto", allow_unsafe=False)
    assert (report.mode, report.tier, report.safe) == ("no-bwrap", "landlock+seccomp", True)
    with pytest.raises(SandboxUnavailable, match="unknown SANDBOX_TIER"):
        choose("firejail", allow_unsafe=False)


def test_the_status_explains_a_refusal(
    fake_reports: dict[str, ModeReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_reports["bwrap"] = ModeReport("bwrap", False, reason="bubblewrap is not installed")
    fake_reports["no-bwrap"] = ModeReport("no-bwrap", True, {"seccomp": GOOD_LAYERS["seccomp"]})
    monkeypatch.delenv("SANDBOX_ALLOW_UNSAFE", raising=False)
    config.reload_settings()
    try:
        status = sandbox_status()
    finally:
        config.reload_settings()
    assert not status["runs_objects"] and status["tier"] == "none"
    assert "SANDBOX_ALLOW_UNSAFE" in status["message"]
    assert status["modes"]["bwrap"]["missing"] == ["bubblewrap is not installed"]


@pytest.mark.parametrize("tier", TIERS)
def test_the_tier_setting_chooses_how_workers_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tier: str
) -> None:
    require_tier(tier)
    monkeypatch.setenv("SANDBOX_TIER", tier)
    monkeypatch.setenv("SANDBOX_POOL_SIZE", "1")
    config.reload_settings()
    shutdown_pool()
    try:
        pool = get_pool()
        assert pool.mode == tier and pool.size == 1
        assert get_pool() is pool
        result = pool.call(write_object(tmp_path / "echo", ECHO), "echo", {"value": tier})
        assert result.value == tier
    finally:
        shutdown_pool()
        config.reload_settings()
    assert pool.status()["live"] == 0 or pool._closed


def test_an_unknown_tier_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_TIER", "chroot")
    with pytest.raises(ValueError):
        config.reload_settings()
    monkeypatch.delenv("SANDBOX_TIER")
    config.reload_settings()


@pytest.mark.parametrize("tier", TIERS)
def test_workers_die_with_the_host(tier: str, tmp_path: Path) -> None:
    """A host that dies without cleaning up (SIGKILL, os._exit) takes its workers along."""
    require_tier(tier)
    script = f"""
import os, sys, time
from backend.sandbox import SandboxPool
pool = SandboxPool(size=2, tier={tier!r})
while len(pool.worker_pids()) < 2:
    time.sleep(0.02)
print(" ".join(map(str, pool.worker_pids())), flush=True)
time.sleep(60)
"""
    host = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    try:
        line = host.stdout.readline() if host.stdout else ""
        pids = [int(pid) for pid in line.split()]
        assert len(pids) == 2, line
        assert all(_alive(pid) for pid in pids)
    finally:
        host.kill()
        host.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("tier", TIERS)
def test_closing_a_pool_stops_its_workers(tier: str, tmp_path: Path) -> None:
    require_tier(tier)
    pool = SandboxPool(size=2, tier=tier)
    echo = write_object(tmp_path / "echo", ECHO)
    assert pool.call(echo, "echo", {"value": 1}).ok
    deadline = time.monotonic() + 5
    while len(pool.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    pids = pool.worker_pids()
    pool.close()
    assert not any(_alive(pid) for pid in pids)
    with pytest.raises(SandboxUnavailable, match="closed"):
        pool.call(echo, "echo", {"value": 1})


def test_limits_come_from_settings_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_WALL_SECONDS", "3.5")
    monkeypatch.setenv("SANDBOX_MEMORY_MB", "128")
    config.reload_settings()
    try:
        assert limits_for(None) == Limits(5.0, 3.5, 128, 1 << 20)
        assert limits_for({"cpu_seconds": 2}).cpu_seconds == 2
        with pytest.raises(InvalidInput, match="unknown sandbox limits"):
            limits_for({"gpu_seconds": 1})
    finally:
        config.reload_settings()
    for bad in (
        {"cpu_seconds": 0},
        {"wall_seconds": -1},
        {"memory_mb": 16},
        {"output_bytes": 0},
    ):
        with pytest.raises(InvalidInput):
            Limits(
                **{"cpu_seconds": 1, "wall_seconds": 1, "memory_mb": 128, "output_bytes": 1, **bad}
            )


def test_code_is_read_without_following_links(tmp_path: Path) -> None:
    code = write_object(tmp_path / "linked", ECHO)
    (code / "passwd.py").symlink_to("/etc/passwd")
    (code / "__pycache__").mkdir()
    (code / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"stale")
    (code / ".hidden").write_text("x")
    assert set(snapshot(code).files) == {"main.py"}
    with pytest.raises(NotFound):
        snapshot(tmp_path / "missing")
    (code / "binary.py").write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        snapshot(code)


def test_code_keys_follow_content(tmp_path: Path) -> None:
    first = write_object(tmp_path / "a", ECHO)
    second = write_object(tmp_path / "b", ECHO)
    assert snapshot(first).key == snapshot(second).key
    (second / "main.py").write_text(ECHO + "\n# changed\n")
    assert snapshot(first).key != snapshot(second).key


def test_frames_refuse_oversized_and_malformed_input() -> None:
    """After any of these the stream is abandoned (and its worker retired): fresh pipes each."""

    writers = []

    def pipe_with(data: bytes) -> int:
        read, write = os.pipe()
        os.write(write, data)
        writers.append(write)  # kept open: the reader must time out, not see EOF
        return read

    big = pipe_with(frames.encode({"x": "y" * 100}))
    with pytest.raises(frames.FrameTooLarge):
        frames.read_frame(big, max_bytes=50, deadline=time.monotonic() + 1)
    nan = pipe_with(frames.HEADER.pack(3) + b"NaN")
    with pytest.raises(frames.FrameError):
        frames.read_frame(nan, max_bytes=50, deadline=time.monotonic() + 1)
    silent = pipe_with(frames.HEADER.pack(10) + b"{")
    with pytest.raises(frames.FrameTimeout):
        frames.read_frame(silent, max_bytes=50, deadline=time.monotonic() + 0.05)
    with pytest.raises(frames.FrameError):
        frames.loads(b"[" * 100_000 + b"]" * 100_000)
    for fd in (big, nan, silent, *writers):
        os.close(fd)


@pytest.mark.parametrize(
    "frame",
    [
        {"kind": "ok", "value": 1, "writes": [{"op": "put", "key": "k"}]},
        {"kind": "ok", "value": 1, "writes": [{"op": "drop", "key": "k"}]},
        {"kind": "ok", "value": 1, "writes": [{"op": "delete", "key": ""}]},
        {"kind": "ok", "value": 1, "writes": "everything"},
        {"kind": "root", "message": "gotcha"},
        {"kind": "error", "error_type": ["not", "text"], "message": 5},
    ],
)
def test_untrusted_answers_become_failures(frame: dict) -> None:
    result = call_result(frame, 1.0, with_writes=True)
    assert not result.ok
    assert result.storage_writes == []
    assert isinstance(result.error_type, str) and isinstance(result.message, str)
