"""``tool``: run any registered analysis tool directly, or list them with their parameters.

``python -m assistant tool rfm --args '{"as_of": "2025-06-30"}' --json`` prints ``ToolResult.to_json()``;
without ``--json`` a readable table. ``python -m assistant tool --list`` lists every tool.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import BaseModel

from assistant.core import config
from assistant.core.errors import InputError

if TYPE_CHECKING:
    from tools.base import ToolSpec

MAX_TABLE_ROWS = 50
EngineOption = typer.Option(
    None, "--engine", help="duckdb(默认)或 spark / duckdb (default) or spark (env ASSISTANT_ENGINE, ASSISTANT_SPARK)."
)


def parse_arguments(spec: Any, raw: str | dict[str, Any] | None) -> BaseModel:
    """JSON text or a dict -> the tool's pydantic model; every failure is a bilingual InputError naming the field.

    Validated before the warehouse is opened, so a typo is reported even without one (ToolSpec.validate words it).
    """
    if raw is None or raw == "":
        data: Any = {}
    elif isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(
                f'--args 不是有效的 JSON(第 {exc.lineno} 行第 {exc.colno} 列:{exc.msg})。示例:\'{{"as_of": "2025-06-30"}}\'',
                f"--args is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg}). "
                'Example: \'{"as_of": "2025-06-30"}\'',
            ) from exc
    else:
        data = raw
    if not isinstance(data, dict):
        raise InputError(
            f'--args 必须是 JSON 对象(如 {{"as_of": "2025-06-30"}}),而不是 {type(data).__name__}。',
            f'--args must be a JSON object (like {{"as_of": "2025-06-30"}}), not {type(data).__name__}.',
        )
    return spec.validate(data)


def describe_tools() -> list[dict[str, Any]]:
    """Every registered tool with its bilingual description and parameters (from the JSON schema)."""
    from assistant.capabilities import load_all

    out = []
    for name, spec in sorted(load_all().items()):
        schema = spec.args_model.model_json_schema()
        required = set(schema.get("required", []))
        params = []
        for pname, prop in schema.get("properties", {}).items():
            params.append(
                {
                    "name": pname,
                    "type": _type_of(prop),
                    "default": prop.get("default"),
                    "required": pname in required,
                    "description": prop.get("description", ""),
                }
            )
        out.append({"name": name, "zh": spec.zh, "en": spec.en, "parameters": params})
    return out


def _type_of(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in prop["enum"])
    if "anyOf" in prop:
        return " | ".join(_type_of(p) for p in prop["anyOf"] if p.get("type") != "null") or "null"
    t = prop.get("type", "any")
    if t == "array":
        return f"list[{_type_of(prop.get('items', {}))}]"
    if prop.get("format") == "date":
        return "date"
    return str(t)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 1e15 else str(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def render_table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    """Plain aligned text; CJK characters count double so columns line up in a terminal."""
    cells = [[_cell(v) for v in r] for r in rows]
    widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(vals: list[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(vals, widths, strict=True)).rstrip()

    return [line(columns), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def render_result(out: dict[str, Any]) -> str:
    lines = [f"{out['tool']}  as_of {out['as_of']}  {json.dumps(out['arguments'], ensure_ascii=False)}", ""]
    for k, v in out["figures"].items():
        lines.append(f"  {k}: {_cell(v)}")
    lines.append("")
    rows = out["rows"]
    lines += render_table(out["columns"], rows[:MAX_TABLE_ROWS])
    if len(rows) > MAX_TABLE_ROWS:
        lines.append(f"… 另有 {len(rows) - MAX_TABLE_ROWS} 行 / {len(rows) - MAX_TABLE_ROWS} more rows (use --json)")
    lines.append("")
    for d in out["definitions"]:
        val = "" if d.get("value") is None else f"  [{_cell(d['value'])}]"
        lines.append(f"  · {d['zh']} / {d['en']}{val}")
    for n in out.get("notes", []):
        lines.append(f"  ! {n}")
    return "\n".join(lines)


def _spec(name: str) -> ToolSpec | None:
    """The capability ``name``, importing only its own module when one is named after it (``tools.rfm`` for rfm).

    A call runs one tool: importing every capability (their YAML tables, the report, teaching, the jobs, sqlglot)
    cost about 1 s of each ``tool rfm`` at start-up. Any other name is looked up among all of them.
    """
    from assistant.capabilities import CAPABILITIES, load_all
    from tools import load

    own = f"tools.{name}"
    if own in CAPABILITIES:
        spec = load((own,)).get(name)
        if spec is not None:
            return spec
    return load_all().get(name)


def run_tool(
    name: str, raw_args: str | dict[str, Any] | None, db: Path | None, engine: str | None = None
) -> dict[str, Any]:
    """Validate, open the warehouse read-only (or the knowledge base, for document search), run, return the JSON.

    ``engine`` is duckdb (the default) or spark (assistant.warehouse.engine_choice; env ASSISTANT_ENGINE).
    """
    from assistant.warehouse.engine_choice import open_warehouse

    spec = _spec(name)
    if spec is None:
        from assistant.capabilities import load_all

        names = ", ".join(sorted(load_all()))
        raise InputError(f"没有名为 {name} 的工具。可用工具:{names}", f"No tool named {name}. Available: {names}")
    args = parse_arguments(spec, raw_args)
    if spec.needs == "knowledge":
        # Only document search opens the knowledge base (and imports its stack); the calculators never do.
        from assistant.answering.citations import Knowledge

        return spec.run(Knowledge(), args).to_json()
    con = open_warehouse(config.db_path(db), engine)
    try:
        return spec.run(con, args).to_json()
    finally:
        con.close()


def register(app: typer.Typer) -> None:
    @app.command("tool")
    def tool(
        name: str | None = typer.Argument(None, help="工具名,如 rfm / tool name, e.g. rfm."),
        args: str = typer.Option(
            "{}", "--args", help='参数 JSON / arguments as JSON, e.g. \'{"as_of": "2025-06-30"}\'.'
        ),
        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print the result as JSON."),
        list_tools: bool = typer.Option(
            False, "--list", help="列出所有工具及参数 / list every tool and its parameters."
        ),
        db: Path | None = typer.Option(None, "--db", help="DuckDB 文件 / warehouse file (env ASSISTANT_DB)."),
        engine: str | None = EngineOption,
    ) -> None:
        """直接运行分析工具 / run an analysis tool directly."""
        if list_tools:
            tools = describe_tools()
            if as_json:
                typer.echo(json.dumps(tools, ensure_ascii=False, indent=2, default=str))
                return
            for t in tools:
                typer.echo(f"{t['name']}\n  {t['zh']}\n  {t['en']}")
                for p in t["parameters"]:
                    default = "" if p["default"] is None else f" = {json.dumps(p['default'], ensure_ascii=False)}"
                    typer.echo(f"    {p['name']}: {p['type']}{default}  {p['description']}")
                typer.echo("")
            return
        if not name:
            raise InputError(
                "请给出工具名(如 rfm),或用 --list 查看所有工具。",
                "Give a tool name (e.g. rfm), or use --list to see every tool.",
            )
        out = run_tool(name, args, db, engine)
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        else:
            typer.echo(render_result(out))
