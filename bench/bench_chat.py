"""What the chat adds to every answer: rendering a turn (table, chart, how computed, chips), and matching a
question against the accepted corrections (the example bank) with 0, 100 and 1,000 of them.

Real parts: the default sample warehouse, the assistant's own answers, a real feedback file (SQLite).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.commands.benchmarks import BenchContext

QUESTIONS = [
    "华东区今年销售额前十的客户",
    "今年每月的销售额",
    "RFM分析",
    "which customers are at risk?",
    "各大区的客户满意度",
    "top 10 customers by revenue this year",
]


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def run(ctx: BenchContext) -> dict[str, Any]:
    from assistant.agent import Assistant
    from assistant.agent.examples import bank_for
    from assistant.warehouse.feedback import FeedbackStore, feedback_path
    from assistant.web.turns import messages

    db = ctx.warehouse("default")
    out: dict[str, Any] = {"questions": len(QUESTIONS)}
    with tempfile.TemporaryDirectory() as tmp:
        # the bank reads the feedback beside the warehouse: a copy's own, so the cached sample stays clean
        local = Path(tmp) / "warehouse.duckdb"
        local.symlink_to(db)
        bot = Assistant(local, use_llm=False, examples=bank_for(local))
        try:
            answers = [bot.ask(q).to_json() for q in QUESTIONS]
            render = []
            for _ in range(3 if ctx.quick else 10):
                for a in answers:
                    t0 = time.perf_counter()
                    messages(a, files=[f"{tmp}/answer.csv", f"{tmp}/answer.xlsx"])
                    render.append(time.perf_counter() - t0)
            out["render_turn_p50_ms"] = _p50(render)
            out["render_turn_max_ms"] = round(max(render) * 1000, 2)

            store = FeedbackStore(feedback_path(local))
            added = 0
            for n in (0, 100) if ctx.quick else (0, 100, 1000):
                while added < n:
                    fid = store.add(
                        who="bench",
                        role="manager",
                        question=f"第{added}种说法:我们的金主都有谁",
                        answer={},
                        verdict="down",
                        correction="今年销售额前十的客户",
                    )
                    store.review(fid, "accepted", "bench")
                    added += 1
                bot.examples.match("预热")  # loads the examples once per version
                times = []
                for _ in range(3 if ctx.quick else 10):
                    for q in QUESTIONS:
                        t0 = time.perf_counter()
                        bot.examples.match(q)
                        times.append(time.perf_counter() - t0)
                out[f"bank_match_p50_ms_{n}_examples"] = _p50(times)
            t0 = time.perf_counter()
            for _ in range(50):
                store.version()
            out["feedback_version_check_ms"] = round((time.perf_counter() - t0) / 50 * 1000, 3)
        finally:
            bot.close()
    return out
