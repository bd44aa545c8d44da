"""The `storage` module an object imports inside the sandbox.

An in-memory copy of the object's durable state, seeded from the snapshot sent with the call.
Values are JSON: `put` stores the JSON text (so a later change to the Python value doesn't leak
into storage) and `get` returns a fresh copy. Every put and delete is recorded; the call's
result carries the net writes (the last write per key, in the order keys were first written)
and the host commits them only when the call returned normally.

    from storage import get, put, delete, list_keys
    import storage; storage.put("count", storage.get("count", 0) + 1)
    from storage import storage; storage.list()
"""

from __future__ import annotations

import builtins
import json
import types
from typing import Any

MAX_KEY_LENGTH = 256
_MISSING = object()


class Storage:
    """Key -> JSON value, with a log of the writes made during this call."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self._data: dict[str, str] = {
            key: json.dumps(value, allow_nan=False) for key, value in snapshot.items()
        }
        self._writes: dict[str, str | None] = {}

    @staticmethod
    def _check_key(key: object) -> str:
        if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
            raise TypeError(f"storage keys are non-empty strings of at most {MAX_KEY_LENGTH} chars")
        return key

    def get(self, key: str, default: Any = None) -> Any:
        text = self._data.get(self._check_key(key), _MISSING)
        if text is _MISSING:
            return default
        return json.loads(text)

    def put(self, key: str, value: Any) -> None:
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"storage values must be JSON: {exc}") from None
        key = self._check_key(key)
        self._data[key] = text
        self._writes[key] = text

    def delete(self, key: str) -> bool:
        """Remove `key`; True if it was there."""
        key = self._check_key(key)
        existed = self._data.pop(key, None) is not None
        self._writes[key] = None
        return existed

    def list_keys(self, prefix: str = "") -> builtins.list[str]:
        return sorted(key for key in self._data if key.startswith(prefix))

    list = list_keys

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def writes_json(self) -> str:
        """The net writes as a JSON array, built from the stored JSON texts."""
        parts = []
        for key, text in self._writes.items():
            if text is None:
                parts.append('{"op":"delete","key":' + json.dumps(key) + "}")
            else:
                parts.append('{"op":"put","key":' + json.dumps(key) + ',"value":' + text + "}")
        return "[" + ",".join(parts) + "]"


def make_module(store: Storage) -> types.ModuleType:
    """A `storage` module whose functions act on `store`."""
    module = types.ModuleType("storage", __doc__)
    module.get = store.get
    module.put = store.put
    module.delete = store.delete
    module.list_keys = store.list_keys
    module.list = store.list_keys
    module.storage = store
    module.Storage = Storage
    return module
