"""business_review: the explained manager's summary for a period and scope, as one tool.

The period comes from start/end (default: the quarter that contains the reference date, to
date). The report itself is assistant.report: every figure from the other tools, concepts quoted
from the methodology documents, call-outs from explicit rules. The result's table is the headline
figures; ``figures["markdown"]`` is the whole report for the chat.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from assistant.nlu.timeparse import Period, find_period
from tools.base import CommonFilters, Con, Definition, ToolResult, register, resolve_scope


class BusinessReviewArgs(CommonFilters):
    """经营情况总结 / business review."""

    lang: Literal["zh", "en"] = Field("zh", description="报告语言 / report language")


@register(
    "business_review",
    "客户经营情况总结:某期间(默认本季度)的销售与增长、客户增减与流失、RFM 与四类客户变化、大客户风险、满意度、投诉、盈利与建议行动",
    "Business review: revenue and growth, customers gained and lost, RFM and customer-type shifts, big customers at risk, "
    "satisfaction, complaints, profitability and recommended actions for a period (default this quarter)",
    BusinessReviewArgs,
    examples=("总结一下本季度客户经营情况", "monthly review for last month"),
)
def business_review(con: Con, args: BusinessReviewArgs) -> ToolResult:
    # Imported here: registering the tool (every CLI command that lists tools does) must not load the report.
    from assistant.report.build import build_report
    from assistant.report.render import figure_rows, to_markdown

    scope = resolve_scope(con, args)
    if args.start:
        period = Period(args.start, scope.end, "range", f"{args.start} 至 {scope.end}", f"{args.start} to {scope.end}")
        for unit in ("quarter", "month", "year"):
            # Keep calendar units calendar units, so the previous period is the previous quarter/month/year.
            m = find_period(
                {
                    "quarter": f"{args.start.year}年Q{(args.start.month - 1) // 3 + 1}",
                    "month": f"{args.start.year}年{args.start.month}月",
                    "year": f"{args.start.year}年",
                }[unit],
                scope.as_of,
            )
            if m and m.period.start == args.start and m.period.end >= scope.end:
                period = Period(m.period.start, scope.end, m.period.grain, m.period.zh, m.period.en)
                break
    else:
        m = find_period("本季度", scope.as_of)
        assert m is not None
        period = m.period
    rep = build_report(con, period, lang=args.lang, region=args.region, rep_id=args.rep_id)
    cols: list[str] = []
    rows: list[list[object]] = []
    for s in rep.sections:
        if s.figures:
            c, r = figure_rows(rep, s.figures)
            cols = c
            rows += r
    return ToolResult(
        as_of=min(period.end, scope.as_of),
        figures={
            "markdown": to_markdown(rep),
            "period_start": period.start,
            "period_end": period.end,
            "callouts": sum(len(s.callouts) for s in rep.sections),
        },
        columns=cols,
        rows=rows,
        definitions=[
            Definition(
                name="rules",
                zh="提示规则见 assistant/report/rules.yaml",
                en="call-out rules: assistant/report/rules.yaml",
            )
        ],
        sql=rep.sql,
    )
