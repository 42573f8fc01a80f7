"""The understanding added for unseen questions: refusals, answer shapes and questions in several parts.

Each case is a behaviour, not a phrase from the blind sets: the questions here are written for these tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.answering.conversation import Context
from assistant.nlu.limits import refusal
from assistant.nlu.parts import split_parts
from assistant.router.router import Router
from assistant.warehouse.db import connect


@pytest.fixture(scope="module")
def router(sample_db: Path) -> Any:
    con = connect(sample_db)
    yield Router(con)
    con.close()


# (question, refused as) — requests to change data and data the warehouse lacks; None: an ordinary question.
REFUSALS = [
    ("把这家客户删掉", "read_only"),
    ("清空上个月的工单", "read_only"),
    ("把张伟客户的信用额度都改成10万", "read_only"),
    ("please delete customer C000001", "read_only"),
    ("set the credit limit of C000002 to 300000", "read_only"),
    ("drop table orders", "read_only"),
    ("add a new customer called 测试公司", "read_only"),
    ("下周北京会降温吗", "missing"),
    ("仓库里打印纸还有库存吗", "missing"),
    ("竞争对手的报价是多少", "missing"),
    ("李娜这个月提成多少", "missing"),
    ("how many employees does our biggest customer have", "missing"),
    ("改成按行业看", None),
    ("换成毛利", None),
    ("give me an update on revenue this month", None),
    ("add customer names to the list", None),
    ("why did revenue drop last quarter", None),
    ("which customers dropped off this year", None),
    ("Drop the surveys table", "read_only"),
    ("各大区的销售额", None),
    ("how did the number of buyers change from 2023 to 2024", None),  # a question about a change, not an order
    ("can you change the credit limit of C000003 to 80000", "read_only"),
    ("bump the credit limit for C000004 to 200k", "read_only"),
    ("please raise all East China prices by 5%", "read_only"),
    ("mark C000005's overdue invoices as paid", "read_only"),
    ("close ticket T000123", "read_only"),
    ("how many invoices were marked as paid late", None),
    ("how much did we cut prices by last year", None),
    ("which orders were cancelled this year", None),
    ("帮我把这家客户的信用额度调到50万", "read_only"),  # moving a value to a figure is a change (round 7)
    ("把客户按回款金额排一下", None),
]


@pytest.mark.parametrize(("question", "reason"), REFUSALS)
def test_refusals(question: str, reason: str | None) -> None:
    got = refusal(question)
    assert (got.reason if got else None) == reason


@pytest.mark.parametrize(("question", "reason"), [r for r in REFUSALS if r[1]])
def test_a_refused_question_gets_no_tool(router: Router, question: str, reason: str) -> None:
    plan = router.route(question)
    assert plan.kind == "unsupported" and plan.tool is None and plan.reason == f"refused: {reason}"


def test_a_missing_data_refusal_names_what_is_missing(router: Router) -> None:
    assert "库存" in router.route("办公耗材还有多少库存").notices[0]
    assert "weather" in router.route("will it rain in Shanghai tomorrow").notices[0]


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("上季度签了多少单,回款多少", 2),
        ("How many complaints came in this year, and which region had the most?", 2),
        ("今年各大区的销售额", 1),
        ("我负责的客户里,今年没下过单的有哪些?", 1),  # the first clause asks nothing by itself
        ("下周会下雨吗?我要出差", 1),  # the second sentence asks nothing
    ],
)
def test_split_parts(question: str, parts: int) -> None:
    assert len(split_parts(question)) == parts


def test_a_later_part_gets_the_earlier_period_and_filters(router: Router) -> None:
    first, second = router.parts("华东区上季度签了多少单?回款多少?")
    assert first.startswith("华东区上季度")
    plan = router.route(second)
    assert plan.tool == "metric_query" and plan.args["metrics"] == ["collections"]
    assert plan.args["region"] == ["华东"] and str(plan.args["start"]).endswith("-01")


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("上海有几家客户", "customer_count"),  # on record, ordered or not
        ("how many accounts are in manufacturing", "customer_count"),
        ("上海今年有多少客户下过单", "customers"),  # buyers in a period
        ("how many customers bought from us last quarter", "customers"),
    ],
)
def test_counting_customers(router: Router, question: str, metric: str) -> None:
    assert router.route(question).args["metrics"] == [metric]


def test_a_share_groups_by_the_named_value(router: Router) -> None:
    plan = router.route("今年直销渠道的销售额占总销售额的比例")
    assert plan.args["by"] == ["channel"] and plan.args["share"] is True and "channel" not in plan.args


@pytest.mark.parametrize(
    ("question", "rep", "args"),
    [
        ("上季度的订单里取消单占多少", None, {"metrics": ["cancelled_orders"], "share_of": {"metric": "orders_placed", "drop": []}}),
        ("Of last year's paid invoices, what share were paid late?", None,
         {"metrics": ["paid_late_invoices"], "share_of": {"metric": "paid_invoices", "drop": []}}),
        ("我名下的客户里今年下过单的占几成", "R002",
         {"metrics": ["customers"], "rep_id": ["R002"], "share_of": {"metric": "customer_count", "drop": []}}),
        ("我今年的业绩占华南区的百分之几", "R002",
         {"metrics": ["revenue"], "region": ["华南"], "rep_id": ["R002"], "share_of": {"metric": "revenue", "drop": ["rep_id"]}}),
        ("咨询类工单里已经解决的占多少", None,
         {"metrics": ["resolved_tickets"], "ticket_kind": ["inquiry"], "share_of": {"metric": "tickets", "drop": []}}),
        ("what share of our tickets are suggestions", None,
         {"metrics": ["tickets"], "ticket_kind": ["suggestion"], "share_of": {"metric": "tickets", "drop": ["ticket_kind"]}}),
    ],
)  # fmt: skip
def test_a_share_is_a_part_over_its_whole(router: Router, question: str, rep: str | None, args: dict[str, Any]) -> None:
    plan = router.route(question, Context(user_rep_id=rep))
    assert plan.tool == "metric_query" and {k: plan.args.get(k) for k in args} == args, plan.args


def test_a_team_is_a_filter_and_its_people_a_list(router: Router) -> None:
    plan = router.route("华东一组都有哪些人")
    assert plan.args["team"] == ["华东一组"] and plan.args["by"] == ["rep"] and "size" not in plan.args


@pytest.mark.parametrize(
    ("question", "metric", "kind"),
    [
        ("去年收到过多少条咨询", "tickets", "inquiry"),
        ("how many suggestions came in this quarter", "tickets", "suggestion"),
        ("投诉工单平均多久能解决", "avg_resolution_hours", "complaint"),
    ],
)
def test_a_kind_of_ticket_filters_the_ticket_measure(router: Router, question: str, metric: str, kind: str) -> None:
    plan = router.route(question)
    assert plan.args["metrics"][0] == metric and plan.args["ticket_kind"] == [kind], plan.args


def test_a_later_part_about_the_same_tickets_keeps_their_kind(router: Router) -> None:
    later = router.parts("上个月收到多少投诉,已经解决了几个")[1]
    plan = router.route(later)
    assert plan.args["metrics"] == ["resolved_tickets"] and plan.args["ticket_kind"] == ["complaint"]


def test_a_later_part_asks_another_quantity_or_a_kind_of_the_same_things(router: Router) -> None:
    # "what do they add up to": the amount of the same unpaid invoices, still judged now
    later = router.parts("How many invoices issued last year are still unpaid, and what do they add up to?")[1]
    plan = router.route(later)
    assert plan.args["metrics"] == ["unpaid_amount"] and plan.args.get("judged_now") is True, plan.args
    # "how many of those were about X": the earlier measure, narrowed to the kind named
    later = router.parts("How many complaints did we get last quarter, and how many of those were about 产品质量?")[1]
    plan = router.route(later)
    assert plan.args["metrics"] == ["complaints"] and plan.args.get("issue_category") == ["产品质量"], plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("上个月有哪些客户满意度打了1分", {"survey_score": ["csat=1"], "metrics": ["survey_responses"], "by": ["customer"]}),
        ("推荐意愿打0分的客户有多少家", {"survey_score": ["nps=0"], "metrics": ["surveyed_customers"]}),
        ("费力度打6分及以上的问卷占比多少",
         {"survey_score": ["ces>=6"], "share_of": {"metric": "survey_responses", "drop": ["survey_score"]}}),
    ],
)  # fmt: skip
def test_a_survey_score_is_a_filter_on_responses(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("西南一组有几个人", {"metrics": ["rep_count"], "team": ["西南一组"], "by": []}),
        ("how many salespeople do we have in North China", {"metrics": ["rep_count"], "region": ["华北"], "by": []}),
        ("西北区是哪几个销售在负责", {"region": ["西北"], "by": ["rep"]}),
    ],
)
def test_salespeople_counted_or_listed(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


def test_of_them_after_a_count_of_reps_is_one_of_the_reps(router: Router) -> None:
    later = router.parts("华北有几个销售,其中谁的客户最多")[1]
    assert router.route(later).args["by"] == ["rep"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("which accounts still have an inquiry that hasn't been resolved", ["inquiry"]),
        ("哪些客户还有没处理完的工单", None),
    ],
)
def test_customers_having_open_tickets_are_listed(router: Router, question: str, kind: list[str] | None) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query" and plan.args["by"] == ["customer"] and plan.args.get("ticket_kind") == kind
    assert plan.args["having"] == [{"metric": "open_tickets", "op": ">", "value": 0}]


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("今年上门拜访过客户多少次", {"metrics": ["contacts"], "contact_channel": ["上门拜访"]}),
        ("上个月用微信联系了客户几次", {"metrics": ["contacts"], "contact_channel": ["微信"]}),
        ("今年电话渠道的订单数", {"metrics": ["orders"], "channel": ["电话"], "contact_channel": None}),
        ("客服部去年联系了客户多少次", {"metrics": ["contacts"], "department": ["客服部"]}),
    ],
)
def test_contacts_by_how_they_were_made(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


def test_an_english_sentence_whose_period_comes_last_is_about_it_throughout(router: Router) -> None:
    first, second = router.parts("How many orders and how many returns did we have last quarter?")
    assert router.route(first).args["start"] == router.route(second).args["start"]
    # two clauses said apart keep their own scope: the first part counts every customer on record
    first, _ = router.parts("How many customers do we have, and how many complaints came in last year?")
    assert "start" not in router.route(first).args


@pytest.mark.parametrize(
    ("question", "metrics", "cohort"),
    [
        ("去年新客户带来的毛利是多少", ["gross_profit"], ["new"]),
        ("what was the gross profit from new accounts last quarter", ["gross_profit"], ["new"]),
        ("去年的新客户有多少家", ["new_customers"], None),
    ],
)
def test_the_new_customers_are_whose_measure(router: Router, question: str, metrics: list[str], cohort: Any) -> None:
    plan = router.route(question)
    assert plan.args["metrics"] == metrics and plan.args.get("cohort") == cohort, plan.args


def test_the_top_rows_share_together(router: Router) -> None:
    plan = router.route("去年前五大客户一共占了销售额的多少")
    assert plan.args["by"] == ["customer"] and plan.args["top"] == 5 and plan.args["share"] is True


def test_a_share_within_a_filter_keeps_the_filter(router: Router) -> None:
    plan = router.route("华东今年的销售额里上海占多少")
    assert plan.args["region"] == ["华东"] and plan.args["by"] == ["city"] and plan.args["share"] is True


@pytest.mark.parametrize(
    ("question", "by", "top"),
    [
        ("华南今年的前三大客户", ["customer"], 3),
        ("上个月谁是销冠", ["rep"], 1),
        ("去年哪个月的订单最多", ["month"], 1),
    ],
)
def test_rankings_and_winners(router: Router, question: str, by: list[str], top: int) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query" and plan.args["by"] == by and plan.args.get("top") == top


def test_a_list_of_customers_lists_every_customer_on_record(router: Router) -> None:
    plan = router.route("华北的大型企业客户都有谁")
    assert plan.args["by"] == ["customer"] and "customer_count" in plan.args["metrics"]
    assert plan.args["region"] == ["华北"] and plan.args["size"] == ["大型"]


def test_an_analysis_keeps_its_own_list(router: Router) -> None:
    assert router.route("哪些客户在亏钱").tool == "profitability"


def test_a_comparison_without_a_measure_compares_revenue(router: Router) -> None:
    plan = router.route("这个月生意比上个月好点没", Context())
    # this month to date beside the whole of last month (the unit as named; the answer says how to ask for the
    # same days)
    assert plan.args["metrics"] == ["revenue"] and plan.args["by"] == ["month"]
    assert plan.args["start"].isoformat() == "2026-09-01"


def test_why_it_changed_compares_the_same_calendar_unit(router: Router) -> None:
    plan = router.route("为什么本季度华东销售额下滑了")
    assert plan.tool == "change_drivers" and plan.args["period_grain"] == "quarter"
    assert plan.args["region"] == ["华东"]


@pytest.mark.parametrize(
    ("question", "sort_by", "order", "compare"),
    [
        ("上季度哪个大区增长最快", "revenue_change_pct", "desc", "previous_period"),
        ("今年跟去年同期比哪个行业涨得最猛", "revenue_change_pct", "desc", "same_period_last_year"),
        ("which category's revenue dropped the most last quarter", "revenue_change_pct", "asc", "previous_period"),
        ("哪个城市销售额增加最多", "revenue_change", "desc", "previous_period"),
    ],
)
def test_growth_is_ranked_by_the_change(router: Router, question: str, sort_by: str, order: str, compare: str) -> None:
    args = router.route(question).args
    assert (args["sort_by"], args["order"], args["compare"]) == (sort_by, order, compare)


@pytest.mark.parametrize(
    ("question", "by"), [("哪个销售名下的客户最多", ["rep"]), ("which industry has the most customers", ["industry"])]
)
def test_most_customers_counts_customers(router: Router, question: str, by: list[str]) -> None:
    args = router.route(question).args
    assert args["metrics"] == ["customer_count"] and args["by"] == by and args["top"] == 1


def test_customers_with_no_orders_in_a_period(router: Router) -> None:
    args = router.route("华东今年一单都没下的客户有哪些").args
    assert args["having"] == [{"metric": "revenue", "op": "=", "value": 0}]
    assert args["by"] == ["customer"] and "customer_count" in args["metrics"] and args["region"] == ["华东"]


def test_active_customers_in_a_period_are_its_buyers(router: Router) -> None:
    assert router.route("去年有多少活跃客户").args["metrics"] == ["customers"]
    assert router.route("现在有多少活跃客户").args["metrics"] == ["active_customers"]


def test_each_period_of_a_unit(router: Router) -> None:
    assert router.route("去年每个季度的订单数分别是多少").args["by"] == ["quarter"]


def test_an_elliptical_part_turns_the_earlier_ranking(router: Router) -> None:
    first, second = router.parts("今年哪个大区的订单最多,哪个最少")
    plan = router.route(first)
    turned = router.elliptical(second, plan)
    assert turned is not None and turned.args["by"] == ["region"] and turned.args["order"] == "asc"
    assert turned.args["metrics"] == plan.args["metrics"]


def test_why_a_figure_changed_is_answered_from_the_data(router: Router) -> None:
    assert router.route("为什么销售额下降了").tool == "change_drivers"
    assert router.route("why did revenue drop").tool == "change_drivers"
    assert router.route("为什么要做RFM分析").kind == "explain"  # why a method matters: the documents


@pytest.mark.parametrize(
    ("question", "region"), [("revenue in North China this year", "华北"), ("orders in south china", "华南")]
)
def test_english_region_names_are_kept_as_filters(router: Router, question: str, region: str) -> None:
    assert router.route(question).args["region"] == [region]  # "North" is a name, not a typo of "worth"


def test_a_later_part_with_only_a_grouping_takes_the_earlier_measure(router: Router) -> None:
    _first, second = router.parts("今年投诉了多少次,哪个部门最多")
    plan = router.route(second)
    assert plan.args["metrics"] == ["complaints"] and plan.args["by"] == ["department"] and plan.args["top"] == 1
    # an earlier part answered by an analysis lends the measure its own words named ("of them": the open tickets)
    plan = router.route(router.parts("How many tickets are still open, and which department has the most of them?")[1])
    assert plan.args["metrics"] == ["open_tickets"] and plan.args["by"] == ["department"]


def test_every_cue_in_the_table_is_used() -> None:
    from assistant.nlu.cues import CUES

    source = (Path(__file__).parents[2] / "assistant" / "router" / "router.py").read_text(encoding="utf-8")
    assert [k for k in CUES if f'CUES["{k}"]' not in source] == []


def test_a_question_whose_first_part_is_refused_is_refused_whole(router: Router) -> None:
    assert router.parts("明天上海会下雨吗?适合去拜访客户吗") == ["明天上海会下雨吗?适合去拜访客户吗"]
    assert router.route("把客户负责人的手机号发我").kind == "unsupported"
    assert router.route("把取消的订单都清掉").reason == "refused: read_only"


# (question, metrics): measures read from their parts, worded as no synonym list has them
MEASURE_CASES = [
    ("上季度还欠着没付、已经过了到期日的钱有多少", ["overdue_amount"]),
    ("how many invoices were still unpaid past their due date at the end of last quarter", ["overdue_open_invoices"]),
    ("去年被退回来的货值多少钱", ["returned_amount"]),
    ("今年头一回下单的客户有多少家", ["new_customers"]),
    ("客户满意度问卷今年有多少人次打了9分以上", ["promoters"]),
]


@pytest.mark.parametrize(("question", "metrics"), MEASURE_CASES)
def test_measures_read_from_their_parts(router: Router, question: str, metrics: list[str]) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query" and plan.args["metrics"] == metrics, plan


# (question, start, end, by): a running unit against the whole unit before it, side by side
WHOLE_UNIT_CASES = [
    ("今年的订单数比去年多还是少", "2025-01-01", "2026-10-30", ["year"]),
    ("gross profit this year compared with 2025", "2025-01-01", "2026-10-30", ["year"]),
    ("这个月到目前的回款跟上个月比怎么样", "2026-09-01", "2026-10-30", ["month"]),
]


@pytest.mark.parametrize(("question", "start", "end", "by"), WHOLE_UNIT_CASES)
def test_a_running_unit_is_shown_beside_the_whole_one_before(
    router: Router, question: str, start: str, end: str, by: list[str]
) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query", plan
    assert (plan.args["start"].isoformat(), plan.args["end"].isoformat(), plan.args["by"]) == (start, end, by)
    assert "compare" not in plan.args or plan.args["compare"] == "none"
    assert any("同期" in n or "same period" in n for n in plan.notices)  # says how to ask like for like


@pytest.mark.parametrize(
    ("question", "compare", "start", "end"),
    [
        ("今年订单数和去年同期比", "same_period_last_year", "2026-01-01", "2026-10-30"),  # like for like, asked
        ("revenue year over year this year", "same_period_last_year", "2026-01-01", "2026-10-30"),
        ("去年前三季度的毛利和前年前三季度比", "same_period_last_year", "2025-01-01", "2025-09-30"),  # both whole
        ("how did revenue in Q3 compare with Q3 last year", "same_period_last_year", "2026-07-01", "2026-09-30"),
        ("上个月的工单跟再前一个月比", "previous_period", "2026-09-01", "2026-09-30"),
    ],
)
def test_named_and_like_for_like_comparisons(router: Router, question: str, compare: str, start: str, end: str) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query", plan
    assert plan.args.get("compare") == compare, plan.args
    assert (plan.args["start"].isoformat(), plan.args["end"].isoformat()) == (start, end)


# (question, having): conditions on a measure, before or after the amount, inclusive or not
CONDITION_CASES = [
    ("授信额度在20万及以上的客户", {"metric": "credit_limit", "op": ">=", "value": 200000.0}),
    ("customers with a credit limit of 50,000 or more", {"metric": "credit_limit", "op": ">=", "value": 50000.0}),
    ("今年销售额5万以下的客户", {"metric": "revenue", "op": "<", "value": 50000.0}),
    ("销售额不低于8万的客户有哪些", {"metric": "revenue", "op": ">=", "value": 80000.0}),
    ("accounts with revenue of at most 20000 this year", {"metric": "revenue", "op": "<=", "value": 20000.0}),
    ("毛利超过3万的客户", {"metric": "gross_profit", "op": ">", "value": 30000.0}),
]


@pytest.mark.parametrize(("question", "having"), CONDITION_CASES)
def test_conditions_on_a_measure(router: Router, question: str, having: dict[str, Any]) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query" and plan.args["having"] == [having], plan.args
    assert plan.args["by"] == ["customer"]


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("Which of our Shanghai accounts are small businesses?", {"city": ["上海"], "size": ["小型"]}),
        ("what manufacturing-sector customers do we have in East China", {"industry": ["制造业"], "region": ["华东"]}),
        ("杭州有那些客户", {"city": ["杭州"]}),
    ],
)
def test_which_customers_lists_them_with_every_filter(router: Router, question: str, filters: dict[str, Any]) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query" and plan.args["by"] == ["customer"], plan.args
    for key, value in filters.items():
        assert plan.args.get(key) == value, (key, plan.args)


def test_a_breakdown_word_still_groups_when_asked(router: Router) -> None:
    plan = router.route("华东区按行业看销售额")
    assert plan.args["by"] == ["industry"] and plan.args["region"] == ["华东"]


def test_an_amount_asked_of_a_filtered_scope_is_revenue(router: Router) -> None:
    plan = router.route("上个月线上渠道走了多少货款")
    assert plan.tool == "metric_query" and plan.args["metrics"] == ["revenue"] and plan.args["channel"]


def _second(router: Router, question: str) -> Any:
    parts = router.parts(question)
    assert len(parts) == 2, parts
    return router.route(parts[1])


def test_a_part_that_asks_again_takes_the_earlier_measure_and_scope(router: Router) -> None:
    plan = _second(router, "西南区上季度毛利多少?这个季度到现在呢?")
    assert plan.args["metrics"] == ["gross_profit"] and plan.args["region"] == ["西南"]
    assert plan.args["start"].isoformat() == "2026-10-01"


def test_a_part_with_its_own_subject_keeps_it(router: Router) -> None:
    # the size filter of the first part is not the second's: it names its own customers
    plan = _second(router, "How many of my accounts are in retail, and which of my accounts spent the most this year?")
    assert "industry" not in plan.args and plan.args["by"] == ["customer"]


@pytest.mark.parametrize(
    "question",
    [
        "上海的客户今年买了多少?其中大型企业有哪些?",
        "How much did Shanghai customers buy this year, and which of them are large?",
    ],
)
def test_among_them_keeps_the_earlier_scope(router: Router, question: str) -> None:
    plan = _second(router, question)
    assert plan.args.get("city") == ["上海"], plan.args


def test_a_part_about_this_customer_keeps_the_customer(router: Router) -> None:
    row = router.con.execute("SELECT name FROM customers WHERE size <> '个人' ORDER BY customer_id LIMIT 1").fetchone()
    customer = row[0]
    plan = _second(router, f"{customer}去年买了多少?这个客户归哪个销售管?")
    assert plan.args.get("customer_ids"), plan.args


def test_a_part_naming_its_own_quantity_is_not_given_the_earlier_measure(router: Router) -> None:
    plan = _second(router, "我手上有几个客户?今年一共成交了多少钱?")
    assert plan.args["metrics"] == ["revenue"]


@pytest.mark.parametrize("question", ["我一共有几个客户", "how many customers do I have", "我负责多少家客户"])
def test_mine_said_with_a_verb(router: Router, question: str) -> None:
    assert router.read(question, Context(user_rep_id="R001")).cues["mine"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("question", "metrics", "by"),
    [
        ("我手上今年买得最多的客户是哪个", ["revenue"], ["customer"]),  # customers are ranked by what they bought
        ("哪个销售手上的客户最多", ["customer_count"], ["rep"]),  # reps by how many customers they have
        ("Which marketing channel had the biggest budget in 2025?", ["marketing_spend"], ["acquisition_channel"]),
        ("每个销售团队今年的业绩", ["revenue"], ["team"]),  # a compound is its head: a team, not a rep
        ("大型企业占我们客户总数的比例", ["customer_count"], ["size"]),  # a share of the whole, by the named value
    ],
)
def test_the_measure_fits_the_subject(router: Router, question: str, metrics: list[str], by: list[str]) -> None:
    plan = router.route(question)
    assert plan.tool == "metric_query", plan
    assert (plan.args["metrics"], plan.args["by"]) == (metrics, by), plan.args


def test_spend_on_a_channel_is_marketing_spend_on_it(router: Router) -> None:
    plan = router.route("How much did we spend on trade shows last year?")
    assert plan.args["metrics"] == ["marketing_spend"] and plan.args["acquisition_channel"] == ["展会"]


@pytest.mark.parametrize(
    ("question", "tool"),
    [
        ("我该跟进哪些客户", "follow_up"),
        ("这周该给谁打电话", "follow_up"),  # "电话" is an order channel, but here part of the job's phrase
        ("上个月跟进了几次客户", "metric_query"),  # past contacts are a count
    ],
)
def test_the_follow_up_job_and_past_contacts(router: Router, question: str, tool: str) -> None:
    assert router.route(question).tool == tool


def test_a_name_inside_an_analysis_phrase_is_not_a_filter(router: Router) -> None:
    plan = router.route("这周该给谁打电话")
    assert "channel" not in plan.args


@pytest.mark.parametrize("question", ["什么是RFM,怎么计算?", "what is churn rate and how is it computed?"])
def test_two_sides_of_one_concept_stay_one_question(router: Router, question: str) -> None:
    assert router.parts(question) == [question]


def test_a_named_product_is_a_filter_and_its_buyers_are_listed(router: Router) -> None:
    pid, name = router.con.execute("SELECT product_id, name FROM products ORDER BY product_id LIMIT 1").fetchone()
    plan = router.route(f"{name}今年卖了多少钱")
    assert plan.args["product"] == [pid] and plan.args["metrics"] == ["revenue"]
    plan = router.route(f"哪些客户买过{name}")
    assert plan.args["product"] == [pid] and plan.args["by"] == ["customer"]
    assert plan.args["metrics"] == ["revenue"]  # the buyers, not every customer on record


@pytest.mark.parametrize(
    ("question", "tool", "metrics"),
    [
        ("For a lesson on retention: how many orders did we get last month?", "metric_query", ["orders"]),
        ("给学员做个练习:去年华东区的毛利是多少?", "metric_query", ["gross_profit"]),
        ("RFM: 什么意思", None, None),  # no framing: a concept named before the colon
    ],
)
def test_a_trainers_framing_before_the_colon(router: Router, question: str, tool: str | None, metrics: Any) -> None:
    plan = router.route(question)
    if tool is None:
        assert plan.kind == "explain"
    else:
        assert plan.tool == tool and plan.args["metrics"] == metrics, plan.args


@pytest.mark.parametrize(
    ("question", "by", "start"),
    [
        ("我们一共有多少款产品", [], None),
        ("去年以来上市的新品都有哪些", ["product"], "2025-01-01"),
        ("what products did we launch from 2024 onwards?", ["product"], "2024-01-01"),
    ],
)
def test_the_product_catalogue(router: Router, question: str, by: list[str], start: str | None) -> None:
    plan = router.route(question)
    # counted when asked how many, listed with their list prices when asked which
    assert plan.args["metrics"] == (["list_price"] if by else ["product_count"]) and plan.args["by"] == by, plan.args
    assert (plan.args["start"].isoformat() if "start" in plan.args else None) == start


@pytest.mark.parametrize(
    ("question", "metrics", "by", "top"),
    [
        ("今年哪三个城市的销售额最高", ["revenue"], ["city"], 3),  # "哪三个": a ranking of three
        ("which two regions had the most orders last month", ["orders"], ["region"], 2),
        ("今年哪个产品最赚钱", ["gross_profit"], ["product"], 1),
        ("我的客户里谁下单最频繁", ["orders"], ["customer"], 1),
        ("今年工单最多的是哪个渠道", ["tickets"], ["channel"], 1),  # the tickets' own channel
    ],
)
def test_rankings_said_in_other_words(
    router: Router, question: str, metrics: list[str], by: list[str], top: int
) -> None:
    plan = router.route(question)
    assert (plan.args.get("metrics"), plan.args.get("by"), plan.args.get("top")) == (metrics, by, top), plan.args


def test_a_count_of_concepts_is_no_ranking(router: Router) -> None:
    assert router.route("客户分析包括哪六个方面").kind == "explain"


def test_the_total_of_a_measure_an_analysis_also_names(router: Router) -> None:
    plan = router.route("华东区客户的授信额度一共多少")
    assert plan.tool == "metric_query" and plan.args["metrics"] == ["credit_limit"]


def test_my_figures_said_without_my_customers(router: Router) -> None:
    plan = router.route("我上季度的业绩怎么样", Context(user_rep_id="R001"))
    assert plan.args.get("rep_id") == ["R001"]


def test_how_do_i_is_not_my_customers(router: Router) -> None:
    assert not router.read("how do I win back lost customers", Context()).cues["mine"]  # type: ignore[union-attr]


def test_a_named_department_filters_tickets_and_contacts(router: Router) -> None:
    dept = router.con.execute("SELECT department FROM tickets ORDER BY department LIMIT 1").fetchone()[0]
    plan = router.route(f"今年{dept}接了多少张工单")
    assert plan.args["department"] == [dept] and plan.args["metrics"] == ["tickets"]


def test_a_later_part_about_the_earlier_winner_is_asked_about_it_by_name(router: Router) -> None:
    first, second = router.parts("Which region had the most orders last year, and how much revenue did it bring in?")
    plan = router.route(first)
    assert plan.args["by"] == ["region"] and plan.args["top"] == 1
    named = router.elliptical(second, plan)
    assert named is not None and named.args["metrics"] == ["revenue"] and len(named.args["region"]) == 1
    # a later part that does not point back is read by itself
    first, second = router.parts("今年哪个大区的订单最多,哪个最少")
    assert router.elliptical(second, router.route(first)).args["order"] == "asc"


def test_a_later_half_or_quarter_without_a_year_is_in_the_earlier_parts_year(router: Router) -> None:
    first, second = router.parts("去年二季度下了多少单?三季度呢?")
    assert router.route(first).args["start"].year == router.route(second).args["start"].year == router.ref.year - 1


def test_what_one_named_customer_is_answered_by_their_profile(router: Router) -> None:
    name = router.con.execute(
        "SELECT name FROM customers WHERE size <> '个人' AND name LIKE '%有限公司' LIMIT 1"
    ).fetchone()
    if name is None:
        pytest.skip("no company customer in the sample")
    assert router.route(f"{name[0]}是做什么行业的").tool == "customer_profile"


def test_a_later_part_asking_another_quantity_of_the_same_things(router: Router) -> None:
    # the earlier part's qualifiers and object, the later part's quantity
    _first, second = router.parts("逾期发票有多少张,涉及金额多少?")
    # round 7: the amount of the invoices the first part counts (paid late too), as the contract defines them
    assert router.route(second).args["metrics"] == ["overdue_invoice_amount"]
    _first, second = router.parts("有几家客户逾期没付款,加起来欠多少?")
    assert router.route(second).args["metrics"] == ["overdue_amount"]


@pytest.mark.parametrize("question", ["北京有几家大型企业客户", "华东有多少家制造业客户", "今年下过单的有几家?"])
def test_customers_counted_with_a_filter_between_the_count_and_the_noun(router: Router, question: str) -> None:
    assert router.route(question).args["metrics"][0] in ("customer_count", "customers")


@pytest.mark.parametrize(
    "question",
    [
        "How many hours did each rep spend in the office last week?",
        "What margin do distributors make when they resell?",
    ],
)
def test_english_questions_about_data_the_warehouse_lacks(router: Router, question: str) -> None:
    assert router.route(question).kind == "unsupported"


def test_a_verb_of_selling_is_no_analysis_of_drivers(router: Router) -> None:
    assert router.route("Which sales channel drove the most revenue last quarter?").tool == "metric_query"
    assert router.route("What drove the drop in revenue last quarter?").tool == "change_drivers"


def test_which_ones_ranked_are_not_a_count(router: Router) -> None:
    plan = router.route("华东区今年哪几款产品最好卖?前三")
    assert plan.args["metrics"] == ["revenue"] and plan.args["by"] == ["product"] and plan.args["top"] == 3
    assert router.route("今年卖了几款产品").args["metrics"] == ["product_count"]


def test_a_judgement_after_a_figure_is_a_part_of_its_own() -> None:
    assert split_parts("前十大客户今年占了多少销售额?会不会太依赖他们") == [
        "前十大客户今年占了多少销售额",
        "会不会太依赖他们",
    ]


@pytest.mark.parametrize(
    "question", ["Number of tickets that came in via WeChat in September?", "9月通过微信进来的工单有多少"]
)
def test_the_way_a_ticket_came_in_filters_tickets(router: Router, question: str) -> None:
    assert router.route(question).args["contact_channel"] == ["微信"]


def test_kinds_of_the_subject_ranked(router: Router) -> None:
    plan = router.route("客户都在投诉啥?投诉最多的前三类")
    assert plan.args["by"] == ["issue_category"] and plan.args["top"] == 3
    assert router.route("按毛利给产品品类排个序").args["by"] == ["category"]


def test_what_a_ticket_is_about_filters_tickets_only(router: Router) -> None:
    assert router.route("今年关于物流配送的客诉有多少起").args["issue_category"] == ["物流配送"]
    assert "issue_category" not in router.route("物流行业的客户今年销售额").args


def test_ranked_by_growth_in_english(router: Router) -> None:
    plan = router.route("Q3 vs Q2: rank the regions by percentage revenue growth, fastest first")
    assert plan.args["sort_by"] == "revenue_change_pct"


# ---- round 6 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "Which of my accounts bought nothing last month?",
        "which customers didn't buy anything in Q2",
        "list the accounts that haven't ordered this year",
    ],
)
def test_english_negations_of_buying_list_customers_with_no_orders(router: Router, question: str) -> None:
    plan = router.route(question, Context(user_rep_id="R003"))
    assert plan.args["by"] == ["customer"], plan.args
    assert plan.args["having"] == [{"metric": "revenue", "op": "=", "value": 0}]


def test_nothing_bought_in_the_last_n_days_is_a_window_not_recency(router: Router) -> None:
    # in the window: customers on record with no order in it (those who never bought count too)
    plan = router.route(
        "how many of my customers have not bought anything in the past 60 days", Context(user_rep_id="R003")
    )
    assert plan.args["having"] == [{"metric": "revenue", "op": "=", "value": 0}] and "start" in plan.args
    assert plan.args["limit"] >= 10_000  # a count is the number of rows, all of them
    # recency: days since the last order, past buyers only
    plan = router.route("超过60天没下单的客户有几家")
    assert plan.args["having"] == [{"metric": "days_since_last_order", "op": ">", "value": 60}]


def test_last_n_days_is_no_bottom_n(router: Router) -> None:
    plan = router.route("how many accounts haven't bought anything in the last 90 days")
    assert "top" not in plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("What's the combined credit limit of our customers in South China?",
         {"metrics": ["credit_limit"], "region": ["华南"], "by": []}),
        ("Which region had the thinnest gross margin last year?", {"by": ["region"], "top": 1, "order": "asc"}),
        ("which product line is the cheapest on average", {"order": "asc"}),
    ],
)  # fmt: skip
def test_totals_and_the_low_end_said_in_other_words(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("which account has the most unpaid invoices", "unpaid_invoices"),  # the most of a plural thing: a count
        ("which region has the most overdue invoices", "overdue_invoices"),
        ("已经过了到期日还没付钱的发票有几张", "overdue_open_invoices"),  # 几张 asks; 钱 is what was not paid
        ("过期没付的发票一共多少钱", "overdue_amount"),
        ("which account owes us the most", "unpaid_amount"),
    ],
)
def test_the_quantity_asked_for_decides_the_measure(router: Router, question: str, metric: str) -> None:
    assert router.route(question).args["metrics"][0] == metric


def test_a_later_part_with_the_same_measure_is_the_earlier_ranking_turned(router: Router) -> None:
    first, second = router.parts("Which city sold the most last year, and which sold the least?")
    previous = router.route(first)
    plan = router.elliptical(second, previous)
    assert plan is not None and plan.args["by"] == ["city"] and plan.args["order"] == "asc"


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("Which city added the most revenue from Q1 to Q2 2026?", {"sort_by": "revenue_change", "by": ["city"]}),
        ("中型客户贡献了去年销售额的百分之几", {"share": True, "by": ["size"]}),
        ("上个月的订单数比再往前一个月多了还是少了", {"compare": "previous_period"}),
        ("Show me our accounts in the education industry", {"by": ["customer"], "industry": ["教育"]}),
        ("举个信用分析的例子:今年哪个大区销售额最高", {"by": ["region"], "top": 1}),  # the framing is set aside
    ],
)  # fmt: skip
def test_shapes_said_in_other_words(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        # a share is the shape: orders and a rate are not the gross margin
        ("What share of our revenue came from store orders in 2025?", {"by": ["channel"], "share": True}),
        # spending verbs carry the condition of the measure they are read as
        ("Which accounts spent more than 200k last year?",
         {"having": [{"metric": "revenue", "op": ">", "value": 200_000.0}]}),
        # occurrences in words are numbers
        ("which customers complained more than twice last year",
         {"having": [{"metric": "complaints", "op": ">", "value": 2.0}]}),
        # "at least" bounds a condition; it is not the low end of a ranking
        ("which accounts bought at least 100k this year", {"order": None}),
        # growth with no measure named is growth of revenue
        ("Which city grew fastest last quarter?", {"metrics": ["revenue"], "by": ["city"], "sort_by": "revenue_change_pct"}),
    ],
)  # fmt: skip
def test_english_conditions_and_shapes(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "filters"),
    [
        ("How many tickets did the logistics department get last quarter?", {"department": ["物流部"]}),
        ("how many complaints about logistics came in this year", {"issue_category": ["物流配送"]}),
        ("how many complaints did logistics customers file this year", {"industry": ["物流运输"]}),
        ("how much did logistics customers buy last year", {"industry": ["物流运输"]}),
        ("how many payment reminders did we send last month", {"contact_purpose": ["催款"]}),
    ],
)
def test_english_names_of_departments_topics_and_purposes(
    router: Router, question: str, filters: dict[str, list[str]]
) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in filters} == filters, plan.args


def test_the_acquisition_channel_brought_customers_in(router: Router) -> None:
    # "brought" is a word of its own, not a typo of "bought"
    plan = router.route("Which channel brought in the most new customers in 2025?")
    assert plan.args["by"] == ["acquisition_channel"]


def test_a_share_of_revenue_from_orders_is_no_gross_margin(router: Router) -> None:
    plan = router.route("What share of our revenue came from store orders in 2025?")
    assert plan.args["metrics"][0] == "revenue" and "gross_margin" not in plan.args["metrics"]


@pytest.mark.parametrize(
    ("question", "args"),
    [
        ("Name the three cities with the highest average order value", {"by": ["city"], "top": 3}),
        ("What was revenue in each industry last month?", {"by": ["industry"]}),  # the month is the period
        ("How many inquiries came in by email last quarter?", {"metrics": ["tickets"], "ticket_kind": ["inquiry"]}),
    ],
)
def test_counts_of_subjects_and_each(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        # the speed of an act is its duration, ranked by the metric layer; slowest first, or quickest first
        ("Which region is slowest to resolve complaints?",
         {"metrics": ["avg_resolution_hours"], "by": ["region"], "ticket_kind": ["complaint"], "order": None}),
        ("which department takes the longest to resolve tickets", {"metrics": ["avg_resolution_hours"], "by": ["department"]}),
        ("哪个部门处理投诉最快", {"metrics": ["avg_resolution_hours"], "order": "asc"}),
        # a purpose said around its count ("催了几次款") still filters contacts
        ("销售部上个月催了几次款", {"metrics": ["contacts"], "contact_purpose": ["催款"], "department": ["销售部"]}),
        # "多少客户" counts customers: with a repeat qualifier, the repeat buyers
        ("去年有多少客户买过两次以上", {"metrics": ["repeat_customers"]}),
    ],
)  # fmt: skip
def test_durations_purposes_and_counts_of_customers(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


def test_customers_who_never_did_something_are_among_those_on_record(router: Router) -> None:
    plan = router.route("Which of my customers have never complained?", Context(user_rep_id="R003"))
    assert plan.args["having"] == [{"metric": "complaints", "op": "=", "value": 0}]
    assert "customer_count" in plan.args["metrics"] and plan.args["by"] == ["customer"]


def test_not_having_paid_is_unpaid(router: Router) -> None:
    plan = router.route("which customers haven't paid their invoices yet")
    assert plan.args["metrics"][0] == "unpaid_amount" and plan.args["by"] == ["customer"]


def test_a_named_customer_last_year_and_this_year_is_each_whole_year(router: Router) -> None:
    name = router.con.execute("SELECT name FROM customers ORDER BY customer_id LIMIT 1").fetchone()[0]
    plan = router.route(f"{name}去年和今年分别买了多少")
    # the whole of last year beside this year to date; one customer is a filter, not a grouping
    assert plan.args["by"] == ["year"] and len(plan.args["customer_ids"]) == 1
    assert str(plan.args["start"]).endswith("-01-01") and "compare" not in plan.args


@pytest.mark.parametrize(
    ("question", "args"),
    [
        # what is left out names no measure
        ("how many orders did we get last month, not counting returned ones", {"metrics": ["orders"]}),
        ("上个月的销售额(不含退货)", {"metrics": ["revenue"]}),
        # and no filter: the value left out is a row among the others
        ("除了华南,其他大区去年的销售额", {"by": ["region"], "region": None}),
    ],
)
def test_what_a_question_leaves_out(router: Router, question: str, args: dict[str, Any]) -> None:
    plan = router.route(question)
    assert {k: plan.args.get(k) for k in args} == args, plan.args


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("how many complaints did we close last quarter", "resolved_tickets"),
        ("how many tickets got closed in August", "resolved_tickets"),
        ("how many deals did we close last quarter", "orders"),  # closing a deal is an order, not a ticket
        ("how much revenue did we close in Q2", "revenue"),
    ],
)
def test_closing_is_said_of_tickets_only(router: Router, question: str, metric: str) -> None:
    assert router.route(question).args["metrics"][0] == metric


@pytest.mark.parametrize(
    ("question", "kind", "by"),
    [
        ("Which hour of the day do we get the most orders?", "clarify", None),  # no such grouping: no total either
        ("which promotion worked best last quarter", "clarify", None),
        ("我的客户里谁还欠着款没付", "tool", ["customer"]),  # who, among customers: the customers
        ("哪个城市今年卖得最多", "tool", ["city"]),
    ],
)
def test_a_question_that_asks_which_gets_no_total(
    router: Router, question: str, kind: str, by: list[str] | None
) -> None:
    plan = router.route(question, Context(user_rep_id="R003"))
    assert plan.kind == kind and (by is None or plan.args["by"] == by), (plan.kind, plan.args)


def test_one_english_sentence_names_its_filter_and_period_once_for_both_halves(router: Router) -> None:
    first, second = router.parts("How many orders and how much revenue did North China bring in last month?")
    for part in (first, second):
        plan = router.route(part)
        assert plan.args["region"] == ["华北"] and str(plan.args["start"]).endswith("-01"), (part, plan.args)


def test_contacting_customers_counts_contacts(router: Router) -> None:
    assert router.route("How often did we contact customers last month?").args["metrics"] == ["contacts"]


# ---- lead engineer, after round 6: found by the clarification catalogue (assistant/nlu/readings.yaml) --------
@pytest.mark.parametrize(
    ("question", "tool", "args"),
    [
        # an analysis phrase holding a metric word ("bought" in "bought together") still names the analysis
        ("which categories are bought together?", "cross_sell", {}),
        # …unless the question asks a time breakdown the analysis has no room for
        ("我的客户今年每个月的业绩怎么样", "metric_query", {"by": ["month"]}),
        # a superlative before 是什么 asks for data, not a definition
        ("客户最近投诉最多的是什么", "attention", {"dimension": "category"}),
        ("which customers should I follow up this week?", "follow_up", {}),
        # any "top N%" of customers is the concentration at that share, not N rows
        ("前15%的客户占多少收入", "tiers", {"view": "pareto", "pareto_top_share": 0.15}),
        ("what share of revenue comes from the top 10% of customers?", "tiers", {"pareto_top_share": 0.1}),
        ("top 10 customers by revenue", "metric_query", {"top": 10}),
        # "came from" a sales channel named is that channel's share, not a breakdown by acquisition channel
        ("what share of revenue came from the online channel this year?", "metric_query", {"by": ["channel"]}),
        ("revenue from customers who came from trade shows", "metric_query", {"acquisition_channel": ["展会"]}),
    ],
)
def test_phrases_that_hold_other_words(router: Router, question: str, tool: str, args: dict[str, Any]) -> None:
    plan = router.route(question, Context(user_rep_id="R003"))
    assert plan.tool == tool and all(plan.args.get(k) == v for k, v in args.items()), (plan.tool, plan.args)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("how many loyal, potential, marginal and lost customers do we have?", 1),  # a list of words, one question
        ("what is our NPS, CSAT and CES this year?", 1),
        ("Explain the Boston matrix, then tell me which category sold the most this year", 2),  # a request asks too
        ("show me revenue by region, and tell me which grew fastest", 2),
    ],
)
def test_lists_stay_whole_and_requests_are_parts(router: Router, question: str, parts: int) -> None:
    assert len(router.parts(question)) == parts, router.parts(question)


# ---- round 7 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "metric", "judged_now"),
    [
        # a past period that says when the invoices were issued, and a state asked now
        ("前年开的发票到现在还有多少没付", "unpaid_amount", True),
        ("how many invoices issued last year are still unpaid?", "unpaid_invoices", True),
        ("去年开出去的发票里,欠款最多的五个客户", "unpaid_amount", True),
        # a snapshot at a past period's end stays one
        ("去年年底的应收账款是多少", "unpaid_amount", False),
        # this year runs to the reference date: the period end is now already
        ("今年的应收账款还有多少", "unpaid_amount", False),
    ],
)
def test_a_past_periods_invoices_judged_now(router: Router, question: str, metric: str, judged_now: bool) -> None:
    plan = router.route(question)
    assert plan.args["metrics"][:1] == [metric], plan.args
    assert plan.args.get("judged_now", False) == judged_now, plan.args
    if judged_now:
        assert "as_of" not in plan.args  # judged now: no snapshot day of its own
        assert any("issued" in n or "开具" in n for n in plan.notices), plan.notices  # and the answer says so


@pytest.mark.parametrize(
    ("question", "mine"),
    [
        ("我上个月一共卖了多少", True),  # what the asker sold: their customers
        ("我这边这个季度的回款", True),
        ("帮我看看上个月卖得最好的产品", False),  # the asker asks for something, sells nothing here
        ("我想看今年卖得最好的产品", False),
    ],
)
def test_what_the_asker_sold_is_their_customers(router: Router, question: str, mine: bool) -> None:
    plan = router.route(question, Context(user_rep_id="R003"))
    assert (plan.args.get("rep_id") == ["R003"]) is mine, plan.args


def test_a_later_part_about_the_named_reps_book_keeps_the_rep(router: Router) -> None:
    question = "张伟今年卖了多少?他手上买得最多的客户是谁"
    rep = router.route(router.parts(question)[0]).args["rep_id"]
    plan = _second(router, question)
    assert plan.args.get("rep_id") == rep and plan.args["by"] == ["customer"], plan.args


@pytest.mark.parametrize(
    "question",
    [
        "How much of last quarter's revenue did 李娜's customers account for?",
        "How much of our 2025 orders came from East China?",
    ],
)
def test_how_much_of_a_whole_is_a_share(router: Router, question: str) -> None:
    plan = router.route(question)
    assert plan.args.get("share") or plan.args.get("share_of"), plan.args


def test_a_holiday_with_its_month_said_is_that_month(router: Router) -> None:
    plan = router.route("去年国庆那个月的订单数")
    assert (str(plan.args["start"]), str(plan.args["end"])) == ("2025-10-01", "2025-10-31"), plan.args


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("逾期发票有几张?涉及金额多少?", "overdue_invoice_amount"),  # the amount of the invoices overdue counts
        ("过期没付的发票一共欠多少钱", "overdue_amount"),  # what is still owed past due
        ("我们给客户的平均授信额度有多少", "avg_credit_limit"),
    ],
)
def test_amounts_of_invoices_and_limits(router: Router, question: str, metric: str) -> None:
    parts = router.parts(question)
    assert router.route(parts[-1]).args["metrics"][:1] == [metric], [router.route(p).args for p in parts]


def test_which_of_two_grew_faster_ranks_by_the_change(router: Router) -> None:
    plan = router.route("西南和华中今年的订单数,哪个增长更快?")
    assert plan.args.get("sort_by") == "orders_change_pct" and plan.args["by"] == ["region"], plan.args
