"""The one place that says which object status may follow which."""

from __future__ import annotations

from backend.enums import ObjectStatus
from backend.errors import Conflict, InvalidInput

S = ObjectStatus

# A redeploy keeps `deployed`; a failed first deploy may fail again or succeed later.
# `deprecated` objects must be revived to `draft` before they can be deployed again.
ALLOWED: dict[ObjectStatus, frozenset[ObjectStatus]] = {
    S.DRAFT: frozenset({S.DEPLOYED, S.FAILED, S.DEPRECATED}),
    S.DEPLOYED: frozenset({S.DEPLOYED, S.DEPRECATED}),
    S.FAILED: frozenset({S.DEPLOYED, S.FAILED, S.DRAFT, S.DEPRECATED}),
    S.DEPRECATED: frozenset({S.DRAFT}),
}


def parse_status(value: str) -> ObjectStatus:
    """The status named, or InvalidInput listing the valid ones."""
    try:
        return ObjectStatus(value)
    except ValueError:
        valid = ", ".join(status.value for status in ObjectStatus)
        raise InvalidInput(f"unknown status {value!r}; valid: {valid}") from None


def check_transition(current: str, new: str) -> ObjectStatus:
    """Return the new status if moving there from `current` is allowed, else raise Conflict."""
    source, target = parse_status(current), parse_status(new)
    if target not in ALLOWED[source]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[source])) or "nothing"
        raise Conflict(
            f"an object that is {source.value} can't become {target.value} "
            f"(from {source.value} it can become: {allowed})"
        )
    return target
