"""A real HTTP peer in front of a vendor's mock that fails on request: a vendor having a bad
day, for the retry tests. Prism serves only the responses a spec declares, and Twilio's
declares no errors, so errors come from here, over real HTTP, in the vendor's own shape.

`FlakyVendor(upstream).failures` is a list of (status, JSON body): each request takes the
next one and gets it as the answer; once the list is empty, requests are passed on to
`upstream` (Prism) and its answer is returned as it is. `requests` counts what arrived (its
paths); `received` keeps each request's method, path and body, for tests that check what a
client sent; `answers` the status each got.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx


class FlakyVendor:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self.requests: list[str] = []
        #: The form bodies that arrived, decoded (a repeated key keeps its last value).
        self.forms: list[dict[str, str]] = []
        self.received: list[tuple[str, str, bytes]] = []
        self.answers: list[int] = []
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                vendor.requests.append(self.path)
                vendor.forms.append(dict(parse_qsl(body.decode(errors="replace"))))
                vendor.received.append((self.command, self.path, body))
                if vendor.failures:
                    status, payload = vendor.failures.pop(0)
                    data, headers = (
                        json.dumps(payload).encode(),
                        {"content-type": "application/json"},
                    )
                else:
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    answer = httpx.request(
                        self.command,
                        vendor.upstream + self.path,
                        content=body,
                        headers=forwarded,
                        timeout=10,
                    )
                    status, data = answer.status_code, answer.content
                    headers = {"content-type": answer.headers.get("content-type", "")}
                vendor.answers.append(status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:  # keep the test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def twilio_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    """An error in Twilio's shape."""
    return status, {"code": code, "message": message, "more_info": "", "status": status}
