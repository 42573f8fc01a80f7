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


def event(client: httpx.Client, elem_id: str, data: list[Any], trigger: str = "click") -> dict[str, Any]:
    """Fire the page's event on ``elem_id`` through the queue, as the browser does; the completion message."""
    cfg = client.get("/config")
    cfg.raise_for_status()
    config = cfg.json()
    target = component_id(config, elem_id)
    fn = next(
        i
        for i, d in enumerate(config["dependencies"])
        if any(t[0] == target and t[1] == trigger for t in d.get("targets", []))
    )
    fn_index = config["dependencies"][fn].get("id", fn)
    session = uuid.uuid4().hex[:10]
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


def outputs(msg: dict[str, Any]) -> list[Any]:
    assert msg.get("success"), msg
    return msg["output"]["data"]


def add_user(users: Path, name: str, role: str, password: str, rep: str | None = None) -> None:
    args = ["users", "add", name, "--role", role, "--password-stdin", "--users", str(users)]
    if rep:
        args += ["--rep-id", rep]
    out = cli(*args, stdin=password + "\n")
    assert out.returncode == 0, out.stderr
