"""A local OpenAI-compatible HTTP server with scripted answers, for tests of the real SDK path.

It also replays what real servers do wrong (llama-cpp-python with a small model, mostly), so
the product's handling of them is tested through the real openai + instructor path:
- answers cut at the request's `max_tokens` (always, as every server does), with a
  `finish_reason` that says "tool_calls" or "stop" instead of "length" unless
  `truthful_length` is set;
- a never-ending answer (`push_stall`: headers, then a byte now and then) and a slow one
  (`push_json(..., delay=...)`);
- dropped system and tool messages (`drop_system`: they are left out of what the model
  "sees" and of the prompt tokens counted with `count_prompt_tokens`);
- HTTP 500 for a `response_format` type it doesn't take (`refuse_response_format`), in
  llama-cpp-python's words;
- raw control characters in strings, out-of-range numbers, empty changes: `push_raw` and
  `push_json` send whatever a test gives them.

The server listens on 127.0.0.1 on a random port, in a thread. A test pushes the answers it
wants, in order; each `POST /v1/chat/completions` takes the next one. Every request body is
recorded, so a test can assert on what the prompt held and on how many requests were sent.

Answers follow the request's shape, as instructor asks for it: when the request offers
`tools` (instructor's default TOOLS mode) a JSON answer comes back as a `tool_calls` entry
naming the first offered function; otherwise it comes back as the message content (JSON
mode). Every answer carries `usage` token counts so the accounting is exercised.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    """One scripted reply: a JSON payload, raw text for the arguments, or an HTTP error."""

    payload: Any = None
    raw: str | None = None
    status: int = 200
    error_body: str = ""
    prompt_tokens: int = 100
    completion_tokens: int = 20
    usage: bool = True
    delay: float = 0.0
    stall: bool = False  # headers, then a byte every STALL_GAP seconds, for STALL_SECONDS


@dataclass
class ScriptedLLMServer:
    """The server's state: the queue of answers and the requests received."""

    answers: deque[Answer] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    model_list: list[str] = field(default_factory=lambda: ["scripted-model"])
    # Faults of real servers (see the module docstring); all off by default.
    truthful_length: bool = False
    drop_system: bool = False
    count_prompt_tokens: bool = False
    refuse_response_format: tuple[str, ...] = ()
    default: Any = None  # the answer when none is scripted (None: an HTTP 500 says so)
    _httpd: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # Scripting --------------------------------------------------------------------------

    def push_json(
        self,
        payload: Any,
        *,
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
        delay: float = 0.0,
    ):
        """Answer the next request with this JSON value (as a tool call or as content), after
        `delay` seconds (a slow model, so a test can watch the steps before it)."""
        self.answers.append(
            Answer(
                payload=payload,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                delay=delay,
            )
        )

    def push_raw(self, text: str, *, prompt_tokens: int = 100, completion_tokens: int = 20):
        """Answer with this exact text where the JSON belongs (to script malformed answers)."""
        self.answers.append(
            Answer(raw=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)
        )

    def push_error(self, status: int = 500, body: str = '{"error": {"message": "boom"}}'):
        """Answer the next request with an HTTP error."""
        self.answers.append(Answer(status=status, error_body=body))

    def push_stall(self):
        """Answer the next request with headers and then a trickle that never completes (a
        generation stuck in a loop, sent as it is made)."""
        self.answers.append(Answer(stall=True))

    def push_without_usage(self, payload: Any):
        """Answer with JSON but no `usage` block (as some local servers do)."""
        self.answers.append(Answer(payload=payload, usage=False))

    # Inspection -------------------------------------------------------------------------

    def prompt_text(self, index: int = -1) -> str:
        """Every message content of request `index`, joined (to assert on the prompt)."""
        messages = self.requests[index].get("messages", [])
        return "\n".join(str(message.get("content") or "") for message in messages)

    def seen(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """The messages of a request that reach the model (`drop_system` drops some)."""
        messages = request.get("messages", [])
        if self.drop_system:
            messages = [m for m in messages if m.get("role") not in ("system", "tool")]
        return messages

    # Life cycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ScriptedLLMServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    data = [
                        {"id": m, "object": "model", "owned_by": "tests"} for m in server.model_list
                    ]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                with server._lock:
                    server.requests.append(body)
                    answer = server.answers.popleft() if server.answers else None
                    number = len(server.requests)
                if answer is None and server.default is not None:
                    answer = Answer(payload=server.default)
                refused = (body.get("response_format") or {}).get("type")
                if answer is not None and answer.delay:
                    time.sleep(answer.delay)
                if refused in server.refuse_response_format:
                    self._send_text(500, _refusal(refused))
                elif answer is None:
                    self._send(500, {"error": {"message": "the test scripted no more answers"}})
                elif answer.status != 200:
                    self._send_text(answer.status, answer.error_body)
                elif answer.stall:
                    self._trickle()
                else:
                    self._send(200, _completion(server, body, answer, number))

            def _trickle(self) -> None:
                """Headers, then a space every STALL_GAP s; the body never completes."""
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                ends = time.monotonic() + STALL_SECONDS
                try:
                    while time.monotonic() < ends:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(STALL_GAP)
                except OSError:
                    return  # the client gave up, as it should
                self.close_connection = True

            def _send(self, status: int, payload: Any) -> None:
                self._send_text(status, json.dumps(payload))

            def _send_text(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


STALL_SECONDS = 20.0  # a stalled answer ends (incomplete) after this, so no test hangs
STALL_GAP = 0.05
CHARS_PER_TOKEN = 4


def _refusal(kind: str) -> str:
    """llama-cpp-python's answer to a response_format type it doesn't take."""
    detail = (
        f"[{{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
        f"'msg': \"Input should be 'text' or 'json_object'\", 'input': '{kind}'}}]"
    )
    return json.dumps({"error": {"message": detail, "type": "internal_server_error"}})


def _completion(
    server: ScriptedLLMServer, request: dict[str, Any], answer: Answer, number: int
) -> dict[str, Any]:
    """A chat completion in the form the request asked for (tool call or content), cut at
    the request's max_tokens as a real server does."""
    text = answer.raw if answer.raw is not None else json.dumps(answer.payload)
    completion_tokens = answer.completion_tokens
    limit = request.get("max_tokens")
    cut = isinstance(limit, int) and len(text) > limit * CHARS_PER_TOKEN
    if cut:
        text, completion_tokens = text[: limit * CHARS_PER_TOKEN], limit
    prompt_tokens = answer.prompt_tokens
    if server.count_prompt_tokens:
        seen = server.seen(request)
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in seen) // CHARS_PER_TOKEN
    tools = request.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish_reason = "stop"
    if tools:
        name = tools[0]["function"]["name"]
        message["tool_calls"] = [
            {
                "id": f"call_{number}",
                "type": "function",
                "function": {"name": name, "arguments": text},
            }
        ]
        finish_reason = "tool_calls"
    elif request.get("response_format") or answer.raw is not None:
        message["content"] = text
    else:  # md_json: instructor asks for a ```json block in plain text
        message["content"] = f"Here it is:\n```json\n{text}\n```"
    if cut and server.truthful_length:
        finish_reason = "length"
    completion: dict[str, Any] = {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": request.get("model", "scripted-model"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }
    if answer.usage:
        completion["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
    return completion


def closed_port() -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
