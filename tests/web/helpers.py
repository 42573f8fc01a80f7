"""Driving the real server as an attacker would: HTTP with cookies, Gradio events by their page ids, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.test_app import ROOT, start, stop


@contextmanager
def server(*args: str) -> Iterator[str]:
    proc, url = start(list(args))
    try:
        yield url
    finally:
        stop(proc)


def cli(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        # The CLI's own audit entries go to a scratch file, never into the checkout's data/.
        env={
            **os.environ,
            "ASSISTANT_AUDIT": str(Path(tempfile.gettempdir()) / "assistant-test-cli-audit.jsonl"),
            **(env or {}),
        },
    )


def login(url: str, name: str, password: str, *, local_address: str | None = None) -> httpx.Client:
    """A signed-in HTTP client (the cookie the login form sets), as a browser or gradio_client gets it."""
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    c = httpx.Client(base_url=url, timeout=120, transport=transport)
    r = c.post("/login", data={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return c


def component_id(config: dict[str, Any], elem_id: str) -> int:
    for comp in config["components"]:
        if comp.get("props", {}).get("elem_id") == elem_id:
            return int(comp["id"])
    raise KeyError(elem_id)


def event(
    client: httpx.Client,
    elem_id: str,
    data: list[Any],
    trigger: str = "click",
    then: int = 0,
    session: str | None = None,
) -> dict[str, Any]:
    """Fire the page's event on ``elem_id`` through the queue, as the browser does; the completion message.

    ``then``: fire the n-th step chained after it instead (``.then``), as the browser does once the first ends;
    ``session``: the browser tab's session (its ``gr.State`` values live on the server under it)."""
    cfg = client.get("/config")
    cfg.raise_for_status()
    config = cfg.json()
    target = component_id(config, elem_id)
    fn = next(
        i
        for i, d in enumerate(config["dependencies"])
        if any(t[0] == target and t[1] == trigger for t in d.get("targets", []))
    )
    deps = config["dependencies"]
    for _ in range(then):
        first = deps[fn].get("id", fn)
        fn = next(i for i, d in enumerate(deps) if d.get("trigger_after") == first)
    fn_index = deps[fn].get("id", fn)
    session = session or uuid.uuid4().hex[:10]
    r = client.post(
        "/gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": target},
    )
    r.raise_for_status()
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg.get("msg") == "process_completed":
                return msg
    raise AssertionError("no completion message")


def ask_page(client: httpx.Client, question: str) -> list[dict[str, Any]]:
    """Ask through the chat as the page does (the answering step after "send"); the answer's chat messages."""
    session = uuid.uuid4().hex[:10]
    shown = outputs(event(client, "send", [question, []], session=session))[0]  # the question, "working on it"
    chat = outputs(event(client, "send", [None, shown, None], then=1, session=session))[0]
    return [m for m in chat if m.get("role") == "assistant"]


def text_of(messages: list[dict[str, Any]]) -> str:
    """The answer's text (its first message; Gradio sends message content as parts)."""
    content = messages[0]["content"]
    return content if isinstance(content, str) else "".join(p.get("text", "") for p in content)


def download_links(messages: list[dict[str, Any]]) -> list[str]:
    """The answer's download links, as paths on the server."""
    files = [p["file"] for m in messages for p in m["content"] if isinstance(p, dict) and p.get("type") == "file"]
    return ["/" + f["url"].split("://", 1)[1].split("/", 1)[1] for f in files]


def outputs(msg: dict[str, Any]) -> list[Any]:
    assert msg.get("success"), msg
    return msg["output"]["data"]


def add_user(users: Path, name: str, role: str, password: str, rep: str | None = None) -> None:
    args = ["users", "add", name, "--role", role, "--password-stdin", "--users", str(users)]
    if rep:
        args += ["--rep-id", rep]
    out = cli(*args, stdin=password + "\n")
    assert out.returncode == 0, out.stderr
