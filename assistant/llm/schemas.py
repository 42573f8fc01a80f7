"""Tool schemas for the model, generated from the one registry, plus ``search_docs`` for the knowledge base.

Each schema is the OpenAI function format: the tool's name, its bilingual description and its pydantic
argument model as JSON schema. ``$ref``s are inlined and titles dropped: several OpenAI-compatible
servers (Ollama, vLLM) do not resolve references.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.base import ToolSpec

SEARCH_DOCS = "search_docs"
SEARCH_DOCS_ZH = "方法论知识库检索:概念、定义、计算方法和行动建议(RFM、流失、NPS、CLV…),返回带出处的段落"
SEARCH_DOCS_EN = (
    "Methodology knowledge base search: concepts, definitions, how metrics are computed and what to do "
    "(RFM, churn, NPS, CLV …); returns passages with citations"
)


class SearchDocsArgs(BaseModel):
    """知识库检索参数 / knowledge-base search parameters."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(..., min_length=1, max_length=500, description="检索内容 / what to look up")
    k: int = Field(3, ge=1, le=6, description="返回段落数 / passages to return")
    lang: Literal["zh", "en"] | None = Field(None, description="文档语言 / document language")


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
    """Every registered tool, then ``search_docs`` (unless the registry already has a tool by that name)."""
    out = [function_schema(s.name, s.zh, s.en, s.args_model) for s in registry.values()]
    if SEARCH_DOCS not in registry:
        out.append(function_schema(SEARCH_DOCS, SEARCH_DOCS_ZH, SEARCH_DOCS_EN, SearchDocsArgs))
    return out
