"""How a pipeline reports how far it got; the Celery task passes one that writes the Task row."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, str], None]


def no_progress(_percent: int, _message: str) -> None:
    """For callers that show nothing while the work runs."""
