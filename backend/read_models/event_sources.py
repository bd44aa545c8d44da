"""Event sources as the settings page lists them (never a key), for admins."""

from __future__ import annotations

import dataclasses

from backend.access import audit
from backend.access.permissions import Permission, refusals
from backend.db import session_scope
from backend.events import sources as event_sources
from backend.models import EventSource
from backend.read_models.display import when


@dataclasses.dataclass
class SourceRow:
    id: int
    name: str
    prefix: str  # the key's first characters, so a person can match it to what they pasted
    created: str
    last_used: str  # "" when never used
    revoked: str  # when its key was revoked, "" while it works


def source_row(source: EventSource) -> SourceRow:
    return SourceRow(
        id=source.id or 0,
        name=source.name,
        prefix=source.prefix,
        created=when(source.created_at),
        last_used=when(source.last_used_at),
        revoked=when(source.revoked_at),
    )


@dataclasses.dataclass
class SourcesView:
    rows: list[SourceRow]  # newest first, revoked ones too; empty for those refused
    curl: str  # how a source reports an event (`event_sources.curl_example`)
    refused: str  # why the actor may not manage sources, "" when they may


def read_sources(actor: audit.Actor) -> SourcesView:
    """What the settings page's card shows `actor`: the sources if they may manage them,
    else the backend's reason; and how to call the API either way."""
    refused = refusals(actor)[Permission.EVENT_SOURCES]
    rows: list[SourceRow] = []
    if not refused:
        with session_scope() as session:
            rows = [source_row(s) for s in event_sources.list_sources(session)]
    return SourcesView(rows=rows, curl=event_sources.curl_example(), refused=refused)
