"""Page routes, in one place so links and tests don't repeat string literals."""

from __future__ import annotations

LOGIN = "/login"
SIGNUP = "/signup"
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


def object_url(slug: str) -> str:
    """The page of the object with this slug."""
    return f"{OBJECTS}/{slug}"
