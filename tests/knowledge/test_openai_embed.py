"""The OpenAI-compatible embedding backend, against a loopback server that returns fake vectors."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from knowledge.embed import default_embedder
from knowledge.embed_openai import OpenAIEmbedder
from knowledge.index import KnowledgeBase

DIMS = 16


def fake_vector(text: str) -> list[float]:
    h = hashlib.sha256(text.encode("utf-8")).digest()
    return [b / 255.0 for b in h[:DIMS]]


class Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(body["input"])]
        out = json.dumps(
            {
                "object": "list",
                "data": data[::-1],
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/v1"
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS_MODEL", "fake-embed")
    Handler.requests = []
    yield url
    srv.shutdown()


def test_openai_embedder_calls_the_endpoint(server: str) -> None:
    emb = default_embedder()
    assert isinstance(emb, OpenAIEmbedder)
    vecs = emb.embed(["客户流失", "churn"])
    want = np.asarray([fake_vector("客户流失"), fake_vector("churn")])
    want = want / np.linalg.norm(want, axis=1, keepdims=True)
    assert np.allclose(vecs, want)  # order restored by index, rows normalised
    req = Handler.requests[0]
    assert req["path"] == "/v1/embeddings" and req["auth"] == "Bearer sk-test"
    assert req["body"]["model"] == "fake-embed" and req["body"]["input"] == ["客户流失", "churn"]
    assert "sk-test" not in json.dumps(emb.signature())  # the key never goes into the index


def test_index_built_with_openai_embeddings(server: str, tmp_path: Path, docs_dir: Path) -> None:
    kb = KnowledgeBase(tmp_path / "idx", docs_dir=docs_dir)
    kb.build()
    man = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert man["embedder"] == {"name": "assistant-openai", "model": "fake-embed", "base_url": server}
    assert sum(len(r["body"]["input"]) for r in Handler.requests) == 6
    # BM25 still finds the right section even though the fake vectors mean nothing
    assert kb.search("净推荐值", k=1)[0].doc_id == "nps"


def test_unreachable_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.errors import ConfigError

    emb = OpenAIEmbedder(model="m", base_url="http://127.0.0.1:9/v1", api_key="k", timeout=2)
    with pytest.raises(ConfigError, match="embeddings endpoint failed"):
        emb.embed(["x"])
