"""What a planner runs capabilities on: the registry, the warehouse connection and the knowledge base."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
from pydantic import BaseModel

from assistant.answering.citations import Knowledge
from assistant.core.errors import InputError
from tools.base import ToolResult, ToolSpec


@dataclass
class Toolbox:
    """Runs any registered capability with what it needs (``ToolSpec.needs``)."""

    registry: Mapping[str, ToolSpec]
    con: duckdb.DuckDBPyConnection
    knowledge: Knowledge

    def spec(self, name: str) -> ToolSpec:
        spec = self.registry.get(name)
        if spec is None:
            names = ", ".join(self.registry)
            raise InputError(f"没有名为 {name} 的工具。可用工具:{names}", f"No tool named {name}. Available: {names}")
        return spec

    def run(self, name: str, arguments: Mapping[str, Any] | BaseModel, *, lang: str | None = None) -> ToolResult:
        """Validate and run ``name``. A tool that writes prose (a ``lang`` argument) writes it in ``lang`` unless
        the arguments say otherwise."""
        spec = self.spec(name)
        if lang and "lang" in spec.args_model.model_fields:
            if isinstance(arguments, BaseModel):
                if "lang" not in arguments.model_fields_set:
                    arguments = arguments.model_copy(update={"lang": lang})
            elif "lang" not in arguments:
                arguments = {**arguments, "lang": lang}
        source = self.knowledge if spec.needs == "knowledge" else self.con
        return spec.run(source, arguments)
