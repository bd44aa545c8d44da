"""Which isolation this machine gives, found once per process by starting real workers.

Each mode ("bwrap", "no-bwrap") is probed by starting a worker in it with no layer required
and asking a confined child to report each layer (capabilities, seccomp, rlimits, Landlock)
and to try a few things that must fail (reading /etc/passwd and /proc/1/environ, writing
outside scratch, opening a socket). The tier is named after the layers that held, e.g.
"bwrap+landlock+seccomp" or "landlock+seccomp". A tier is safe when the file system is
isolated (bubblewrap or Landlock), seccomp is loaded, and every check was refused; otherwise
object code is refused unless SANDBOX_ALLOW_UNSAFE is set.
"""

from __future__ import annotations

import logging
import shutil
import threading
from dataclasses import dataclass, field
from typing import Any

from backend.config import Settings, get_settings
from backend.sandbox.errors import SandboxUnavailable
from backend.sandbox.limits import Limits
from backend.sandbox.runtime import frames
from backend.sandbox.workers import (
    MODES,
    WorkerProcess,
    WorkerSpec,
    make_base_dir,
    prepare_runtime,
)

log = logging.getLogger(__name__)
LAYER_NAMES = ("bwrap", "landlock", "seccomp")


@dataclass(frozen=True)
class ModeReport:
    """What one way of starting workers gave on this machine."""

    mode: str
    started: bool
    layers: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    reason: str = ""

    def layer_ok(self, name: str) -> bool:
        return bool(self.layers.get(name, {}).get("ok"))

    @property
    def tier(self) -> str:
        if not self.started:
            return "none"
        names = [name for name in LAYER_NAMES if self.layer_ok(name)]
        return "+".join(names) if names else "rlimits-only"

    @property
    def missing(self) -> list[str]:
        """Why this mode is not safe (empty when it is)."""
        if not self.started:
            return [self.reason or "workers don't start"]
        problems = []
        if not (self.layer_ok("bwrap") or self.layer_ok("landlock")):
            problems.append("nothing isolates the file system (no bubblewrap, no Landlock)")
        if not self.layer_ok("seccomp"):
            detail = self.layers.get("seccomp", {}).get("detail", "")
            problems.append(f"no seccomp filter ({detail})" if detail else "no seccomp filter")
        problems += [
            f"check {name!r} was not refused" for name, ok in self.checks.items() if not ok
        ]
        return problems

    @property
    def safe(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "tier": self.tier,
            "started": self.started,
            "safe": self.safe,
            "layers": self.layers,
            "checks": self.checks,
            "missing": self.missing,
        }


_reports: dict[str, ModeReport] = {}
_lock = threading.Lock()
_logged: set[str] = set()


def probe(mode: str, *, refresh: bool = False) -> ModeReport:
    """The report for `mode`, probed on first use (about 0.1 s) and then remembered."""
    if mode not in MODES:
        raise ValueError(f"unknown sandbox mode {mode!r}; expected one of {MODES}")
    with _lock:
        if refresh or mode not in _reports:
            _reports[mode] = _probe(mode, get_settings())
        return _reports[mode]


