"""What each event's payload carries: the one place its fields are written down.

Monitors filter on these fields, the dispatcher words alerts from them and other systems
report the external ones (`EXTERNAL_EVENTS`) through `POST /api/events`, so every
`EventName` has an entry here. Actions (`backend.activity.record`) carry their detail plus
who acted (`actor`, `actor_user_id`) and, when an object is concerned, its `object_id`;
`tests/test_event_payloads.py` runs every action and checks that what is recorded matches.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

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
    EventName.USER_PASSWORD_CHANGED: {**_USER},
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
