"""How the pages word what they show: errors as sentences, timestamps. Plain functions with
no state, so any state module (the sign-in one included) can use them."""

from __future__ import annotations

from backend.read_models.records import parse_status


def sentence(exc: BaseException | str) -> str:
    """A product error's message (or a text) as a sentence for a person (capital, full
    stop); an empty text stays empty."""
    if isinstance(exc, str) and not exc.strip():
        return ""
    text = str(exc).strip() or type(exc).__name__
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def describe_error(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's message adds SQL and a docs link)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {detail[0] if detail else 'no detail'}"


def database_unreachable(exc: BaseException) -> str:
    """What a page says when its read failed on the database (or the disk under it)."""
    return f"The database is unreachable ({describe_error(exc)})."


def does_not_parse_notice(done: str, syntax_error: str) -> str:
    """What a page says after storing a version that doesn't parse: `done` ("Saved greeter
    v2"), ", but it does not parse: main.py line 1: expected ':'", and what that means."""
    return f"{done}, but it {parse_status(syntax_error)}. It can't be deployed until it parses."
