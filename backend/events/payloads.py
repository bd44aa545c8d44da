"""What each event's payload carries: the one place its fields are written down.

Monitors filter on these fields, the dispatcher words alerts from them and other systems
report the external ones (`EXTERNAL_EVENTS`) through `POST /api/events`, so every
`EventName` has an entry here. Actions (`backend.events.activity.record`) carry their detail plus
who acted (`actor`, `actor_user_id`) and, when an object is concerned, its `object_id`;
`tests/backend/events/test_event_payloads.py` runs every action and checks that what is recorded
matches.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from backend.config import get_settings
from backend.enums import EXTERNAL_EVENTS, EventName
from backend.errors import InvalidInput

#: A field's kind -> the Python types a JSON value of that kind arrives as.
_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "list": (list,),
    "object": (dict,),
}
_CURRENCY = re.compile(r"[A-Za-z]{3}")
#: A lone UTF-16 surrogate: JSON's "\\ud800" decodes to one, and no database or UTF-8
#: encoder takes it ("surrogates not allowed").
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Integers a payload may hold: what fits a 64-bit column (and prints in any JSON reader).
INT_LIMIT = 2**63
#: What a NUL character or a lone surrogate becomes in text the product records itself.
REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Field:
    """One payload field: its JSON kind (a key of `_KINDS`), what it means, whether every
    event of its name carries it, and whether it may be null."""

    kind: str
    meaning: str
    required: bool = True
    nullable: bool = False

    def accepts(self, value: Any) -> bool:
        """Whether `value` is of this field's kind (a bool is not a number here)."""
        if value is None:
            return self.nullable
        if isinstance(value, bool) and self.kind != "boolean":
            return False
        if isinstance(value, float) and not math.isfinite(value):
            return False
        return isinstance(value, _KINDS[self.kind])


def _f(kind: str, meaning: str, *, required: bool = True, nullable: bool = False) -> Field:
    return Field(kind, meaning, required, nullable)


# Fields shared by many events, written once.
_ACTED = {
    "actor": _f("string", "who acted: an email, 'system', 'auto-apply', a phone number"),
    "actor_user_id": _f(
        "integer", "the acting person's user id; null for the system", nullable=True
    ),
}
_USER = {"user_id": _f("integer", "the person concerned")}
_OBJECT = {
    "object_id": _f("integer", "the durable object's id"),
    "slug": _f("string", "the object's slug"),
}
_MODIFICATION = {
    "modification_id": _f("integer", "the requested change"),
    # A creation has no object until it is applied.
    "object_id": _f("integer", "the object changed; absent for a new one", required=False),
}
_TOKEN = {
    **_USER,
    "token_id": _f("integer", "the API token"),
    "prefix": _f("string", "the token's first characters, to tell it apart"),
    "name": _f("string", "what the token is for"),
}
_SOURCE = {
    "source_id": _f("integer", "the event source"),
    "name": _f("string", "the source's name; its events come in as 'api:<name>'"),
    "prefix": _f("string", "the key's first characters, to tell it apart"),
}
_LOCK = {
    "key": _f("string", "what was locked: an address, an account or a PIN"),
    "minutes": _f("number", "how long it stays locked, in minutes"),
}
_PAYMENT = {
    "amount": _f("number", "the amount, in the currency's main unit (12.5 = 12.50)"),
    "currency": _f("string", "ISO 4217 code, three letters (USD, EUR)"),
    "customer": _f("string", "who paid: a name, an email or the payer's id"),
    "payment_id": _f("string", "the payment's id in the reporting system", required=False),
}

_MONITOR = {
    "monitor_id": _f("integer", "the monitor"),
    "object_id": _f("integer", "the durable object holding its check", required=False),
}

