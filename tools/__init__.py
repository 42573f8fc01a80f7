"""Deterministic analysis tools: pure calculators over a DuckDB connection, one module each.

Each module registers its tools in ``tools.base.REGISTRY`` when imported; ``CALCULATORS`` lists them
explicitly (as datasette lists its default plugins). Capabilities outside this package (the business
review, teaching, document search) register the same way from their own packages; see
``assistant.capabilities`` for the full list the router and the LLM use.
"""

from __future__ import annotations

import importlib

from tools.base import REGISTRY, ToolSpec

CALCULATORS: tuple[str, ...] = (
    "tools.attention",
    "tools.boston_matrix",
    "tools.churn_retention",
    "tools.clv",
    "tools.credit",
    "tools.cross_sell",
    "tools.customer_profile",
    "tools.customer_types",
    "tools.drivers",
    "tools.loyalty",
    "tools.metric_query",
    "tools.product_distribution",
    "tools.profitability",
    "tools.rfm",
    "tools.satisfaction",
    "tools.sql_query",
    "tools.tiers",
)


def load(modules: tuple[str, ...]) -> dict[str, ToolSpec]:
    """Import ``modules`` (each registers its tools) and return their tools by name: in the order of ``modules``,
    then of registration within a module (not of import, which depends on who imported what first)."""
    for name in modules:
        importlib.import_module(name)
    return {k: s for m in modules for k, s in REGISTRY.items() if s.module == m}


def load_all() -> dict[str, ToolSpec]:
    """The calculators of this package."""
    return load(CALCULATORS)
