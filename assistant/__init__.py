"""Customer-analysis assistant: deterministic tools over DuckDB, a cited knowledge base, and a chat front end."""

from __future__ import annotations

__version__ = "0.1.0"
