"""The LLM agent loop: the model picks tools and arguments from the one registry, our code runs them.

- Tool arguments are validated by the tool's pydantic model; invalid ones go back to the model as an error
  naming the field, at most ``max_invalid_retries`` times. At most ``max_tool_calls`` tools run per question.
- The model writes the narrative from the tool results only. Before it is shown, every number in it is
  checked against the results (``number_check``); an untraceable number replaces the narrative with the
  deterministic description of the same results, with a notice.
- Any failure of the model (timeout, HTTP 429/5xx, connection refused, unparseable or empty output,
  malformed tool-call JSON, no answer within the bounds) falls back to the deterministic router with a
  visible notice. Nothing raises into the chat.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from assistant.answering.answer import Answer, Citation, result_text
from assistant.answering.compose import compose
from assistant.answering.conversation import Context, Plan
from assistant.answering.execute import NO_CONCEPT_TOOLS
from assistant.answering.search import passages
from assistant.answering.toolbox import Toolbox
from assistant.core.errors import AssistantError
from assistant.core.jsonable import to_jsonable
from assistant.core.lang import detect_language
from assistant.llm.chat import ChatModel, OnToken
from assistant.llm.number_check import untraceable
from assistant.llm.prompts import (
    CONTEXT,
    READING,
    SYSTEM,
    TOOL_ERROR,
    UNAVAILABLE,
    UNTRACEABLE,
    VOCABULARY,
    WRONG_LANGUAGE,
)
from assistant.llm.schemas import tool_schemas
from tools.base import ToolResult, last_order_date
from tools.tables import load as load_table

log = logging.getLogger(__name__)
CITATION_FIELDS = ("doc", "section", "title", "heading", "snippet", "source", "citation")

ROWS_FOR_MODEL = 30  # rows of a result the model sees (it is told the total)
VALUE_COLUMNS = {"region": "customers", "industry": "customers", "size": "customers", "category": "products"}
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
THINK_RE = re.compile(r"<think>.*?(</think>|$)", re.DOTALL)  # reasoning some models (DeepSeek-R1, Qwen) inline


class LLMUnavailable(AssistantError):
    """The LLM path gave up; ``kind`` says why (for logs and the answer's route)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"LLM 不可用:{kind} {detail}".strip(), f"LLM unavailable: {kind} {detail}".strip())
        self.kind = kind


class UntraceableAnswer(LLMUnavailable):
    """The model answered with numbers but no tool ran: nothing to check them against."""

    def __init__(self, numbers: list[str]) -> None:
        super().__init__("untraceable numbers", ", ".join(numbers))
        self.numbers = numbers


class WrongLanguage(LLMUnavailable):
    """The model answered in the other language and no tool ran: nothing to describe instead."""

    def __init__(self) -> None:
        super().__init__("wrong language")


@dataclass
class Step:
    """One tool call the model asked for, and what came of it."""

    tool: str
    arguments: dict[str, Any]
    ok: bool
    error: str = ""
    result: ToolResult | None = None
    needs: str = "warehouse"  # what the tool read: the warehouse (figures) or the knowledge base (passages)
    sent_args: dict[str, Any] | None = None  # validated, as the model gave them

    @property
    def figures(self) -> ToolResult | None:
        """The result when it is data from the warehouse."""
        return self.result if self.ok and self.needs == "warehouse" else None

    @property
    def passages(self) -> list[dict[str, Any]]:
        """The passages when it was a document search."""
        return passages(self.result) if self.ok and self.result is not None and self.needs == "knowledge" else []

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "arguments": to_jsonable(self.arguments), "ok": self.ok}
        if self.error:
            out["error"] = self.error
        return out


def failure_kind(exc: BaseException) -> str:
    """A short name for why the model call failed (never includes the key or the prompt)."""
    if isinstance(exc, LLMUnavailable):
        return exc.kind
    try:
        import openai
    except ImportError:  # pragma: no cover - openai comes with langchain-openai
        openai = None  # type: ignore[assignment]
    if openai is not None:
        if isinstance(exc, openai.APITimeoutError):
            return "timeout"
        if isinstance(exc, openai.RateLimitError):
            return "rate limit (HTTP 429)"
        if isinstance(exc, openai.APIStatusError):
            return f"HTTP {exc.status_code}"
        if isinstance(exc, openai.APIConnectionError):
            return "connection failed"
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return f"unparseable response ({type(exc).__name__})"
    return type(exc).__name__


