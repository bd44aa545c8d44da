"""Object slugs: the unique, lowercase, URL-safe names objects are addressed by."""

from __future__ import annotations

import re

from backend.errors import InvalidInput

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64


def validate_slug(slug: str) -> str:
    """Return the slug if it is valid, else raise InvalidInput saying what is wrong."""
    if not slug:
        raise InvalidInput("slug is empty")
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidInput(f"slug {slug!r} is longer than {MAX_SLUG_LENGTH} characters")
    if not SLUG_PATTERN.match(slug):
        raise InvalidInput(
            f"slug {slug!r} must be lowercase letters, digits and single hyphens "
            "(like 'order-counter')"
        )
    return slug
