"""Fixtures for the knowledge tests: tiny documents, an in-memory or Chroma-backed knowledge base."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.embed import HashingEmbedder
from knowledge.index import KnowledgeBase
from knowledge.vector import MemoryVectorIndex

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    """A writable copy of the fixture documents (tests edit and delete them)."""
    out = tmp_path / "docs"
    shutil.copytree(FIXTURES / "docs", out)
    return out


@pytest.fixture
def memory_kb(tmp_path: Path, docs_dir: Path) -> KnowledgeBase:
    emb = HashingEmbedder(dims=512)
    return KnowledgeBase(tmp_path / "index", embedder=emb, vector=MemoryVectorIndex(emb), docs_dir=docs_dir)


@pytest.fixture
def seeds() -> list[Path]:
    if not SEEDS.is_dir():
        pytest.skip(f"seed pages not found at {SEEDS} (../shared/seeds beside the repository)")
    return sorted(SEEDS.glob("*.txt"))
