"""Who may do what: the one place the product's rules about rights live.

Every backend service that changes something calls `require` before it writes; pages use
`refusal` to show a button disabled with the reason. The rules:

- the operator (the CLI without --as) and the system (jobs, auto-apply) may do anything;
- admins may do anything;
- a member (any signed-in person) may create objects, edit them and ask for changes; may
  reject (or give more budget to) a change to an object they own or asked for; may switch
  visibility and auto-apply of objects they own; may create, list and revoke their own API
  tokens;
- deploying, restoring (rollback), approving, sandbox limits, tokens for other people,
  adding users and event sources (keys other systems report events with) are for admins only;
- a member sees their own calls, messages and notifications; admins see everybody's
  (`only_user_id` says which a read may show);
- nobody who is not signed in may change anything.
"""

from __future__ import annotations

from enum import StrEnum

from backend.access.audit import Actor
from backend.enums import Role
from backend.errors import ProductError


class PermissionDenied(ProductError):
    """The actor may not do this; every door shows the message (web, CLI exit 2, HTTP 403).

    `reason` ("only an admin can deploy objects") and `who` ("a member") are its two halves,
    for a door that speaks to the person ("you are a member") rather than about them.
    """

    def __init__(self, message: str, *, reason: str = "", who: str = "") -> None:
        super().__init__(message)
        self.reason, self.who = reason, who


class Permission(StrEnum):
    EDIT = "edit"  # create objects, save versions, ask for changes
    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    APPROVE = "approve"
    REJECT = "reject"
    RESUME = "resume"  # give a paused change more budget
    VISIBILITY = "visibility"
    AUTO_APPLY = "auto_apply"
    AUTO_ROLLBACK = "auto_rollback"
    LIMITS = "limits"
    TOKENS = "tokens"
    USER_ADMIN = "user_admin"
    MONITOR = "monitor"  # pause, resume, silence, delete, acknowledge a monitor
    EVENT_SOURCES = "event_sources"  # keys other systems report events with
    SEE_EVERYONE = "see_everyone"  # other people's calls, messages, numbers and notifications


#: What each permission is called in a refusal ("only an admin can <this>").
_WORDS = {
    Permission.EDIT: "change objects",
    Permission.DEPLOY: "deploy objects",
    Permission.ROLLBACK: "restore an earlier version",
    Permission.APPROVE: "approve a change",
    Permission.REJECT: "reject this change",
    Permission.RESUME: "give this change more budget",
    Permission.VISIBILITY: "change who may call this object",
    Permission.AUTO_APPLY: "change whether this object's changes apply themselves",
    Permission.AUTO_ROLLBACK: "change whether this object rolls back by itself",
    Permission.LIMITS: "change an object's sandbox limits",
    Permission.TOKENS: "manage API tokens of other people",
    Permission.USER_ADMIN: "add or change users",
    Permission.MONITOR: "change this monitor",
    Permission.EVENT_SOURCES: "manage event sources",
    Permission.SEE_EVERYONE: "see other people's calls, messages and notifications",
}
_ADMIN_ONLY = frozenset(
    {Permission.DEPLOY, Permission.ROLLBACK, Permission.APPROVE, Permission.LIMITS}
    | {Permission.USER_ADMIN, Permission.EVENT_SOURCES, Permission.SEE_EVERYONE}
)
_ALL_RIGHTS = frozenset({Role.OPERATOR, Role.SYSTEM, Role.ADMIN})


def refusal(
    actor: Actor,
    permission: Permission,
    *,
    owner_id: int | None = None,
    requester_id: int | None = None,
    subject_user_id: int | None = None,
) -> str:
    """Why `actor` may not do `permission` (a sentence), or "" when they may.

    `owner_id`: the owner of the object concerned; `requester_id`: who asked for the change
    concerned; `subject_user_id`: the person a token or profile change is for.
    """
    if actor.role in _ALL_RIGHTS:
        return ""
    what = _WORDS[permission]
    if actor.role != Role.MEMBER or actor.user_id is None:
        return f"log in first: only a signed-in person can {what}"
    if permission == Permission.EDIT:
        return ""
    if permission in _ADMIN_ONLY:
        return f"only an admin can {what}"
    mine = actor.user_id in {owner_id, requester_id} - {None}
    if permission in (Permission.REJECT, Permission.RESUME):
        return "" if mine else f"only an admin, the object's owner or who asked can {what}"
    if permission in (
        Permission.VISIBILITY,
        Permission.AUTO_APPLY,
        Permission.AUTO_ROLLBACK,
        Permission.MONITOR,
    ):
        return "" if actor.user_id == owner_id else f"only an admin or the owner can {what}"
    if permission == Permission.TOKENS:
        return "" if subject_user_id == actor.user_id else f"only an admin can {what}"
    raise AssertionError(f"no rule for {permission}")  # every Permission has a rule above


def refusals(actor: Actor, **subject: int | None) -> dict[str, str]:
    """Every permission's refusal for `actor` ("" where allowed), as sentences: what a page
    needs to show buttons disabled with the reason. Without `subject` (see `refusal`), for
    things they own none of; with `owner_id`, for that object."""
    reasons = {str(permission): refusal(actor, permission, **subject) for permission in Permission}
    return {name: reason[:1].upper() + reason[1:] for name, reason in reasons.items()}


def allowed(actor: Actor, permission: Permission, **subject: int | None) -> bool:
    """Whether `actor` may do `permission` (see `refusal` for the subject's fields)."""
    return not refusal(actor, permission, **subject)


def only_user_id(actor: Actor) -> int | None:
    """Whose calls, messages and notifications `actor` may see: None for everybody's (an
    admin, the operator, the system), else the one person's id they are limited to (0, which
    no person has, for somebody not signed in). Read models filter by it."""
    if allowed(actor, Permission.SEE_EVERYONE):
        return None
    return actor.user_id or 0


def require(actor: Actor, permission: Permission, **subject: int | None) -> None:
    """Raise `PermissionDenied` unless `actor` may do `permission`; call before writing."""
    reason = refusal(actor, permission, **subject)
    if reason:
        who = "not signed in" if actor.role == Role.ANONYMOUS else f"a {actor.role}"
        raise PermissionDenied(
            f"{reason[0].upper()}{reason[1:]} ({actor.name} is {who})", reason=reason, who=who
        )
