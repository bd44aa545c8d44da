"""Errors of the sandbox itself (not of the object code it runs)."""

from __future__ import annotations

from backend.errors import ProductError


class SandboxUnavailable(ProductError):
    """Object code can't run here: no tier isolates it, or the sandbox failed to start."""
