"""Repairs for what real models and servers send, where the meaning is not in doubt.

- Raw control characters (a newline, a tab) inside a JSON string: grammar-constrained servers
  allow them, strict JSON does not. They are escaped before parsing (`Answer`).
- A score outside [0, 1] (`Score`): a rounding overshoot (up to 0.05 beyond an end) is
  clamped, a number above 10 and at most 100 is read as a percentage; anything else (2596.5,
  or 7, which could be out of 10 or out of 100) is refused with a message the model can act
  on, which instructor sends back for the next try.

Anything else that doesn't fit the schema is left to the validation (and its retries).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
ROUNDING = 0.05  # how far beyond 0 or 1 a score is still taken as that end


def escape_control_characters(text: str) -> str:
    """`text` with every raw control character inside a JSON string literal escaped.

    Characters outside strings are left alone (whitespace there is valid JSON), so valid
    JSON comes back unchanged.
    """
    if not any(ord(char) < 0x20 for char in text):
        return text
    out: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            elif ord(char) < 0x20:
                char = _ESCAPES.get(char, f"\\u{ord(char):04x}")
        elif char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


class Answer(BaseModel):
    """Base of every model an LLM answers with: parses JSON after `escape_control_characters`."""

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Any:
        if isinstance(json_data, bytes | bytearray):
            json_data = json_data.decode("utf-8", errors="replace")
        return super().model_validate_json(escape_control_characters(json_data), **kwargs)


def unit_score(value: Any) -> Any:
    """A score in [0, 1] from what a model sent (see the module docstring), or ValueError."""
    if isinstance(value, str):  # "0.8", or "85%" (a percentage said so is not in doubt)
        text = value.strip()
        try:
            number = float(text.removesuffix("%"))
        except ValueError:
            return value  # not a number: the float validation says so
        value = number / 100 if text.endswith("%") else number
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value} is not a score: give a number from 0 to 1, e.g. 0.8")
    if 0.0 <= number <= 1.0:
        return number
    if -ROUNDING <= number < 0.0:
        return 0.0
    if 1.0 < number <= 1.0 + ROUNDING:
        return 1.0
    if 10.0 < number <= 100.0:
        return number / 100
    if 1.0 < number <= 10.0:
        raise ValueError(
            f"{number:g} is not a score from 0 to 1 (is it out of 5, 10 or 100?): give the "
            f"score as a number from 0 to 1, e.g. 0.8"
        )
    raise ValueError(f"{number:g} is not a score: give a number from 0 to 1, e.g. 0.8")


Score = Annotated[float, BeforeValidator(unit_score), Field(ge=0.0, le=1.0)]
