"""Tool schemas are generated from the one registry (plus search_docs), self-contained for any endpoint."""

from __future__ import annotations

import json

from pydantic import BaseModel

from assistant.answering.search import SEARCH_DOCS
from assistant.capabilities import load_all
from assistant.llm.schemas import parameters_schema, tool_schemas


def test_every_registered_tool_has_a_schema() -> None:
    registry = load_all()
    schemas = tool_schemas(registry)
    names = [s["function"]["name"] for s in schemas]
    assert names == [*registry] and SEARCH_DOCS in names
    for s in schemas:
        spec = registry[s["function"]["name"]]
        assert s["type"] == "function"
        assert s["function"]["description"] == f"{spec.zh} / {spec.en}"
        params = s["function"]["parameters"]
        assert params["type"] == "object"
        assert set(params["properties"]) == set(spec.args_model.model_fields)
    assert "$ref" not in json.dumps(schemas)


def test_refs_inlined_and_optional_unwrapped() -> None:
    class Inner(BaseModel):
        title: str  # a field named like the keyword survives

    class Outer(BaseModel):
        inner: Inner
        maybe: int | None = None

    p = parameters_schema(Outer)
    assert p["properties"]["inner"]["properties"]["title"] == {"type": "string"}
    assert p["properties"]["maybe"] == {"type": "integer"}
    assert p["required"] == ["inner"]