_ACTION_FIELDS: dict[EventName, dict[str, Field]] = {
    EventName.USER_CREATED: {
        **_USER,
        "name": _f("string", "the new person's name"),
        "email": _f("string", "their email address"),
        "is_admin": _f("boolean", "whether they are an admin"),
    },
    EventName.USER_UPDATED: {**_USER, "changed": _f("list", "names of the fields changed")},
    EventName.USER_PASSWORD_CHANGED: {
        **_USER,
        "how": _f(
            "string", "'set' (by an admin) or 'invite' (a link); absent: the person", required=False
        ),
    },
    EventName.USER_INVITED: {
        **_USER,
        "expires_at": _f("string", "when the link stops working (ISO 8601, UTC)"),
    },
    EventName.SIGN_IN_LOCKED: {**_LOCK},
    EventName.USER_PIN_SET: {**_USER, "changed": _f("boolean", "whether a PIN was replaced")},
    EventName.PHONE_VERIFICATION_SENT: {
        **_USER,
        "phone": _f("string", "the number the code went to (E.164)"),
        "number_changed": _f("boolean", "whether it is a new number for the person"),
    },
    EventName.PHONE_VERIFIED: {
        **_USER,
        "phone": _f("string", "the verified number (E.164)"),
        "by": _f("string", "'code' (the person typed it) or 'admin'"),
    },
    EventName.SMS_OPT_OUT_CHANGED: {
        **_USER,
        "phone": _f("string", "the number (E.164)"),
        "opted_out": _f("boolean", "whether texts to it are now stopped"),
    },
    EventName.TOKEN_CREATED: {**_TOKEN},
    EventName.TOKEN_REVOKED: {**_TOKEN},
    EventName.EVENT_SOURCE_CREATED: {**_SOURCE},
    EventName.EVENT_SOURCE_REVOKED: {**_SOURCE},
    EventName.OBJECT_CREATED: {
        **_OBJECT,
        "version": _f("integer", "its first version's number"),
        "files": _f("list", "its file paths"),
    },
    EventName.OBJECT_EDITED: {
        **_OBJECT,
        "version": _f("integer", "the new version's number"),
        "parent": _f("integer", "the version it was made from"),
        "files": _f("list", "the paths changed"),
    },
    EventName.OBJECT_ROLLED_BACK: {
        **_OBJECT,
        "version": _f("integer", "the new version's number"),
        "restored": _f("integer", "the earlier version it equals"),
        "reason": _f("string", "why, when the system rolled back by itself", required=False),
    },
    EventName.OBJECT_STATUS_CHANGED: {
        **_OBJECT,
        "from": _f("string", "the status before"),
        "to": _f("string", "the status now"),
        "reason": _f("string", "why, when given (else empty)"),
    },
    EventName.OBJECT_VISIBILITY_CHANGED: {
        **_OBJECT,
        "public": _f("boolean", "whether it may be called without a token"),
    },
    EventName.OBJECT_AUTO_APPLY_CHANGED: {
        **_OBJECT,
        "auto_apply": _f("boolean", "whether accepted changes apply themselves"),
    },
    EventName.OBJECT_AUTO_ROLLBACK_CHANGED: {
        **_OBJECT,
        "auto_rollback": _f("boolean", "whether a failing new version rolls back by itself"),
    },
    EventName.OBJECT_FAILING: {
        **_OBJECT,
        "version": _f("integer", "the live version, failing"),
        "previous_version": _f("integer", "the version live before it"),
        "calls": _f("integer", "the live version's calls since its deploy"),
        "errors": _f("integer", "how many of them failed"),
        "error_rate": _f("number", "errors / calls of the live version"),
        "previous_error_rate": _f("number", "the previous version's, before the deploy"),
        "function": _f("string", "the function of the last failed call", nullable=True),
        "last_error": _f("string", "the last failed call's error", nullable=True),
        "rolled_back": _f("boolean", "whether the system rolled it back (automatic rollback)"),
    },
    EventName.OBJECT_LIMITS_CHANGED: {
        **_OBJECT,
        "limits": _f("object", "the object's sandbox limits now (name -> value)"),
    },
    EventName.OBJECT_DEPLOYED: {
        **_OBJECT,
        "version": _f("integer", "the version now live"),
        "deployment_id": _f("integer", "the deployment"),
    },
    EventName.DEPLOYMENT_FAILED: {
        **_OBJECT,
        "version": _f("integer", "the version that failed to deploy"),
        "deployment_id": _f("integer", "the deployment"),
        "log": _f("string", "the end of its log (at most 2000 characters): the reason"),
    },
    EventName.CREATION_REQUESTED: {
        **_MODIFICATION,
        "slug": _f("string", "the new object's slug"),
        "prompt": _f("string", "the requirements as given"),
    },
    EventName.MODIFICATION_REQUESTED: {
        **_MODIFICATION,
        "slug": _f("string", "the object's slug"),
        "prompt": _f("string", "the request as given"),
    },
    EventName.MODIFICATION_ATTEMPT_REFUSED: {
        "modification_id": _f("integer", "the requested change"),
        "attempt": _f("integer", "which attempt (1, 2, ...)"),
        "reason": _f("string", "the evaluator's feedback"),
    },
    EventName.MODIFICATION_AWAITING_APPROVAL: {
        **_MODIFICATION,
        "slug": _f("string", "the object's slug"),
        "summary": _f("string", "the plan's summary"),
        "overall_score": _f("number", "the evaluator's overall score, 0 to 1"),
    },
    EventName.MODIFICATION_APPLIED: {
        **_MODIFICATION,
        "version": _f("integer", "the version it became"),
    },
    EventName.MODIFICATION_REJECTED: {
        **_MODIFICATION,
        "reason": _f("string", "why it was rejected"),
    },
    EventName.MODIFICATION_RESUMED: {
        **_MODIFICATION,
        "budget_usd": _f("number", "its new LLM budget in US dollars", nullable=True),
    },
    EventName.MODIFICATION_FAILED: {
        **_MODIFICATION,
        "slug": _f("string", "the object's slug"),
        "reason": _f("string", "what went wrong"),
    },
    EventName.MODIFICATION_PAUSED: {
        **_MODIFICATION,
        "slug": _f("string", "the object's slug"),
        "reason": _f("string", "why it paused (its LLM budget ran out)"),
    },
    EventName.TASK_FAILED: {
        "task_id": _f("integer", "the background task"),
        "kind": _f("string", "its job kind (e.g. object.deploy)"),
        "error": _f("string", "the last error"),
    },
    EventName.MONITOR_CREATED: {
        "monitor_id": _f("integer", "the monitor"),
        "owner_id": _f("integer", "whose monitor it is"),
        "event": _f("string", "the event name (or metric) it watches"),
        "channel": _f("string", "how it tells its owner"),
        "object_id": _f("integer", "the durable object holding its check", required=False),
    },
    EventName.MONITOR_PAUSED: {**_MONITOR},
    EventName.MONITOR_RESUMED: {**_MONITOR},
    EventName.MONITOR_SILENCED: {**_MONITOR, "until": _f("string", "silenced until (ISO, UTC)")},
    EventName.MONITOR_DELETED: {**_MONITOR},
    EventName.MONITOR_CHANNEL_CHANGED: {
        **_MONITOR,
        "channel": _f("string", "how it tells its owner now"),
        "was": _f("string", "how it told them before"),
    },
    EventName.MONITOR_ACKNOWLEDGED: {
        **_MONITOR,
        "firing_id": _f("integer", "the firing answered"),
        "answer": _f("string", "ack, pause or mute"),
    },
}

