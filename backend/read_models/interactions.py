"""Calls and messages as people read them: every call turn and text, newest first."""

from __future__ import annotations

import dataclasses

from sqlmodel import col, select

from backend.db import session_scope
from backend.models import Interaction, User
from backend.read_models.display import when


@dataclasses.dataclass
class InteractionRow:
    id: int
    created: str
    channel: str
    direction: str
    phone: str
    person: str  # the recognised person's name, "" for a stranger
    transcript: str
    confidence: str  # "0.87", "" when the channel has none (a text)
    intent: str
    outcome: str
    reply: str
    sid: str


def interaction_row(interaction: Interaction, person: str = "") -> InteractionRow:
    command = interaction.command if isinstance(interaction.command, dict) else {}
    confidence = interaction.confidence
    return InteractionRow(
        id=interaction.id or 0,
        created=when(interaction.created_at, seconds=True),
        channel=interaction.channel,
        direction=interaction.direction,
        phone=interaction.phone,
        person=person,
        transcript=interaction.transcript,
        confidence="" if confidence is None else f"{confidence:.2f}",
        intent=str(command.get("intent") or ""),
        outcome=interaction.outcome,
        reply=interaction.reply,
        sid=interaction.provider_sid,
    )


def read_interactions(limit: int = 200) -> list[InteractionRow]:
    """Call turns and messages newest first, with the name of the person each came from."""
    with session_scope() as session:
        rows = session.exec(
            select(Interaction, User.name)
            .join(User, col(Interaction.user_id) == col(User.id), isouter=True)
            .order_by(col(Interaction.created_at).desc(), col(Interaction.id).desc())
            .limit(limit)
        ).all()
        return [interaction_row(interaction, name or "") for interaction, name in rows]
