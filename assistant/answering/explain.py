"""Explanations composed from the sections that answer the question, and real cases from the loaded data.

"什么是 RFM,怎么计算" gets the "what" and the "how" sections; "X 和 Y 有什么区别" the "what" of both (or the section
that compares them, when the search finds one); "用我们的数据举个例子" runs the tool and shows a real case (a real
重要价值 customer with its R, F and M against the thresholds; last quarter's churn rate with its numerator and
denominator), with the tool's SQL as its provenance. Cues and cases live in explain.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assistant.answering.names import customer_names
from assistant.answering.toolbox import Toolbox
from assistant.answering.writers import fill, write
from assistant.core.errors import AssistantError
from knowledge.models import Hit
from knowledge.ourdocs import docs_of_tool, find_section
from tools.base import ToolResult

TABLE = Path(__file__).with_name("explain.yaml")
# How much of a section an explanation shows: a chat reply, not the whole document.
EXPLAIN_CHARS = {"zh": 900, "en": 1800}
ORDER = ("what", "how", "why", "actions", "example")
_SENTENCE_END = re.compile(r"(?<=[。!?!?;;])|(?<=[.!?])\s")


@cache
def table() -> dict[str, Any]:
    return dict(yaml.safe_load(TABLE.read_text(encoding="utf-8")))


def _has(question: str, phrases: list[str]) -> bool:
    q = f" {question.lower()} "
    return any(p.lower() in q for p in phrases)


def asked(question: str, lang: str | None = None) -> list[str]:
    """The parts of a concept the question asks for, in reading order (what, how, why, actions, example)."""
    langs = [lang] if lang else ["zh", "en"]
    found = [a for a, cues in table()["aspects"].items() if _has(question, [c for x in langs for c in cues.get(x, [])])]
    return [a for a in (*ORDER, "difference") if a in found]


def one_explanation(question: str) -> bool:
    """A question that asks two parts of one concept ("什么是 RFM,怎么计算", "what is RFM and how is it computed",
    "流失率怎么算?用我们的数据举个例子"): one explanation, not two questions (for the router's split into parts)."""
    return len([a for a in asked(question) if a != "difference"]) >= 2 or (
        bool(asked(question)) and wants_our_data(question)
    )


def wants_our_data(question: str) -> bool:
    cues = table()["our_data"]
    return _has(question, cues["zh"] + cues["en"])


def section_text(hit: Hit, limit: int | None = None) -> str:
    """The section a hit points at, whole when it fits a chat reply, else cut at the last paragraph or sentence
    end that fits, never mid-sentence. Users' pages (not ours) show the passage found."""
    found = find_section(hit.doc_id, hit.language, hit.anchor) if hit.kind == "doc" else None
    text = found[1].text.strip() if found else hit.snippet
    limit = limit or EXPLAIN_CHARS.get(hit.language, 1200)
    if len(text) <= limit:
        return text
    cut = text.rfind("\n\n", 0, limit)
    if cut < limit // 2:
        ends = [m.start() for m in _SENTENCE_END.finditer(text, 0, limit)]
        cut = ends[-1] if ends else limit
    more = "(全文见出处)" if hit.language == "zh" else "(the whole section is in the source)"
    return text[:cut].rstrip() + "\n\n" + more


def section_hit(doc_id: str, lang: str, anchor: str) -> Hit | None:
    """A shipped section as a hit (to show and cite it like a search result)."""
    found = find_section(doc_id, lang, anchor)
    if found is None:
        return None
    d, s = found
    return Hit(
        doc_id=doc_id,
        title=d.title,
        anchor=anchor,
        heading=s.heading,
        language=lang,
        snippet=s.text[:200],
        source=d.source,
        score=0.0,
    )


# "X 和 Y 有什么区别" / "the difference between X and Y": the two things compared.
_PAIR = re.compile(
    r"^(?:what(?:'s| is) the difference between|how (?:does|do|is|are))?\s*(.+?)\s*(?:和|与|跟|同|对比|\band\b|\bvs\.?|\bversus\b)\s*(.+?)"
    r"\s*(?:之间)?(?:有什么|有啥|有何|的)?(?:区别|不同|差别|差异|differ\w*|different)?\s*[??。.!!]*$",
    re.I,
)


def compared(question: str) -> tuple[str, str] | None:
    """The two things a difference question compares."""
    m = _PAIR.match(question.strip())
    return (m.group(1), m.group(2)) if m and m.group(1) and m.group(2) else None


def sections(question: str, lang: str, hits: list[Hit], search: Any = None) -> list[Hit]:
    """The sections that answer ``question``: the best hit, then the other parts it asks for from the same document;
    for a difference, the "what" of the two concepts unless one section compares them. ``search(query)`` finds the
    hits for one side of a comparison."""
    top = hits[0]
    parts = asked(question, lang)
    if top.kind != "doc":
        return [top]
    if "difference" in parts:
        diff = table()["aspects"]["difference"]
        if _has(f"{top.heading} {top.anchor}", diff["zh"] + diff["en"] + ["vs-"]):
            return [top]
        sides = compared(question)
        firsts = [next(iter(search(side)), None) for side in sides] if sides and search else []
        docs = list(dict.fromkeys(h.doc_id for h in firsts if h is not None and h.kind == "doc"))
        if len(docs) == 1 and len(firsts) == 2:  # both in one document (CLV and CAC): its "what" covers both
            return [h for h in [section_hit(docs[0], lang, "what")] if h is not None] or [top]
        if len(docs) < 2:
            docs = list(dict.fromkeys(h.doc_id for h in hits if h.kind == "doc"))[:2]
        pair = [h for d in docs[:2] if (h := section_hit(d, lang, "what")) is not None]
        return pair if len(pair) == 2 else [top]
    if wants_our_data(question):
        parts = [p for p in parts if p != "example"]  # our data replaces the document's generic example
        if top.anchor == "example":
            top = section_hit(top.doc_id, lang, "what") or top
    wanted = [p for p in parts if p != top.anchor]
    if not wanted or (len(parts) == 1 and top.anchor not in ORDER):
        return [top]
    extra = [h for p in wanted if (h := section_hit(top.doc_id, lang, p)) is not None]
    return sorted([top, *extra], key=lambda h: ORDER.index(h.anchor) if h.anchor in ORDER else -1)


# ---- a real case from the loaded data ---------------------------------------------------------------------------
@dataclass
class Example:
    """A real case: the sentences, and the result they were read from (its SQL is the answer's provenance)."""

    text: list[str]
    result: ToolResult
    names: dict[str, str] = field(default_factory=dict)


def _last_quarter(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The last full calendar quarter before ``as_of``."""
    q_start = dt.date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    end = q_start - dt.timedelta(days=1)
    return dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1), end


def _pick(result: ToolResult, pick: dict[str, Any]) -> ToolResult | None:
    rows = [
        r for r in result.rows if all(c in result.columns and r[result.columns.index(c)] == v for c, v in pick.items())
    ]
    return result.model_copy(update={"rows": rows[:1]}) if rows else None


def example(tool: str, lang: str, toolbox: Toolbox, base_args: dict[str, Any]) -> Example | None:
    """A real case of what ``tool`` computes, from the loaded data; None when the tool cannot run or finds none."""
    case = table()["examples"].get(tool)
    args = {k: v for k, v in base_args.items() if k not in ("view", "by")}
    try:
        if case and case.get("args", {}).get("period") == "last_quarter":
            first = toolbox.run(tool, args, lang=lang)
            if first.as_of is None:
                return None
            start, end = _last_quarter(first.as_of)
            result = toolbox.run(tool, {**args, "start": start.isoformat(), "end": end.isoformat()}, lang=lang)
        else:
            result = toolbox.run(tool, {**args, **(case or {}).get("args", {})}, lang=lang)
    except AssistantError:
        return None
    if case and case.get("pick"):
        picked = _pick(result, case["pick"])
        if picked is None:
            return None
        result = picked
    names = customer_names(toolbox.con, result)
    if case:
        text = fill(result, lang, case.get(lang), names)
    else:
        written = write(result, lang, None, names)
        text = written.lead if written else []
    return Example(text, result, names) if text else None


def tools_of(hit: Hit) -> list[str]:
    """The tools a document explains (its front matter)."""
    return [t for t, docs in docs_of_tool().items() if hit.doc_id in docs]
