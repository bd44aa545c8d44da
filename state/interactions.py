"""State of the Calls and messages page: conversations (a call, a text thread) with their
turns, newest first, live, filtered by channel and (for admins) by person."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import reflex as rx

from backend.models import Interaction
from backend.read_models.interactions import (
    CHANNELS,
    ConversationCard,
    ConversationsPage,
    PersonChoice,
    read_conversations,
)
from state.live import LiveMixin, tables_of

ALL = "all"
STRANGERS = "0"  # the person filter's value for numbers that are nobody's
CONVERSATION_LIMIT = 100


class InteractionsState(LiveMixin, rx.State):
    live_tables: ClassVar[frozenset[str]] = tables_of(Interaction)
    conversations: list[ConversationCard] = []
    people: list[PersonChoice] = []  # empty for a member: they see only their own
    loaded: bool = False
    channel: str = ALL
    person: str = ALL  # ALL, STRANGERS or a person's id
    channel_choices: list[str] = [ALL, *CHANNELS]

    def _live_query(self) -> Callable[[], ConversationsPage]:
        viewer = self._viewer()
        channel = None if self.channel == ALL else self.channel
        person = None if self.person == ALL else int(self.person)
        return lambda: read_conversations(
            viewer(), channel=channel, person_id=person, limit=CONVERSATION_LIMIT
        )

    def _live_apply(self, data: ConversationsPage) -> None:
        if data.conversations != self.conversations:  # unchanged: not sent again
            self.conversations = data.conversations
        if data.people != self.people:
            self.people = data.people
        self.loaded = True

    @rx.event
    def set_channel_filter(self, value: str):
        self.channel = value if value in self.channel_choices else ALL
        self.loaded = False
        return InteractionsState.refresh_live

    @rx.event
    def set_person_filter(self, value: str):
        self.person = value if value == ALL or value.isdigit() else ALL
        self.loaded = False
        return InteractionsState.refresh_live
