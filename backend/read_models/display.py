"""How read models word values for people: timestamps and short JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    """A timestamp as people read it (UTC, to the minute; logs to the second)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime(f"%Y-%m-%d %H:%M{':%S' if seconds else ''} UTC")


def short_json(value: object, limit: int = 160) -> str:
    """`value` as one line of JSON, cut with an ellipsis past `limit` characters."""
    text = json.dumps(value, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"
