"""Errors that every door reports the same way: a clear message, nothing changed."""

from __future__ import annotations


class ProductError(Exception):
    """A request the product refuses; the message is meant for the person who made it."""


class NotFound(ProductError):
    """The thing named does not exist."""


class InvalidInput(ProductError):
    """The request is malformed or breaks a rule."""


class Conflict(ProductError):
    """The request clashes with what exists (a duplicate slug, a forbidden transition)."""


class Unauthorized(ProductError):
    """No credentials where they are needed, or credentials that are no good (HTTP 401)."""
