"""Per-call resource limits: defaults from settings, overridable per object or per call."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.config import Settings, get_settings
from backend.errors import InvalidInput

MIN_MEMORY_MB = 64  # the confined interpreter alone maps about 30 MiB


@dataclass(frozen=True)
class Limits:
    """What one call may use. CPU time is enforced in whole seconds (the kernel's
    granularity), so a fractional budget is rounded up; the wall clock is exact."""

    cpu_seconds: float
    wall_seconds: float
    memory_mb: int
    output_bytes: int

    def __post_init__(self) -> None:
        if not (0 < self.cpu_seconds <= 3600):
            raise InvalidInput(f"cpu_seconds must be in (0, 3600], not {self.cpu_seconds}")
        if not (0 < self.wall_seconds <= 3600):
            raise InvalidInput(f"wall_seconds must be in (0, 3600], not {self.wall_seconds}")
        if not (MIN_MEMORY_MB <= self.memory_mb <= 65536):
            raise InvalidInput(
                f"memory_mb must be in [{MIN_MEMORY_MB}, 65536], not {self.memory_mb}"
            )
        if not (1 <= self.output_bytes <= 256 << 20):
            raise InvalidInput(f"output_bytes must be in [1, {256 << 20}], not {self.output_bytes}")

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Limits:
        settings = settings or get_settings()
        return cls(
            cpu_seconds=settings.sandbox_cpu_seconds,
            wall_seconds=settings.sandbox_wall_seconds,
            memory_mb=settings.sandbox_memory_mb,
            output_bytes=settings.sandbox_output_bytes,
        )

    def replace(self, **changes: Any) -> Limits:
        """A copy with some limits changed (e.g. an object's own overrides)."""
        return dataclasses.replace(self, **changes)

    def to_wire(self, *, file_bytes: int, log_bytes: int) -> dict[str, Any]:
        """The form the sandbox worker reads."""
        return {
            "cpu_seconds": math.ceil(self.cpu_seconds),
            "wall_seconds": self.wall_seconds,
            "memory_bytes": self.memory_mb << 20,
            "file_bytes": file_bytes,
            "output_bytes": self.output_bytes,
            "log_bytes": log_bytes,
        }


def limits_for(overrides: Mapping[str, Any] | None = None) -> Limits:
    """The settings' default limits with an object's own overrides (Limits field names)."""
    limits = Limits.from_settings()
    if not overrides:
        return limits
    known = {f.name for f in dataclasses.fields(Limits)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InvalidInput(f"unknown sandbox limits {unknown}; known: {sorted(known)}")
    try:
        return limits.replace(**dict(overrides))
    except TypeError as exc:
        raise InvalidInput(f"bad sandbox limits: {exc}") from exc