_EXTERNAL_FIELDS: dict[EventName, dict[str, Field]] = {
    EventName.PAYMENT_FAILED: {**_PAYMENT, "reason": _f("string", "why it failed")},
    EventName.PAYMENT_SUCCEEDED: {**_PAYMENT},
}

FIELDS: dict[EventName, dict[str, Field]] = {
    **{name: {**fields, **_ACTED} for name, fields in _ACTION_FIELDS.items()},
    **_EXTERNAL_FIELDS,
}


def known_events() -> list[str]:
    """Every event name of the vocabulary, sorted."""
    return sorted(str(name) for name in EventName)


def fields_of(name: str) -> dict[str, Field]:
    """The documented payload fields of event `name`; `InvalidInput` for an unknown name."""
    try:
        return dict(FIELDS[EventName(name)])
    except ValueError:
        raise InvalidInput(
            f"unknown event type {name!r}; known: {', '.join(known_events())}"
        ) from None


def validate_external(name: str, payload: Any) -> dict[str, Any]:
    """The payload of an event reported from outside, checked: every required field there
    and of its kind, the currency a three-letter code (returned upper-cased). Fields not
    documented are kept as they came, so a reporting system may send more."""
    event = EventName(name)
    if event not in EXTERNAL_EVENTS:
        raise InvalidInput(f"{name} is not reported from outside; may be: {external_names()}")
    if not isinstance(payload, dict):
        raise InvalidInput("the payload must be a JSON object")
    checked = dict(payload)
    for field_name, field in FIELDS[event].items():
        if field_name not in payload:
            if field.required:
                raise InvalidInput(f"{name} needs payload field {field_name!r} ({field.kind})")
            continue
        if not field.accepts(payload[field_name]):
            raise InvalidInput(
                f"payload field {field_name!r} must be a {field.kind}, not {payload[field_name]!r}"
            )
    currency = checked.get("currency")
    if currency is not None:
        if not _CURRENCY.fullmatch(currency):
            raise InvalidInput(
                f"payload field 'currency' must be a 3-letter code, not {currency!r}"
            )
        checked["currency"] = currency.upper()
    return checked


