"""The three jobs as capabilities: follow_up, visit_briefing, period_review (each one answer from several tools)."""

from __future__ import annotations

import duckdb

from assistant.jobs.briefing import BriefingArgs, briefing
from assistant.jobs.follow_up import FollowUpArgs, follow_up
from assistant.jobs.review import ReviewArgs, review
from tools.base import ToolResult, register


@register(
    "follow_up",
    "跟进名单:该跟进哪些客户——超出自己下单节奏的、有未解决投诉或工单的、评分低的、变冷的大客户,每位附原因和按客户类型的建议做法",
    "Follow-up list: who to call, customers overdue against their own buying rhythm, with open complaints or tickets, "
    "low scores, or big customers gone quiet; each with the reason and the next step for its customer type",
    FollowUpArgs,
    examples=("我该跟进哪些客户", "who should I follow up"),
)
def follow_up_tool(con: duckdb.DuckDBPyConnection, args: FollowUpArgs) -> ToolResult:
    return follow_up(con, args)


@register(
    "visit_briefing",
    "拜访简报:一位客户的近期订单与产品、今年与去年同期、未解决工单、满意度、信用与逾期、RFM 分类与客户类型、谈话要点",
    "Visit briefing for one customer: recent orders and products, this year against last, open tickets, satisfaction, "
    "credit and overdue invoices, RFM class and customer type, talking points",
    BriefingArgs,
    examples=("拜访西安诚信文化传媒前帮我准备一下", "brief me before visiting C000100"),
)
def visit_briefing_tool(con: duckdb.DuckDBPyConnection, args: BriefingArgs) -> ToolResult:
    return briefing(con, args)


@register(
    "period_review",
    "经营回顾:某期间(默认本季度至今)做得怎么样——销售额、订单、成交客户与上期和去年同期比,以及变化最大的客户和大区",
    "How did we do: revenue, orders and paying customers for a period (default this quarter to date) against the "
    "previous period and the same period last year, and the largest movers",
    ReviewArgs,
    examples=("这个季度我们做得怎么样", "how did we do last month"),
)
def period_review_tool(con: duckdb.DuckDBPyConnection, args: ReviewArgs) -> ToolResult:
    return review(con, args)
