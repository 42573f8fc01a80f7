"""A scripted OpenAI-compatible chat server on 127.0.0.1 (standard library only), for offline LLM tests.

Each POST to ``/v1/chat/completions`` pops the next scripted reply and records the request body, so a test
can say exactly what the "model" answers and check what our client sent. Nothing here talks to a real service.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted reply: an HTTP status and body, optionally late or as server-sent events."""

    status: int = 200
    body: Any = None  # dict → JSON; str/bytes → sent as is (garbage tests)
    sse: list[dict[str, Any]] | None = None  # chunks sent as ``data: {...}`` lines, then ``data: [DONE]``
    sleep: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def _completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def tool_calls(*calls: tuple[str, dict[str, Any] | str]) -> Reply:
    """The model asks for tools; arguments as a dict (JSON-encoded here) or a raw string (malformed tests)."""
    items = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": args if isinstance(args, str) else json.dumps(args)},
        }
        for i, (name, args) in enumerate(calls)
    ]
    return Reply(body=_completion({"role": "assistant", "content": None, "tool_calls": items}, "tool_calls"))


def final(text: str) -> Reply:
    return Reply(body=_completion({"role": "assistant", "content": text}, "stop"))


def streamed(text: str, pieces: int = 4) -> Reply:
    """The final answer as server-sent events, cut into ``pieces`` deltas."""
    step = max(1, -(-len(text) // pieces))
    parts = [text[i : i + step] for i in range(0, len(text), step)]
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    chunks += [{**base, "choices": [{"index": 0, "delta": {"content": p}}]} for p in parts]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return Reply(sse=chunks)


def streamed_tool_call(name: str, args: dict[str, Any]) -> Reply:
    """A tool call as server-sent events, its JSON arguments split over two deltas."""
    raw = json.dumps(args)
    half = len(raw) // 2
    base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": "scripted"}

    def delta(d: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": d, "finish_reason": finish}]}

    first = {"index": 0, "id": "call_0", "type": "function", "function": {"name": name, "arguments": raw[:half]}}
    return Reply(
        sse=[
            delta({"role": "assistant", "content": None, "tool_calls": [first]}),
            delta({"tool_calls": [{"index": 0, "function": {"arguments": raw[half:]}}]}),
            delta({}, "tool_calls"),
        ]
    )


def error(status: int, message: str = "scripted error") -> Reply:
    headers = {"retry-after": "0"} if status == 429 else {}
    return Reply(status=status, body={"error": {"message": message, "type": "server_error"}}, headers=headers)


class ScriptedServer:
    """Serves scripted replies in order; ``requests`` holds every JSON body received."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies: list[Reply] = list(replies or [])
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                server.paths.append(self.path)
                try:
                    server.requests.append(json.loads(raw))
                except ValueError:
                    server.requests.append({"_raw": raw.decode("utf-8", "replace")})
                reply = server.replies.pop(0) if server.replies else error(500, "script exhausted")
                if reply.sleep:
                    time.sleep(reply.sleep)
                try:
                    self._send(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def _send(self, reply: Reply) -> None:
                if reply.sse is not None:
                    payload = (
                        b"".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n".encode() for c in reply.sse)
                        + b"data: [DONE]\n\n"
                    )
                    ctype = "text/event-stream"
                else:
                    body = reply.body
                    payload = (
                        body
                        if isinstance(body, bytes)
                        else body.encode()
                        if isinstance(body, str)
                        else json.dumps(body, ensure_ascii=False).encode()
                    )
                    ctype = "application/json"
                self.send_response(reply.status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(payload)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
