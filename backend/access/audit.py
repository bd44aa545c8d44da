"""Who is acting: a person, a model or the product itself, through one channel, with a role."""

from __future__ import annotations

from dataclasses import dataclass

from backend.enums import Channel, Role
from backend.models import User


@dataclass(frozen=True)
class Actor:
    """A person or a model acting through one channel.

    `name` is what history shows ("ada@example.com", "model:gpt-4o", "system"); `role` is
    what `backend.access.permissions` decides by. Build one for a person with `Actor.for_user`, so
    the role always comes from the user's row.
    """

    name: str
    channel: Channel
    user_id: int | None = None
    role: Role = Role.ANONYMOUS

    @classmethod
    def for_user(cls, user: User, channel: Channel) -> Actor:
        """The person `user` acting through `channel`, with the role their account has."""
        return cls(
            name=user.email,
            channel=Channel(channel),
            user_id=user.id,
            role=Role.ADMIN if user.is_admin else Role.MEMBER,
        )

    @classmethod
    def operator(cls, name: str, channel: Channel = Channel.CLI) -> Actor:
        """The machine's operator (holds the database anyway): every right."""
        return cls(name=name, channel=Channel(channel), role=Role.OPERATOR)


SYSTEM = Actor(name="system", channel=Channel.SYSTEM, role=Role.SYSTEM)
AUTO_APPLY = Actor(name="auto-apply", channel=Channel.SYSTEM, role=Role.SYSTEM)
#: The system rolling back a failing version of an object whose owner allowed it.
AUTO_ROLLBACK = Actor(name="auto-rollback", channel=Channel.SYSTEM, role=Role.SYSTEM)
