"""Tool schemas for the model, generated from the one registry (``search_docs`` for the knowledge base included).

Each schema is the OpenAI function format: the tool's name, its bilingual description and its pydantic
argument model as JSON schema. ``$ref``s are inlined and titles dropped: several OpenAI-compatible
servers (Ollama, vLLM) do not resolve references.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from tools.base import ToolSpec


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """Resolve ``$ref``s, drop ``title`` keywords and unwrap ``anyOf [X, null]`` (optional means not required)."""
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[str(node["$ref"]).rsplit("/", 1)[-1]]
        return _inline({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        if rest.get("default", "") is None:
            del rest["default"]
        return _inline({**other, **rest}, defs)
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("title", "$defs"):
            continue
        # Under "properties" the keys are field names (a field may be called "title").
        out[k] = {name: _inline(sub, defs) for name, sub in v.items()} if k == "properties" else _inline(v, defs)
    return out


def parameters_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The argument model as a self-contained JSON schema (no ``$ref``, no titles)."""
    schema = model.model_json_schema()
    out = _inline(schema, schema.get("$defs", {}))
    out.setdefault("type", "object")
    return dict(out)


def function_schema(name: str, zh: str, en: str, args_model: type[BaseModel]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "description": f"{zh} / {en}", "parameters": parameters_schema(args_model)},
    }


def tool_schemas(registry: Mapping[str, ToolSpec]) -> list[dict[str, Any]]:
    """Every registered capability (document search included), in registry order."""
    return [function_schema(s.name, s.zh, s.en, s.args_model) for s in registry.values()]
