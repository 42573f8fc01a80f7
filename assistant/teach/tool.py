"""Teaching tools for trainers, in the one registry: a step-by-step RFM walkthrough of one customer,
and multiple-choice exercises (concepts, and "classify this customer" from the loaded data).

Both write their own text (``figures["markdown"]``); the exercises' answers stay in
``figures["exercises"]`` for marking and are never shown before the trainee answers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from assistant.capabilities import load_all
from assistant.core.errors import InputError
from assistant.teach.core import quiz, render_exercise, rfm_walkthrough
from tools.base import CommonFilters, Con, Definition, ToolResult, register


class WalkthroughArgs(CommonFilters):
    """RFM 分类演示 / RFM walkthrough of one customer (none named: a representative one is chosen)."""

    lang: Literal["zh", "en"] = Field("zh", description="语言 / language")

    @model_validator(mode="after")
    def _one(self) -> WalkthroughArgs:
        if self.customer_ids and len(self.customer_ids) != 1:
            raise InputError(
                "一次只演示一位客户:请只给一个客户编号。",
                "Walk through exactly one customer at a time: give one customer id.",
            )
        return self


def example_customer(con: Con, filters: dict[str, object]) -> str | None:
    """A real customer to teach with when none is named: the biggest buyer in the first class ("重要价值"), so
    the example shows every score high; else the biggest buyer scored."""
    res = load_all()["rfm"].run(con, {**filters, "by": "customer"})
    recs = sorted(res.records(), key=lambda r: -(r.get("monetary") or 0))
    first = [r for r in recs if r.get("r_high") and r.get("f_high") and r.get("m_high")]
    pick = (first or recs or [None])[0]
    return str(pick["customer_id"]) if pick else None


@register(
    "rfm_walkthrough",
    "RFM 分类演示:一步一步展示某客户的 R、F、M 原始值、排名与五分位、分数、阈值和最终类别",
    "RFM walkthrough: one customer's raw R, F, M, ranks and quintile edges, scores, thresholds and class, step by step",
    WalkthroughArgs,
    examples=("一步一步演示客户C000123的RFM分类", "walk me through the RFM class of C000042"),
)
def rfm_walkthrough_tool(con: Con, args: WalkthroughArgs) -> ToolResult:
    filters = args.model_dump(exclude={"customer_ids", "lang"}, exclude_none=True)
    customer = args.customer_ids[0] if args.customer_ids else example_customer(con, filters)
    if customer is None:
        raise InputError(
            "所选范围内没有有已完成订单的客户,无法演示 RFM;请换个范围或指定一个客户。",
            "No customer in this scope has a completed order to walk through; widen the scope or name a customer.",
        )
    text, res = rfm_walkthrough(con, customer, args.lang, **filters)
    if not args.customer_ids:
        note = (
            f"(没有指定客户:以 {customer} 为例,它是 R、F、M 都高的客户中买得最多的一位。)"
            if args.lang == "zh"
            else f"(No customer named: {customer} is the example, the biggest buyer among those scoring high on R, F and M.)"
        )
        text = text.replace("\n", f"\n\n{note}\n", 1)
    return res.model_copy(
        update={"tool": "rfm_walkthrough", "figures": {**res.figures, "markdown": text}, "chart": None}
    )


class ExercisesArgs(CommonFilters):
    """练习题 / exercises."""

    n: int = Field(3, ge=1, le=10, description="题目数量 / number of exercises")
    seed: int = Field(0, ge=0, description="随机种子:同一种子同样的题 / seed: the same seed gives the same exercises")
    lang: Literal["zh", "en"] = Field("zh", description="语言 / language")


@register(
    "exercises",
    "练习题:根据方法论和已加载数据生成选择题(概念题、给客户分类),回答后批改并讲解",
    "Exercises: multiple-choice questions from the methodology and the loaded data (concepts, classify a customer), marked with an explanation",
    ExercisesArgs,
    examples=("出三道RFM练习题", "quiz me on customer analysis"),
)
def exercises_tool(con: Con, args: ExercisesArgs) -> ToolResult:
    items = quiz(con, args.n, args.seed, args.lang)
    zh = args.lang == "zh"
    head = (
        "请回答(例如 “1 B” 或只写 “B” 回答第一道未答的题):"
        if zh
        else "Answer like '1 B', or just 'B' for the first unanswered one:"
    )
    text = head + "\n\n" + "\n\n".join(render_exercise(e, i) for i, e in enumerate(items, 1))
    return ToolResult(
        as_of=None,
        figures={"markdown": text, "exercises": [e.to_dict() for e in items]},
        columns=["no", "kind", "question"],
        rows=[[i, e.kind, e.question] for i, e in enumerate(items, 1)],
        definitions=[
            Definition(
                name="generator",
                zh="由规则表与数据按种子确定性生成",
                en="generated deterministically from the rule tables and the data",
            )
        ],
    )
