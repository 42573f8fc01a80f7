"""Load test of the web app's `ask` API: concurrent sessions, latency, and no context leaking between them.

Each simulated user holds its own session (its own gradio_client) and asks about a region, then
follows up with "去年呢?" — the follow-up must keep *its* region. Not part of `make test`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

from assistant.commands.benchmarks import BenchContext
from assistant.core.config import ROOT

REGIONS = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(ctx: BenchContext) -> dict[str, Any]:
    from gradio_client import Client

    sessions, seconds = (4, 5.0) if ctx.quick else (20, 180.0)
    db = ctx.warehouse("default")
    index = ctx.cache_dir / "index"
    users = ctx.cache_dir / "no-users.json"
    port = _free_port()
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "app.py", "--port", str(port), "--db", str(db), "--index", str(index), "--users", str(users)],
        cwd=ROOT,
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        leaks: list[str] = []
        lock = threading.Lock()
        deadline = time.time() + seconds

        def user(i: int) -> None:
            client = Client(url, verbose=False)
            region = REGIONS[i % len(REGIONS)]
            while time.time() < deadline:
                for q, check in ((f"{region}今年销售额前十的客户", True), ("去年呢?", True)):
                    t0 = time.perf_counter()
                    try:
                        ans = client.predict(q, api_name="/ask")
                    except Exception as exc:
                        with lock:
                            errors.append(repr(exc)[:200])
                        continue
                    dt = time.perf_counter() - t0
                    got = (ans.get("arguments") or {}).get("region")
                    with lock:
                        latencies.append(dt)
                        if check and got != [region]:
                            leaks.append(f"session {i} asked about {region}, answer used {got}")

        threads = [threading.Thread(target=user, args=(i,)) for i in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    ms = sorted(x * 1000 for x in latencies)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "requests": len(ms),
        "errors": len(errors),
        "context_leaks": len(leaks),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None,
        "examples": (errors + leaks)[:3],
    }
