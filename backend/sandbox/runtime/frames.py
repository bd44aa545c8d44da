"""Length-prefixed JSON frames over pipes, shared by the host and the sandbox worker.

A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON. The reader is told
the largest frame it accepts and a deadline, so a peer that talks too much or not at all costs
a bounded amount of memory and time. JSON is parsed strictly: NaN and Infinity are refused,
and any parse failure (including deep nesting) becomes `FrameError`.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">I")
MAX_CHUNK = 1 << 20


class FrameError(Exception):
    """The peer sent something that is not a well-formed frame."""


class FrameClosed(FrameError):
    """The peer closed the pipe (usually: it died)."""


class FrameTimeout(FrameError):
    """No complete frame arrived before the deadline."""


class FrameTooLarge(FrameError):
    """The peer announced a frame larger than the reader accepts."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Made once: `json.dumps` and `json.loads` build a new encoder or decoder per call when given
# options, which costs more than encoding or parsing a small frame.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=False)
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def dumps(obj: Any) -> bytes:
    """Compact, strict JSON (raises ValueError for NaN/Infinity, TypeError for non-JSON)."""
    return _ENCODER.encode(obj).encode()


def loads(data: bytes | str) -> Any:
    """Strict JSON parse; every failure (bad syntax, NaN, huge ints, nesting) is FrameError.
    (What `json.loads(data, parse_constant=...)` does, with one decoder for every call.)"""
    try:
        if isinstance(data, bytes | bytearray):
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        elif data.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM", data, 0)
        return _DECODER.decode(data)
    except (ValueError, RecursionError, MemoryError, UnicodeDecodeError) as exc:
        raise FrameError(f"malformed JSON: {exc.__class__.__name__}") from None


def encode(obj: Any) -> bytes:
    data = dumps(obj)
    return HEADER.pack(len(data)) + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:MAX_CHUNK])
        view = view[written:]


def write_frame(fd: int, obj: Any) -> None:
    write_all(fd, encode(obj))


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytes:
    """Read exactly `size` bytes, or raise FrameClosed / FrameTimeout."""
    parts: list[bytes] = []
    missing = size
    while missing:
        timeout = _remaining(deadline)
        if timeout is not None:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                raise FrameTimeout(f"no answer within the deadline ({size - missing}/{size} bytes)")
        chunk = os.read(fd, min(missing, MAX_CHUNK))
        if not chunk:
            raise FrameClosed("the peer closed the pipe")
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


def read_frame(fd: int, *, max_bytes: int, deadline: float | None = None) -> Any:
    """Read one frame; refuses frames over `max_bytes` before reading their body."""
    (size,) = HEADER.unpack(read_exact(fd, HEADER.size, deadline))
    if size > max_bytes:
        raise FrameTooLarge(f"frame of {size} bytes; the limit is {max_bytes}")
    return loads(read_exact(fd, size, deadline))
