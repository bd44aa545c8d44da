"""Reading what a request sends: its body, its JSON and its path parameters, every route alike.

Whatever a client sends, these answer a clear 4xx (`ProductError`) or a value the rest of the
product can store and pass on; nothing hostile reaches the database or Python's own limits:

- a body over API_MAX_BODY_BYTES (or a route's own, smaller limit) is 413, refused by its
  Content-Length before it is read, or as soon as the stream passes the limit;
- JSON must be UTF-8 and well-formed; `NaN`, `Infinity` and numbers that overflow to
  infinity are refused (no JSON standard has them), as are numbers longer than
  API_MAX_NUMBER_DIGITS characters (Python refuses integers over 4300 digits with a
  ValueError of its own) and nesting deeper than API_MAX_JSON_DEPTH (deep enough input makes
  the parser raise RecursionError);
- no string (key or value) may hold NUL, which PostgreSQL's text can't store, or a lone
  UTF-16 surrogate (`"\\ud800"`), which no UTF-8 text can;
- a slug that can't be one, or an id that is not a whole number within the database's
  integer range, is "no such thing" (404) before any query runs.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request

from backend.api.errors import TooLarge
from backend.config import get_settings
from backend.errors import InvalidInput, NotFound
from backend.objects.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN

#: The largest id a row can have (PostgreSQL's integer).
MAX_ID = 2**31 - 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ID = re.compile(r"[0-9]{1,10}")
#: How much of a refused value an error message quotes.
_QUOTE = 60


def _quote(value: str) -> str:
    """`value` as an error message shows it: repr, cut short."""
    return repr(value if len(value) <= _QUOTE else value[:_QUOTE] + "...")


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The request's body; `TooLarge` when it is over `limit` (default API_MAX_BODY_BYTES)."""
    limit = min(limit or get_settings().api_max_body_bytes, get_settings().api_max_body_bytes)
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise TooLarge(f"request body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"request body is over {limit} bytes")
    # Kept where Starlette's own `body()` keeps it, so `request.form()` can read it again.
    request._body = bytes(body)
    return request._body


def _constant(name: str) -> Any:
    raise InvalidInput(f"body is not valid JSON: {name} is not a JSON number")


def _number_checks() -> tuple[Any, Any]:
    digits = get_settings().api_max_number_digits

    def integer(text: str) -> int:
        if len(text) > digits:
            raise InvalidInput(f"a number in the body is longer than {digits} characters")
        return int(text)

    def real(text: str) -> float:
        if len(text) > digits:
            raise InvalidInput(f"a number in the body is longer than {digits} characters")
        value = float(text)
        if not math.isfinite(value):
            raise InvalidInput(f"the number {_quote(text)} in the body is too large")
        return value

    return integer, real


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise InvalidInput(f"{where} contains a NUL character (\\u0000)")
    if _LONE_SURROGATE.search(text):
        raise InvalidInput(f"{where} contains a lone surrogate (\\ud800-\\udfff): not Unicode text")


def _place(parent: str, step: str | int) -> str:
    """How a message names a value: `payload["tags"][1]`, the top level's keys bare."""
    if not parent:
        return str(step) if isinstance(step, str) else f"the body[{step}]"
    return f"{parent}[{json.dumps(step)}]"


def _check_tree(value: Any, max_depth: int) -> None:
    """Depth and text of every string in a parsed JSON value, without recursion; a refusal
    names the place (`payload["tags"][1] contains a NUL character`)."""
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, str):
            _check_text(node, where or "the body")
        elif isinstance(node, dict | list):
            if depth >= max_depth:
                raise InvalidInput(f"the JSON body is nested deeper than {max_depth} levels")
            if isinstance(node, dict):
                for key, item in node.items():
                    _check_text(key, f"a key in {where or 'the body'}")
                    stack.append((item, depth + 1, _place(where, key)))
            else:
                stack.extend((item, depth + 1, _place(where, i)) for i, item in enumerate(node))


def parse_json(body: bytes, *, empty: Any = None) -> Any:
    """`body` as JSON, with every check above; an empty body is `empty` (when given) or a
    400. The one JSON parser of every route."""
    if not body.strip():
        if empty is None:
            raise InvalidInput("the body is empty; send JSON")
        return empty
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: not UTF-8 ({exc.reason})") from None
    integer, real = _number_checks()
    try:
        value = json.loads(text, parse_constant=_constant, parse_int=integer, parse_float=real)
    except RecursionError:
        depth = get_settings().api_max_json_depth
        raise InvalidInput(f"the JSON body is nested deeper than {depth} levels") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}") from None
    _check_tree(value, get_settings().api_max_json_depth)
    return value


async def read_json(request: Request, *, limit: int | None = None, empty: Any = None) -> Any:
    """The request's body, bounded and parsed by `parse_json`."""
    return parse_json(await read_body(request, limit), empty=empty)


def slug_param(request: Request, name: str = "slug") -> str:
    """A path's slug; one no object can have (a NUL, upper case, too long) is 404 at once."""
    slug = request.path_params[name]
    if len(slug) > MAX_SLUG_LENGTH or not SLUG_PATTERN.match(slug):
        raise NotFound(f"no object with slug {_quote(slug)}")
    return slug


class Digits(Convertor[str]):
    """`{id:digits}`: a path segment of digits, kept as text for `id_param` to bound (the
    `int` convertor would hand the database any number, or fail on 5000 digits)."""

    regex = "[0-9]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("digits", Digits())


def id_param(request: Request, what: str, name: str = "id") -> int:
    """A path's row id; anything but a whole number from 1 to MAX_ID is 404 ("no `what` with
    id ..."): no row has it, and the database is never asked with a number it can't hold."""
    raw = request.path_params[name]
    number = int(raw) if _ID.fullmatch(raw) else 0  # at most 10 digits: int() is cheap
    if not 1 <= number <= MAX_ID:
        raise NotFound(f"no {what} with id {_quote(raw)}")
    return number