def _for_model(obj: Any) -> Any:
    """Compact JSON-able values for the prompt: floats to 4 decimals."""
    if isinstance(obj, float):
        return round(obj, 4)
    if isinstance(obj, dict):
        return {k: _for_model(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_for_model(v) for v in obj]
    return obj


def result_view(result: ToolResult, max_rows: int | None = ROWS_FOR_MODEL) -> dict[str, Any]:
    """What the model reads of a tool result (figures, the first rows, the row count, notes); no SQL."""
    return {
        "tool": result.tool,
        "as_of": result.as_of,
        "arguments": result.arguments,
        "figures": result.figures,
        "columns": result.columns,
        "rows": result.rows[:max_rows],
        "rows_total": len(result.rows),
        "notes": result.notes,
    }


def result_for_model(result: ToolResult) -> str:
    return json.dumps(_for_model(to_jsonable(result_view(result))), ensure_ascii=False)


def passage_view(p: dict[str, Any]) -> dict[str, Any]:
    """What the model reads of a passage: where it is from and its text."""
    return {"doc": p["doc"], "section": p["section"], "heading": p["heading"], "text": p["snippet"]}


def passages_for_model(found: list[dict[str, Any]]) -> str:
    return json.dumps([passage_view(p) for p in found], ensure_ascii=False)


def looks_unparsed(text: str) -> bool:
    """A "final answer" that is really a tool call or JSON the endpoint did not parse (common without tool support)."""
    t = text.strip()
    return t.startswith(("{", "[")) or any(tag in t for tag in ("<tool_call>", "```json", '"arguments":'))


def wrong_language(text: str, lang: str, names: set[str]) -> bool:
    """The narrative is not in the question's language (names from the results, e.g. 华东, do not count)."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    cjk = len(CJK_RE.findall(text))
    latin = len(LATIN_WORD_RE.findall(text))
    return cjk > latin if lang == "en" else cjk == 0 and latin >= 3


def string_cells(results: list[ToolResult]) -> set[str]:
    out: set[str] = set()
    for r in results:
        for row in r.rows:
            out.update(v for v in row if isinstance(v, str) and len(v) >= 2)
    return out


class LLMAgent:
    """Answers questions with a tool-calling chat model over a toolbox (registry, warehouse, knowledge base).

    ``fallback`` answers a question without the model (the deterministic router) when the model fails.
    ``on_token`` receives the model's text as it streams: a draft, not yet checked; show it as progress only.
    """

    def __init__(
        self,
        toolbox: Toolbox,
        model: ChatModel,
        *,
        fallback: Callable[[str, Context], Answer],
        max_tool_calls: int = 4,
        max_invalid_retries: int = 2,
        on_token: OnToken | None = None,
        reader: Callable[[str, Context], list[Plan]] | None = None,
    ) -> None:
        self.toolbox = toolbox
        self.fallback = fallback
        self.model = model
        self.max_tool_calls = max_tool_calls
        self.max_invalid_retries = max_invalid_retries
        self.on_token = on_token
        self.reader = reader  # the router's reading of a question, shown to the model as a hint
        self.schemas = tool_schemas(toolbox.registry)
        self._vocabulary: dict[str, str] = {}

    # ---- public -------------------------------------------------------------------------------
    def ask(self, question: str, ctx: Context) -> Answer:
        """The LLM's answer, or the router's with a notice when the LLM path fails. Never raises for the model."""
        lang = detect_language(question)
        try:
            return self._run(question, ctx, lang)
        except Exception as exc:  # any model failure means: answer with the rules
            kind = failure_kind(exc)
            log.warning("LLM path failed (%s); answering with the router", kind)
            answer = self.fallback(question, ctx)
            if isinstance(exc, UntraceableAnswer):
                notice = UNTRACEABLE[answer.language].format(numbers=", ".join(exc.numbers[:5]))
            elif isinstance(exc, WrongLanguage):
                notice = WRONG_LANGUAGE[answer.language]
            else:
                notice = UNAVAILABLE[answer.language]
            answer.notices.insert(0, notice)
            answer.route = {**answer.route, "llm": {"model": self.model.name, "status": "fallback", "reason": kind}}
            return answer

    # ---- the loop -----------------------------------------------------------------------------
    def _run(self, question: str, ctx: Context, lang: str) -> Answer:
        system = self.system_prompt(lang, ctx)
        hint = self.reading(question, ctx, lang)
        messages: list[BaseMessage] = [SystemMessage(system + (f"\n\n{hint}" if hint else "")), HumanMessage(question)]
        steps: list[Step] = []
        executed = invalid = 0
        for _ in range(self.max_tool_calls + self.max_invalid_retries + 1):
            ai = self.model.respond(messages, self.schemas, self.on_token)
            if not isinstance(ai, AIMessage):
                raise LLMUnavailable("unparseable response", type(ai).__name__)
            if ai.invalid_tool_calls:
                raise LLMUnavailable("malformed tool call", str(ai.invalid_tool_calls[0].get("name") or ""))
            if not ai.tool_calls:
                text = THINK_RE.sub("", str(ai.text)).strip()
                if not text:
                    raise LLMUnavailable("empty response")
                if looks_unparsed(text):
                    raise LLMUnavailable("unparseable response", "tool call or JSON as text")
                return self._compose(question, lang, text, steps, ctx)
            messages.append(ai)
            for i, call in enumerate(ai.tool_calls):
                call_id = call.get("id") or f"call_{len(steps)}_{i}"
                if executed >= self.max_tool_calls:
                    content = TOOL_ERROR["budget"].format(n=self.max_tool_calls)
                    messages.append(ToolMessage(content, tool_call_id=call_id, status="error"))
                    continue
                step, content = self._run_tool(call["name"], dict(call.get("args") or {}), lang)
                steps.append(step)
                if step.ok:
                    executed += 1
                else:
                    invalid += 1
                    if invalid > self.max_invalid_retries:
                        raise LLMUnavailable("invalid tool arguments", f"after {self.max_invalid_retries} retries")
                status = "success" if step.ok else "error"
                messages.append(ToolMessage(content, tool_call_id=call_id, status=status))
        raise LLMUnavailable("no final answer", f"within {self.max_tool_calls} tool calls")

    def _run_tool(self, name: str, args: dict[str, Any], lang: str) -> tuple[Step, str]:
        spec = self.toolbox.registry.get(name)
        if spec is None:
            msg = TOOL_ERROR["unknown"].format(tool=name, names=", ".join(s["function"]["name"] for s in self.schemas))
            return Step(name, args, False, f"unknown tool {name}"), msg
        try:
            # The same bilingual words as the CLI: each bad field, the value sent and what is expected.
            validated = spec.validate(args)
        except AssistantError as exc:
            details = f"{exc.en} / {exc.zh}"
            return Step(name, args, False, details), TOOL_ERROR["invalid"].format(tool=name, details=details)
        sent = validated.model_dump(exclude_unset=True)
        try:
            result = self.toolbox.run(name, validated, lang=lang)
        except (AssistantError, duckdb.Error) as exc:
            details = f"{exc.en} / {exc.zh}" if isinstance(exc, AssistantError) else str(exc).splitlines()[0]
            return Step(name, sent, False, details), TOOL_ERROR["invalid"].format(tool=name, details=details)
        if spec.needs == "knowledge":
            step = Step(name, sent, True, result=result, needs=spec.needs, sent_args=sent)
            return step, passages_for_model(step.passages)
        return Step(name, result.arguments, True, result=result, sent_args=sent), result_for_model(result)

    # ---- the answer ---------------------------------------------------------------------------
    def _compose(self, question: str, lang: str, text: str, steps: list[Step], ctx: Context) -> Answer:
        data = [s for s in steps if s.figures is not None]
        found = [p for s in steps for p in s.passages]
        results = [r for s in data if (r := s.figures) is not None]
        # What the model saw (all rows, not only the first ones it was sent), and nothing else: not the SQL.
        checked: list[Any] = [result_view(r, None) for r in results]
        checked += [passage_view(p) for p in found]
        bad = untraceable(text, checked, question, ordinals=max((len(r.rows) for r in results), default=0))
        if bad and not data and not found:
            raise UntraceableAnswer(bad)
        other_language = wrong_language(text, lang, string_cells(results))
        if other_language and not data and not found:
            raise WrongLanguage()

        citations: list[Citation] = []
        seen: set[tuple[str, str]] = set()
        for p in found:
            if (p["doc"], p["section"]) not in seen and len(citations) < 3:
                seen.add((p["doc"], p["section"]))
                citations.append(Citation(**{k: p[k] for k in CITATION_FIELDS}))
        main = data[-1] if data else None
        if main is not None and main.tool not in NO_CONCEPT_TOOLS:
            spec = self.toolbox.spec(main.tool)
            fallback = spec.zh if lang == "zh" else spec.en
            for c in self.toolbox.knowledge.citations_for(question, main.tool, lang, fallback_query=fallback):
                if (c.doc, c.section) not in seen:
                    seen.add((c.doc, c.section))
                    citations.append(c)
        notices = []
        if bad or other_language:
            notices.append(UNTRACEABLE[lang].format(numbers=", ".join(bad[:5])) if bad else WRONG_LANGUAGE[lang])
            text = self._deterministic_text(data, found, lang)
        route = {
            "kind": "llm",
            "model": self.model.name,
            "language": lang,
            "reason": f"LLM {self.model.name}: " + (" → ".join(s.tool for s in steps) or "no tool"),
            "steps": [s.summary() for s in steps],
        }
        answer = compose(question, lang, text, results=results, route=route, notices=notices, citations=citations)
        if main is not None and main.result is not None:
            plan = Plan("tool", lang, tool=main.tool, args=main.sent_args or {}, reason="llm")
            ctx.remember(plan, main.result.columns, main.result.rows)
        return answer

    def _deterministic_text(self, data: list[Step], found: list[dict[str, Any]], lang: str) -> str:
        """The built-in description of the same results (what the router path would have said)."""
        parts = []
        for s in data:
            spec = self.toolbox.spec(s.tool)
            assert s.result is not None
            parts.append(result_text(spec.name, spec.zh, spec.en, s.result, lang, None))
        if not parts and found:
            top = found[0]
            parts.append(f"**{top['heading'] or top['title']}**\n\n{top['snippet']}")
        return "\n\n".join(parts)

    # ---- the prompt ---------------------------------------------------------------------------
    def system_prompt(self, lang: str, ctx: Context) -> str:
        ref = last_order_date(self.toolbox.con)
        lines = [SYSTEM[lang].format(as_of=ref.isoformat()), self.vocabulary(lang)]
        ctx_text = CONTEXT[lang]
        if ctx.user_rep_id:
            lines.append(ctx_text["rep"].format(rep=ctx.user_rep_id))
        if ctx.last_plan is not None and ctx.last_plan.tool:
            args = json.dumps(to_jsonable(ctx.last_plan.args), ensure_ascii=False)
            lines.append(ctx_text["last"].format(tool=ctx.last_plan.tool, args=args))
        if ctx.focus_customer:
            lines.append(ctx_text["focus"].format(customer=ctx.focus_customer))
        return "\n\n".join(lines)

    def reading(self, question: str, ctx: Context, lang: str) -> str:
        """The built-in reader's frame of the question (tool and arguments per part), or nothing without one."""
        if self.reader is None:
            return ""
        try:
            plans = self.reader(question, ctx)
        except AssistantError:
            return ""
        words = READING[lang]
        parts = []
        for plan in plans:
            if plan.kind == "tool" and plan.tool:
                args = json.dumps(to_jsonable(plan.args), ensure_ascii=False)
                parts.append(words["tool"].format(tool=plan.tool, args=args))
            elif plan.kind == "explain":
                parts.append(words["explain"].format(query=plan.explain_query or question))
            else:
                parts.append(words["unsure"])
        return words["head"] + "\n" + "\n".join(f"- {p}" for p in parts) if parts else ""

    def vocabulary(self, lang: str) -> str:
        """Metric and dimension ids from the semantic layer, and the filter values found in the warehouse."""
        if lang not in self._vocabulary:
            sem = load_table("metrics")
            metrics = ", ".join(f"{k}({v.get(lang, k)})" for k, v in sem["metrics"].items())
            dims = ", ".join(f"{k}({v.get(lang, k)})" for k, v in sem["dimensions"].items())
            values = []
            for column, table in {**VALUE_COLUMNS, "channel": "orders"}.items():
                try:
                    rows = self.toolbox.con.execute(
                        f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY 1 LIMIT 40"
                    ).fetchall()
                except duckdb.Error:
                    continue
                values.append(f"{column}: " + ", ".join(str(r[0]) for r in rows))
            self._vocabulary[lang] = VOCABULARY[lang].format(metrics=metrics, dimensions=dims, values="; ".join(values))
        return self._vocabulary[lang]