def external_names() -> str:
    """The events other systems may report, comma-separated, for messages."""
    return ", ".join(sorted(str(name) for name in EXTERNAL_EVENTS))


# --- what can be stored at all ----------------------------------------------------------------


def bad_text(text: str) -> str | None:
    """Why `text` can't be stored (PostgreSQL refuses NUL in text, UTF-8 refuses a lone
    surrogate), worded to follow a field's name; None when it can."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (\\ud800-\\udfff), which is not valid Unicode"
    return None


def check_text(text: str, where: str) -> str:
    """`text` when it can be stored; `InvalidInput` saying what is wrong with `where`."""
    reason = bad_text(text)
    if reason is not None:
        raise InvalidInput(f"{where} {reason}")
    return text


def _at(where: str, key: str | int) -> str:
    # json.dumps escapes a NUL or a surrogate in the key, so the message itself is safe.
    return f"{where}[{json.dumps(key)}]"


def check_storable(payload: Any, what: str = "payload") -> None:
    """Refuse (`InvalidInput`, naming where) a payload that would poison the line after it is
    stored: a NUL character or a lone surrogate in any key or string, a number that is not
    finite (NaN, Infinity) or beyond 64 bits, a value that isn't JSON, nesting deeper than
    EVENT_PAYLOAD_MAX_DEPTH or more than EVENT_PAYLOAD_MAX_BYTES of JSON.

    Every way an event comes in (`POST /api/events`, `events emit`, other backend code) calls
    this before storing, so the dispatcher never meets such a payload. The walk uses a stack,
    not recursion, so a payload nested thousands deep is refused rather than crashing.
    """
    settings = get_settings()
    max_depth, max_bytes = settings.event_payload_max_depth, settings.event_payload_max_bytes
    stack: list[tuple[Any, str, int]] = [(payload, what, 0)]
    while stack:
        value, where, depth = stack.pop()
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, int):
            if not -INT_LIMIT < value < INT_LIMIT:
                raise InvalidInput(f"{where} is an integer beyond 64 bits")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise InvalidInput(f"{where} is {value!r}: numbers must be finite")
        elif isinstance(value, (dict, list)):
            if depth >= max_depth:
                raise InvalidInput(
                    f"{what} is nested more than {max_depth} levels deep (at {where})"
                )
            if isinstance(value, list):
                stack.extend((item, _at(where, n), depth + 1) for n, item in enumerate(value))
                continue
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidInput(f"{where} has a key that is not a string: {key!r}")
                check_text(key, f"a key in {where}")
                stack.append((item, _at(where, key), depth + 1))
        else:
            raise InvalidInput(f"{where} is not a JSON value ({type(value).__name__})")
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    if size > max_bytes:
        raise InvalidInput(f"{what} is {size} bytes of JSON; at most {max_bytes}")


def clean(value: Any) -> Any:
    """`value` made storable, for what the product records itself (`backend.events.activity`): an
    action that happened is recorded even when its detail quotes bad text (a deployment log
    with a NUL byte): NUL and lone surrogates become U+FFFD, a non-finite number null."""
    if isinstance(value, str):
        return _SURROGATE.sub(REPLACEMENT, value.replace("\x00", REPLACEMENT))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {clean(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value
