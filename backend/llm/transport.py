"""An HTTP transport that bounds a whole exchange, not only each read.

httpx's read timeout applies to each read: a server that sends a byte every few seconds (a
stream that never ends, a generation in a repetition loop sent as it is made) would hold the
client forever. This transport takes the request's read timeout as the limit of the whole
answer, headers and body together: before every read it lowers the read timeout to the time
left, and raises a ReadTimeout once none is left (the openai SDK reports it as a timeout).
The headers are bounded exactly (a non-streaming server sends them when its answer is done);
a read of the body already waiting when time runs out ends at its own timeout, so a body
trickled byte by byte ends within twice the limit at worst.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx  # the HTTP client of the openai SDK (openai>=3)


class BoundedTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = dict(request.extensions.get("timeout") or {})
        limit = timeouts.get("read")
        if limit is None:
            return super().handle_request(request)
        # httpcore reads this dict before every read, so lowering "read" bounds the next one.
        request.extensions["timeout"] = timeouts
        ends_at = time.monotonic() + limit
        response = super().handle_request(request)
        response.stream = _BoundedStream(response.stream, timeouts, ends_at, limit, request)
        return response


class _BoundedStream(httpx.SyncByteStream):
    def __init__(
        self,
        stream: Any,
        timeouts: dict[str, Any],
        ends_at: float,
        limit: float,
        request: httpx.Request,
    ) -> None:
        self._stream = stream
        self._timeouts = timeouts
        self._ends_at = ends_at
        self._limit = limit
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._stream)
        while True:
            left = self._ends_at - time.monotonic()
            if left <= 0:
                raise httpx.ReadTimeout(
                    f"the answer was not complete after {self._limit:g} s",
                    request=self._request,
                )
            self._timeouts["read"] = left
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            yield chunk

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()
