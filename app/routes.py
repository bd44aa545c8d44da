"""Page routes, in one place so links and tests don't repeat string literals."""

from __future__ import annotations

LOGIN = "/login"
SIGNUP = "/signup"
INVITE = "/invite"  # ?token=...: an invite link (backend.accounts.invites.INVITE_PATH)
DASHBOARD = "/"
HOME = DASHBOARD  # the old name of the start page
OBJECTS = "/objects"
OBJECT = "/objects/[slug]"
TASKS = "/tasks"
EVENTS = "/events"
AUDIT = "/audit"
INTERACTIONS = "/interactions"
SETTINGS = "/settings"
TOKENS = "/tokens"
MONITORS = "/monitors"
MONITOR = "/monitors/[monitor]"
NOTIFICATIONS = "/notifications"


def object_url(slug: str) -> str:
    """The page of the object with this slug."""
    return f"{OBJECTS}/{slug}"


def monitor_url(monitor_id: int) -> str:
    """The page of the monitor with this id."""
    return f"{MONITORS}/{monitor_id}"
