"""Deterministic analysis tools. Each module registers its tools in ``tools.base.REGISTRY``."""

from __future__ import annotations

import importlib
import pkgutil

from tools.base import REGISTRY, ToolSpec


def load_all() -> dict[str, ToolSpec]:
    """Import every tool module (anything in this package not starting with '_' and not ``base``)."""
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name == "base":
            continue
        importlib.import_module(f"{__name__}.{mod.name}")
    return REGISTRY