def _probe(mode: str, settings: Settings) -> ModeReport:
    bwrap = ""
    if mode == "bwrap":
        bwrap = shutil.which("bwrap") or ""
        if not bwrap:
            return ModeReport(
                mode, False, reason="bubblewrap is not installed (apt package bubblewrap)"
            )
    base = make_base_dir()
    try:
        spec = WorkerSpec(
            mode=mode,
            base_dir=base,
            runtime_dir=prepare_runtime(base),
            require={},
            scratch_bytes=settings.sandbox_scratch_mb << 20,
            bwrap=bwrap,
        )
        try:
            worker = WorkerProcess.start(spec)
        except SandboxUnavailable as exc:
            return ModeReport(mode, False, reason=str(exc))
        try:
            limits = Limits.from_settings(settings).to_wire(
                file_bytes=spec.scratch_bytes, log_bytes=4096
            )
            frame = worker.exchange(
                {"op": "probe", "limits": limits}, code=None, frame_timeout=20, max_bytes=1 << 20
            )
        except (frames.FrameError, OSError) as exc:
            return ModeReport(mode, False, reason=f"the probe call failed: {exc}")
        finally:
            worker.stop()
        return _report(mode, worker.info, frame)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _report(mode: str, info: dict[str, Any], frame: dict[str, Any]) -> ModeReport:
    value = frame.get("value") if frame.get("kind") == "ok" else None
    if not isinstance(value, dict):
        message = frame.get("message") or frame.get("kind")
        return ModeReport(mode, False, reason=f"the probe call failed: {message}")
    layers: dict[str, dict[str, Any]] = {}
    for name, entry in (value.get("layers") or {}).items():
        if isinstance(entry, dict):
            layers[str(name)] = {"ok": entry.get("ok") is True, "detail": str(entry.get("detail"))}
    if mode == "bwrap":
        layers["bwrap"] = {
            "ok": True,
            "detail": "user, pid, network, IPC, UTS and cgroup namespaces; uid 65534 without "
            "capabilities; read-only system folders and Python; tmpfs scratch and code",
        }
    else:
        layers["bwrap"] = {"ok": False, "detail": "not used in this mode"}
    if "landlock" not in layers:
        layers["landlock"] = {"ok": False, "detail": "not reported"}
    quota = info.get("scratch_quota")
    if isinstance(quota, dict):
        layers["scratch_quota"] = {
            "ok": quota.get("ok") is True,
            "detail": str(quota.get("detail")),
        }
    checks = {str(k): v is True for k, v in (value.get("checks") or {}).items()}
    return ModeReport(mode, True, layers, checks)


def choose(tier: str, allow_unsafe: bool) -> ModeReport:
    """The mode to run object code in, for the SANDBOX_TIER setting; raises when refused."""
    if tier in MODES:
        report = probe(tier)
    elif tier == "auto":
        report = probe("bwrap")
        if not report.safe:
            fallback = probe("no-bwrap")
            if fallback.safe or not report.started:
                report = fallback
    else:
        raise SandboxUnavailable(f"unknown SANDBOX_TIER {tier!r}; use auto, bwrap or no-bwrap")
    if not report.started:
        raise SandboxUnavailable(f"the {report.mode} sandbox does not work here: {report.reason}")
    if not report.safe and not allow_unsafe:
        raise SandboxUnavailable(
            f"refusing to run object code: the best sandbox here ({report.tier}) is not safe: "
            f"{'; '.join(report.missing)}. Set SANDBOX_ALLOW_UNSAFE=1 to run it anyway."
        )
    key = f"{tier}:{report.mode}"
    if key not in _logged:
        _logged.add(key)
        if report.safe:
            log.info("sandbox tier %s (mode %s)", report.tier, report.mode)
        else:
            log.warning(
                "UNSAFE sandbox tier %s allowed: %s", report.tier, "; ".join(report.missing)
            )
    return report


def supported_modes() -> list[str]:
    """The modes that are safe on this machine (what the test suite runs in)."""
    return [mode for mode in MODES if probe(mode).safe]


def sandbox_status() -> dict[str, Any]:
    """For /api/health: the tier in use, what each layer gave, and why one is missing."""
    settings = get_settings()
    try:
        chosen: ModeReport | None = choose(settings.sandbox_tier, settings.sandbox_allow_unsafe)
        message = (
            f"object code runs in the {chosen.tier} tier"
            if chosen.safe
            else f"UNSAFE: object code runs in the {chosen.tier} tier ({'; '.join(chosen.missing)})"
        )
    except SandboxUnavailable as exc:
        chosen, message = None, str(exc)
    return {
        "tier": chosen.tier if chosen else "none",
        "mode": chosen.mode if chosen else None,
        "safe": bool(chosen and chosen.safe),
        "runs_objects": chosen is not None,
        "message": message,
        "layers": chosen.layers if chosen else {},
        "setting": settings.sandbox_tier,
        "allow_unsafe": settings.sandbox_allow_unsafe,
        "modes": {mode: probe(mode).as_dict() for mode in MODES},
    }
