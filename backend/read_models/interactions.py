"""Calls and messages as people read them: conversations, newest first, each with its turns
in order (what the person said, what the product answered, how it ended).

A call is one conversation (its turns share Twilio's CallSid). Texts have a MessageSid each,
so a text thread is the messages between one number (and person) and the product on one
channel, each within `THREAD_GAP` of the one before. Who sees what is the backend's rule
(`permissions.only_user_id`): a member sees their own, an admin everybody's, strangers' too.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlmodel import col, select

from backend.access.audit import Actor
from backend.access.permissions import only_user_id
from backend.db import session_scope
from backend.enums import Channel
from backend.errors import InvalidInput
from backend.models import Interaction, User
from backend.read_models.display import when

#: Texts further apart than this start a new thread.
THREAD_GAP = timedelta(minutes=30)
#: Turns read to build the conversations shown (the newest ones).
TURNS_READ = 1000
CHANNELS = (str(Channel.VOICE), str(Channel.SMS))


@dataclasses.dataclass
class InteractionRow:
    """One call turn or message."""

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


@dataclasses.dataclass
class ConversationCard:
    """A call or a text thread: its turns oldest first."""

    key: str  # "call-CA…" or "sms-<first turn's id>": stable, for the page's ids
    channel: str
    phone: str
    person: str  # "" for a stranger
    person_id: int  # 0 for a stranger
    started: str
    ended: str
    sid: str  # the CallSid of a call, "" for a thread
    outcome: str  # the last turn's
    turns: list[InteractionRow]


@dataclasses.dataclass
class PersonChoice:
    """Somebody whose conversations an admin may pick."""

    id: int
    name: str


@dataclasses.dataclass
class ConversationsPage:
    conversations: list[ConversationCard]
    people: list[PersonChoice]  # whom the viewer may filter by (only admins get a choice)


def _group(found: list[tuple[Interaction, str | None]]) -> list[ConversationCard]:
    """Turns oldest first -> conversations, newest (by their last turn) first."""
    calls: dict[str, list] = {}
    open_thread: dict[tuple, list] = {}  # (channel, phone, user) -> its latest thread
    order: list[list] = []
    for interaction, name in found:
        if interaction.channel == Channel.VOICE and interaction.provider_sid:
            turns = calls.get(interaction.provider_sid)
            if turns is None:
                turns = calls[interaction.provider_sid] = []
                order.append(turns)
            turns.append((interaction, name))
            continue
        key = (interaction.channel, interaction.phone, interaction.user_id)
        thread = open_thread.get(key)
        if thread is None or interaction.created_at - thread[-1][0].created_at > THREAD_GAP:
            thread = open_thread[key] = []
            order.append(thread)
        thread.append((interaction, name))
    order.sort(key=lambda turns: (turns[-1][0].created_at, turns[-1][0].id), reverse=True)
    return [_card(turns) for turns in order]


def _card(turns: list[tuple[Interaction, str | None]]) -> ConversationCard:
    first, name = turns[0]
    last = turns[-1][0]
    call = first.channel == Channel.VOICE and bool(first.provider_sid)
    return ConversationCard(
        key=f"call-{first.provider_sid}" if call else f"{first.channel}-{first.id}",
        channel=first.channel,
        phone=first.phone,
        person=name or "",
        person_id=first.user_id or 0,
        started=when(first.created_at, seconds=True),
        ended=when(last.created_at, seconds=True),
        sid=first.provider_sid if call else "",
        outcome=last.outcome,
        turns=[interaction_row(interaction, person or "") for interaction, person in turns],
    )


def read_conversations(
    viewer: Actor,
    *,
    channel: str | None = None,
    person_id: int | None = None,
    limit: int = 100,
) -> ConversationsPage:
    """The Calls and messages page: the newest `limit` conversations the viewer may see (their
    own, or everybody's for an admin), optionally of one channel and (for admins) one person
    (0: strangers)."""
    if channel is not None and channel not in CHANNELS:
        raise InvalidInput(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")
    statement = select(Interaction, User.name).join(
        User, col(Interaction.user_id) == col(User.id), isouter=True
    )
    only = only_user_id(viewer)
    if only is not None:
        statement = statement.where(Interaction.user_id == only)
    elif person_id is not None:
        statement = statement.where(
            col(Interaction.user_id).is_(None)
            if person_id == 0
            else Interaction.user_id == person_id
        )
    if channel is not None:
        statement = statement.where(Interaction.channel == channel)
    newest = statement.order_by(
        col(Interaction.created_at).desc(), col(Interaction.id).desc()
    ).limit(TURNS_READ)
    with session_scope() as session:
        found = list(reversed(session.exec(newest).all()))
        people: list[PersonChoice] = []
        if only is None:
            everyone = session.exec(
                select(User.id, User.name)
                .where(col(User.id).in_(select(Interaction.user_id).distinct()))
                .order_by(User.name)
            ).all()
            people = [PersonChoice(id=user_id, name=name) for user_id, name in everyone]
    return ConversationsPage(conversations=_group(found)[:limit], people=people)


def read_interactions(viewer: Actor, limit: int = 200) -> list[InteractionRow]:
    """Call turns and messages newest first, one row each, with the person each came from:
    the viewer's own, or everybody's for an admin (strangers' too)."""
    statement = select(Interaction, User.name).join(
        User, col(Interaction.user_id) == col(User.id), isouter=True
    )
    only = only_user_id(viewer)
    if only is not None:
        statement = statement.where(Interaction.user_id == only)
    statement = statement.order_by(col(Interaction.created_at).desc(), col(Interaction.id).desc())
    with session_scope() as session:
        rows = session.exec(statement.limit(limit)).all()
        return [interaction_row(interaction, name or "") for interaction, name in rows]
