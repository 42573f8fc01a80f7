"""The deterministic router end to end: latency of ``Assistant.ask`` (route + tool + answer + citations) over
~30 representative questions on the default sample and on the large warehouse (1M customers, ~10M order
lines), the time from process start to the first answer, and the customer-name search alone at 1M customers
(the current search against the naive one it replaced: every n-gram of the question against every name).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from assistant.commands.benchmarks import BenchContext

# What salespeople and managers ask most: metric lookups of every shape, the common analyses, a customer
# by name and by id, an explanation and a refusal. Chinese and English.
QUESTIONS: tuple[str, ...] = (
    "华东区今年销售额前十的客户",
    "各产品类别上季度的销售额和毛利",
    "今年销售额多少",
    "上个月订单量",
    "各大区今年的销售额",
    "今年每个月的新客户数",
    "张伟负责的客户里哪些超过90天没下单",
    "今年销售额超过10万的客户有哪些",
    "各大区今年销售额跟去年同期比怎么样",
    "大型客户的毛利率",
    "线上渠道今年卖了多少",
    "哪个城市卖得最好",
    "投诉最多的5个行业",
    "现在有多少活跃客户",
    "逾期的钱一共多少",
    "做个RFM分析",
    "大客户分层",
    "哪些客户有流失风险",
    "客户满意度怎么样",
    "客户投诉主要集中在哪些方面",
    "什么是RFM",
    "明年销售额能做到多少",
    "revenue by region this year",
    "top 5 products by gross profit last year",
    "how many orders did we get last month",
    "customers who haven't ordered in over 90 days",
    "revenue this year vs last year",
    "which customers are at risk of churning",
    "pareto analysis of our customers",
    "what is customer lifetime value?",
)
NAME_QUESTIONS: tuple[str, ...] = (
    "华东区今年销售额前十的客户",
    "张伟负责的客户里哪些超过90天没下单",
    "银川宇德科技的情况",
    "青岛宇瑞机械最近买了啥",
    "客户投诉主要集中在哪些方面",
    "look up 上海华信科技",
)


def _index(ctx: BenchContext) -> Path:
    """The shipped methodology documents indexed once (citations are part of an answer)."""
    from knowledge.index import KnowledgeBase

    path = ctx.cache_dir / "router-bench-index"
    if not (path / ".built").exists():
        path.mkdir(parents=True, exist_ok=True)
        KnowledgeBase(path).build()
        (path / ".built").write_text("ok", encoding="utf-8")
    return path


def _percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


def _latency(db: Path, index: Path, questions: tuple[str, ...]) -> dict[str, Any]:
    from assistant.agent import Assistant
    from assistant.answering.conversation import Context

    t0 = time.perf_counter()
    bot = Assistant(db, index=index)
    setup_s = time.perf_counter() - t0
    # Warm once (the index and its tokenizer, the tool modules, DuckDB's caches): cold start is measured
    # separately, in a fresh process.
    bot.ask("今年销售额", Context())
    bot.ask("客户满意度", Context())
    per_question: dict[str, Any] = {}
    totals: list[float] = []
    routes: list[float] = []
    for q in questions:
        ctx = Context()
        t1 = time.perf_counter()
        plan = bot.router.route(q, ctx)
        t2 = time.perf_counter()
        ans = bot.answer_plan(q, plan, ctx)
        t3 = time.perf_counter()
        total, route = (t3 - t1) * 1000, (t2 - t1) * 1000
        totals.append(total)
        routes.append(route)
        per_question[q] = {
            "ms": round(total, 1),
            "route_ms": round(route, 1),
            "kind": plan.kind,
            "tool": plan.tool,
            "rows": len(ans.rows),
        }
    bot.close()
    return {
        "db": db.name,
        "setup_s": round(setup_s, 3),
        "questions": len(questions),
        "p50_ms": round(statistics.median(totals), 1),
        "p95_ms": _percentile(totals, 0.95),
        "max_ms": round(max(totals), 1),
        "route_p50_ms": round(statistics.median(routes), 1),
        "route_p95_ms": _percentile(routes, 0.95),
        "per_question": per_question,
    }


def _naive_find_customers(con: Any, text: str) -> int:
    """The search this module replaced: every 4–12-character fragment of the question against every name."""
    import re

    grams = {
        chunk[i : i + n]
        for run in re.finditer(r"[\u4e00-\u9fff]+", text)
        for chunk in [run.group(0)]
        for n in range(min(len(chunk), 12), 3, -1)
        for i in range(len(chunk) - n + 1)
    }
    if not grams:
        return 0
    rows = con.execute(
        """WITH hits AS (SELECT g AS gram, c.customer_id FROM customers c, unnest($grams) AS t(g)
                         WHERE contains(lower(c.name), lower(g)))
           SELECT gram, customer_id FROM hits QUALIFY count(*) OVER (PARTITION BY gram) <= 3""",
        {"grams": sorted(grams)},
    ).fetchall()
    return len(rows)


def _name_search(db: Path) -> dict[str, Any]:
    from assistant.answering.conversation import Context
    from assistant.nlu.entities import find_customers
    from assistant.router.router import Router
    from assistant.warehouse.db import connect

    con = connect(db)
    router = Router(con)
    out: dict[str, Any] = {}
    for q in NAME_QUESTIONS:
        t0 = time.perf_counter()
        found = find_customers(con, q)
        t1 = time.perf_counter()
        plan = router.route(q, Context())
        t2 = time.perf_counter()
        _naive_find_customers(con, q)
        t3 = time.perf_counter()
        out[q] = {
            "search_ms": round((t1 - t0) * 1000, 1),
            "route_ms": round((t2 - t1) * 1000, 1),
            "naive_search_ms": round((t3 - t2) * 1000, 1),
            "found": [c.value for c in found][:3],
            "routed_customers": plan.args.get("customer_ids") or plan.args.get("customer_id"),
        }
    con.close()
    return out


FIRST_METRIC = "华东区今年销售额前十的客户"  # a metric query: no citations
FIRST_ANALYSIS = "哪些客户有流失风险"  # an analysis: the knowledge index opens for citations


def _first_answer(ctx: BenchContext, db: Path, index: Path, question: str) -> dict[str, float]:
    """A fresh process answering one question: imports, opening the warehouse, routing, the tool, citations."""
    return ctx.run_process(
        [sys.executable, "-m", "assistant", "ask", question, "--db", str(db), "--index", str(index)],
        env={"GRADIO_ANALYTICS_ENABLED": "False", "OPENAI_API_KEY": "", "PYTHONWARNINGS": "ignore"},
    )


def run(ctx: BenchContext) -> dict[str, Any]:
    os.environ.pop("OPENAI_API_KEY", None)  # the deterministic router is what is measured
    index = _index(ctx)
    questions = QUESTIONS[:8] if ctx.quick else QUESTIONS
    default_db = ctx.warehouse("default")
    large_db = ctx.warehouse("large")
    out: dict[str, Any] = {
        "targets": {"default_p50_ms": 300, "large_p50_ms": 1500},
        "default": _latency(default_db, index, questions),
        "first_answer_default": _first_answer(ctx, default_db, index, FIRST_METRIC),
        "first_answer_default_with_citations": _first_answer(ctx, default_db, index, FIRST_ANALYSIS),
    }
    out["large"] = _latency(large_db, index, questions)
    out["first_answer_large"] = _first_answer(ctx, large_db, index, FIRST_METRIC)
    out["first_answer_large_with_citations"] = _first_answer(ctx, large_db, index, FIRST_ANALYSIS)
    out["customer_name_search_large"] = _name_search(large_db)
    return out
