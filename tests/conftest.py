"""Shared fixtures: an empty contract warehouse for hand-built tables, and one small generated sample per session."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from assistant.warehouse.db import create_tables

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# A developer's OPENAI_API_KEY must not switch the tests (or the CLIs they start) to a live LLM; LLM tests
# build their chat model explicitly, against a scripted loopback server.
os.environ["ASSISTANT_LLM"] = "off"

ARTIFACTS = Path(__file__).parent / "artifacts"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    # Unit tests may talk to loopback servers only; anything else is a bug (the product runs offline).
    host = address[0] if isinstance(address, tuple) else address
    if (
        isinstance(host, str)
        and not (host.startswith("127.") or host in ("localhost", "::1"))
        and self.family != socket.AF_UNIX
    ):
        raise RuntimeError(f"test tried to reach {address!r}; only loopback is allowed")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture
def empty_con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with every contract table, empty: insert a hand-computed tiny table."""
    con = duckdb.connect()
    create_tables(con)
    yield con
    con.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated sample warehouse (400 customers, fixed seed), built once per test session."""
    from assistant.warehouse.generate import GenerateOptions, generate

    path = tmp_path_factory.mktemp("sample") / "warehouse.duckdb"
    generate(path, GenerateOptions(customers=400, seed=7))
    return path


@pytest.fixture
def sample_con(sample_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(sample_db), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def knowledge_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped methodology documents indexed into a real Chroma collection, once per session."""
    from knowledge.index import KnowledgeBase

    path = tmp_path_factory.mktemp("index")
    KnowledgeBase(path).build()
    return path
