"""The deterministic router: a question in Chinese or English → a tool and its arguments.

No LLM, no key. It reads the phrase tables (intents.yaml, the semantic layer's synonyms), finds
time expressions, entities and customers in the question, and decides:

- an analysis tool (rfm, churn_retention, …) when the question names the analysis;
- ``metric_query`` when it asks for metrics sliced by dimensions;
- an explanation from the knowledge base when it asks what something means or how to act;
- a customer profile when it only names a customer;
- a follow-up of the previous question when it only changes a slot ("那华北呢?", "and last year?",
  "换成毛利看看", "只看大客户");
- a refusal, with questions it can answer, for forecasts and data the warehouse does not hold (weather,
  salaries, competitors): it never invents a number;
- otherwise it says it is not sure and offers questions it can answer. It never guesses silently.

Words are matched after typo correction (``phrases.correct``); a bare "客户"/"customers" describes
whose figures are wanted and groups by customer only with a list cue, a top N, a condition or a
superlative; a superlative with no number over one grouping asks for the top row ("哪个城市卖得最好").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import duckdb
from pydantic import BaseModel

from assistant.answering.conversation import Context, Plan
from assistant.answering.execute import UNSURE
from assistant.answering.explain import one_explanation
from assistant.capabilities import load_all
from assistant.core.errors import InputError
from assistant.core.lang import detect_language
from assistant.core.periods import UNIT_MONTHS, add_months
from assistant.nlu.cues import CUES
from assistant.nlu.entities import Entity, EntityIndex, find_customers
from assistant.nlu.limits import Refusal, refusal
from assistant.nlu.measures import (
    MeasureReading,
    check_measure,
    customers_who,
    excluded,
    find_parts,
    kind_filters,
    measures_of_quantity,
    object_of,
    read_measure,
    with_companions,
)
from assistant.nlu.numbers import NUMBER_RE, parse_int, parse_number, times_as_digits
from assistant.nlu.parts import split_parts
from assistant.nlu.ratio import read_ratio
from assistant.nlu.ratio import table as ratio_table
from assistant.nlu.scores import read_score
from assistant.nlu.timeparse import (
    COMPARE_PATTERNS,
    Period,
    TimeMatch,
    find_all_periods,
    find_comparison,
    find_period,
)
from assistant.router.phrases import Match, correct, longest_non_overlapping, normalize, tables
from tools.base import last_order_date, validate_arguments
from tools.tables import load as load_table

FILTER_OF_ENTITY = {
    "region": "region",
    "city": "city",
    "industry": "industry",
    "size": "size",
    "acquisition_channel": "acquisition_channel",
    "category": "category",
    "channel": "channel",
    "rep": "rep_id",
    "product": "product",  # the metric layer's own filter; analyses without it say it was not applied
    "department": "department",  # tickets and contacts only; the metric layer says so for other measures
    "team": "team",  # the customers of a sales team's reps
    "ticket_kind": "ticket_kind",  # tickets only: a kind named beside another ticket measure ("投诉单的处理时长")
    "survey_score": "survey_score",  # surveys only: the responses that gave a score ("推荐意愿打了0分")
    "cohort": "cohort",  # the new customers of the period ("新客户贡献了多少销售额")
    "contact_channel": "contact_channel",  # contacts only: how ("上门拜访")
    "contact_purpose": "contact_purpose",  # contacts only: why ("催款")
    "issue_category": "issue_category",  # tickets only: what about ("物流配送的客诉")
}
TIME_DIMS = {"day", "week", "month", "quarter", "year"}
MAX_QUESTION_CHARS = 300  # one question; longer text is not routed (and would make every scan slow)
# Words that ask for a time series; the grain they imply.
TIME_GRAIN = [
    (r"每天|每日|每一天|按天|按日|逐日|daily|by day|per day|each day", "day"),
    (r"每周|每个?星期|每一周|按周|逐周|各周|weekly|by week|per week|each week", "week"),
    (
        r"每月|每个月|每一个?月|按月|分月|各月|各个月|月度|逐月|monthly|by month|per month|each month|month by month|"
        r"month to month|month-to-month|month over month|month-over-month|from month to month|"
        r"哪个月|哪一个月|哪几个月|哪月|which months?",
        "month",
    ),
    (
        r"每季度|每个季度|每一季度|按季度?|分季度|各季度|各个季度|季度趋势|哪个季度|哪一个季度|quarterly|by quarter|per quarter|each quarter|which quarters?",
        "quarter",
    ),
    (
        r"每年|每一年|按年|分年|各年|历年|年度对比|哪一年|哪年|yearly|by year|per year|each year|annual|which years?",
        "year",
    ),
    # A trend with no unit named is by month.
    (r"趋势|走势|怎么走|trend|over time", "month"),
]
# "客户" on its own describes whose figures ("大型客户的毛利率"); it groups by customer only with a
# list cue, a top N, a condition or a superlative.
GENERIC_CUSTOMER_WORDS = {"客户", "customer", "customers", "account", "accounts", "client", "clients"}
SUPERLATIVE_RE = CUES["superlative"]
PLURAL_CUE_RE = CUES["plural_cue"]
SINGULAR_CUE_RE = CUES["singular_cue"]
WHO_RE = CUES["who"]
CHAMPION_RE = CUES["champion"]
SELLER_RE = CUES["seller"]
BUYER_RE = CUES["buyer"]
DATA_QUESTION_RE = CUES["data_question"]
CONCEPT_RE = CUES["concept"]
METHOD_RE = CUES["method"]
BACK_REFERENCE_RE = CUES["back_reference"]
# Numbers of days in words people use for inactivity ("半年没下单").
SPAN_DAYS = {
    "半年": 180,
    "一年": 365,
    "一整年": 365,
    "一个季度": 90,
    "一个月": 30,
    "半个月": 15,
    "一周": 7,
    "一个星期": 7,
}
# "前10%的客户", "top 5% of customers": a share of the customers (the Pareto view), not a number of rows.
TOP_PERCENT_RE = re.compile(r"(?:前|头部|\btop\s*)(\d{1,2}(?:\.\d+)?)\s*[%％]", re.IGNORECASE)
TOP_RE = [
    # "哪三个销售渠道", "which three regions": a ranking of that many
    re.compile(
        rf"哪\s*({NUMBER_RE})\s*(?:个|家|位|类|款|种|名|大)(?!\s*(?:方面|阶段|步骤|原则|特点|要素|维度|部分|层次|环节|类型|指标))"
        rf"|\bwhich\s+({NUMBER_RE}|two|three|four|five|ten)\b(?!\s+(?:aspects|stages|steps|principles|dimensions))",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?:前|top\s*|排名前|头部)\s*({NUMBER_RE})(?![\d.]*\s*%)(?!\s*个?(?:月|天|周|年|季度|星期|日|小时))\s*(?:名|个|位|大|家|强)?",
        re.IGNORECASE,
    ),
    # "our 5 biggest customers", "3 best reps"
    re.compile(
        rf"\b({NUMBER_RE}|three|five|ten|twenty)\s+(?:biggest|largest|best|top|highest|most valuable|worst|smallest|lowest)\b",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?:最(?:高|多|大|好|低|少|小|差)的|highest|largest|biggest|best|lowest|worst)\s*({NUMBER_RE}|one|two|three|four|five|six|seven|eight|nine|ten|twenty)\s*(?:个|位|家|名)?",
        re.IGNORECASE,
    ),
    re.compile(rf"\btop\s+({NUMBER_RE}|one|two|three|four|five|six|seven|eight|nine|ten|twenty)\b", re.IGNORECASE),
    # "the five products with the highest return rate", "3 reps who sold the most": a count of the subject, ranked
    re.compile(
        rf"\b({NUMBER_RE}|two|three|four|five|six|seven|eight|nine|ten|twenty)\s+(?:[a-z-]+\s+)?"
        r"(?:products|customers|accounts|clients|regions|cities|reps|salespeople|categories|industries|channels|items|teams)\b"
        r"(?=[^?.]{0,40}\b(?:most|least|highest|lowest|best|worst|biggest|largest|smallest|fewest)\b)",
        re.IGNORECASE,
    ),
    # the other end: "bottom 3", "倒数5名", "后三名" (the ascending cue sets the order)
    re.compile(
        rf"(?:\bbottom\s*|\blast\s+|倒数第?)\s*({NUMBER_RE}|one|two|three|four|five|six|seven|eight|nine|ten|twenty)(?![\d.])\s*(?:名|个|位|家)?(?!\s*(?:天|个月|月|年|周|days?|weeks?|months?|years?|quarters?))|后\s*({NUMBER_RE})\s*名",
        re.IGNORECASE,
    ),
]
# Buying said every way a salesperson says it: one list for every reading of "not bought for N days".
ZH_BUY = "(?:下单|下过单|下过|成交|成单|出单|开单|购买|买过?|订货|进货|拿货|采购|交易|复购|回购)"
SPAN = rf"(?:{NUMBER_RE}\s*(?:天|个月|个季度|周|年)|半年|一年|半个月)"
INACTIVE_SPAN_RE = [
    re.compile(
        rf"(?:超过|大于|多于|逾|超|已经?|有)?\s*({SPAN})\s*(?:以上|多)?\s*(?:都|还|一直)?(?:没有?|未|不曾)\s*{ZH_BUY}"
    ),
    re.compile(rf"(?:没有?|未)\s*{ZH_BUY}\s*(?:超过|已经?超过|已有|已经|有)?\s*({SPAN})"),
    re.compile(
        r"(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|not)\s+(?:ordered|bought|purchased)(?:\s+anything)?\s+(?:in|for)\s+"
        rf"(?:over\s+|more than\s+|the (?:last|past)\s+)?((?:{NUMBER_RE}|a|one|two|three|four|five|six|nine|twelve)\s+(?:months?|weeks?|years?))",
        re.IGNORECASE,
    ),
]
INACTIVE_RE = [
    re.compile(rf"(?:超过|大于|多于|逾|超)\s*({NUMBER_RE})\s*天\s*(?:没有?|未|不曾)\s*{ZH_BUY}"),
    re.compile(rf"({NUMBER_RE})\s*天\s*(?:以上|以来|内)?\s*(?:没有?|未)\s*{ZH_BUY}"),
    re.compile(rf"(?:没有?|未)\s*{ZH_BUY}\s*(?:超过|已经?超过|已有|已经)?\s*({NUMBER_RE})\s*天"),
    re.compile(
        rf"(?:haven'?t|have not|hasn'?t|has not|didn'?t|did not|not)\s+(?:ordered|bought|purchased)(?:\s+anything)?\s+(?:in|for)\s+(?:over\s+|more than\s+|the (?:last|past)\s+)?({NUMBER_RE}|thirty|sixty|ninety)\s+days",
        re.IGNORECASE,
    ),
    re.compile(
        rf"(?:no (?:orders?|purchases?)|inactive)\s+(?:in|for)\s+(?:over\s+|more than\s+|the (?:last|past)\s+)?({NUMBER_RE}|thirty|sixty|ninety)\s+days",
        re.IGNORECASE,
    ),
]
# Before the amount ("超过10万", "at least 100k"); inclusive ones first, so "不低于" is not read as "低于".
COMPARATORS = [
    (r"不低于|不少于|至少|大于等于|>=|≥|at least|no less than|not less than", ">="),
    (r"不超过|不高于|不多于|至多|最多|小于等于|<=|≤|at most|no more than|not more than", "<="),
    (r"超过|大于|高于|多于|以上|>|over|above|more than|greater than", ">"),
    (r"低于|小于|少于|不到|以下|<|below|under|less than|fewer than", "<"),
]
# After the amount ("30万及以上", "100,000 or more", "5万以下").
POSTFIX_COMPARATORS = [
    (r"及以上|或以上|以上\(含\)|(?:\s+)(?:or more|or above|or higher|and above|and up|or greater|\+)", ">="),
    (r"及以下|或以下|以内|(?:\s+)(?:or less|or below|or lower|and below|or fewer)", "<="),
    (r"以上|多", ">"),
    (r"以下", "<"),
]
# "毛利为负", "negative gross profit": a condition below zero.
NEGATIVE_RE = r"(?:为|是|成了|变成)?\s*负(?:数|值|的)?|小于0|亏损"
ORDINAL_RE = re.compile(
    r"第\s*([一二三四五六七八九十\d]+)\s*(?:个|位|家|名|行)|the\s+(first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))\s*(?:one|customer|account|row)?",
    re.IGNORECASE,
)
EN_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
THIS_ONE_RE = CUES["this_one"]
DETAIL_RE = CUES["detail"]
WHY_RE = CUES["why"]
COUNT_RE = CUES["count"]
COUNT_CUSTOMERS_RE = CUES["count_customers"]
SHARE_RE = CUES["share"]
LIST_CUSTOMERS_RE = CUES["list_customers"]
RANKED_CUSTOMERS_RE = CUES["ranked_customers"]
# Analyses whose words ("大客户", "赚钱") also name plain customer lists: a list or a top N is the metric layer's.
LIST_OVER = frozenset({"tiers", "profitability"})
MONEY_WORD_RE = CUES["money_word"]
ACQUIRED_RE = CUES["acquired"]
TICKET_TOPIC_RE = CUES["ticket_topic"]
KINDS_OF_RE = CUES["kinds_of"]
PRODUCT_WORD_RE = CUES["product_word"]
# A grouping that a tool names differently ("category" of the attention tool is the issue category).
TOOL_DIM_ALIASES = {"issue_category": "category"}
NO_ORDERS_RE = CUES["no_orders"]
WINDOW_RE = CUES["window"]
HOW_MANY_RE = CUES["how_many"]
WHICH_RE = CUES["which"]
NEVER_RE = CUES["never"]
FAST_RE = CUES["fast"]
BOUND_WORD_RE = re.compile(r"\bat (?:least|most)\b|(?:最少|最多)(?=\s*(?:\d|[一二两三四五六七八九十]))", re.IGNORECASE)
COUNT_ROWS_LIMIT = 100_000  # the metric layer's most rows: a count of customers that match is the number of rows
# "四个季度的销售额分别是多少": each period of the unit named.
UNIT_WORDS = (("季度", "quarter"), ("quarter", "quarter"), ("月", "month"), ("month", "month"), ("年", "year"))
GROWTH_RANK_RE = CUES["growth_rank"]
AMOUNT_CHANGE_RE = CUES["amount_change"]
DECLINE_RE = CUES["decline"]
MOST_CUSTOMERS_RE = CUES["most_customers"]
BUYING_RE = CUES["buying"]


COUNT_OF_RE = re.compile(
    rf"({NUMBER_RE}|one|two|three|four|five|six|seven|eight|nine|ten)\s*(?:道|个|题|questions?|exercises?)",
    re.IGNORECASE,
)


SUGGESTIONS = {
    "zh": [
        "华东区今年销售额前十的客户",
        "各产品类别上季度的销售额和毛利",
        "哪些客户有流失风险?",
        "用RFM把客户分成八类",
        "本季度的NPS是多少?",
        "什么是客户生命周期价值?",
    ],
    "en": [
        "top 10 customers by revenue in East China this year",
        "revenue and gross profit by category last quarter",
        "which customers are at risk?",
        "RFM segments of my customers",
        "what is our NPS this quarter?",
        "what is customer lifetime value?",
    ],
}


@dataclass
class Reading:
    """What the router read in one question: the facts every rule decides on (one per question, never shared)."""

    q: str  # normalised, typos corrected
    lang: str
    ctx: Context
    time: TimeMatch | None
    implied_compare: str | None  # "compare Q1 and Q2": the comparison two named periods imply
    ents: list[Entity]  # filter values named: regions, cities, reps, ...
    customers: list[Entity]
    cues: dict[str, bool]  # cue phrase sets found (intents.yaml), plus customer_word
    metrics: list[str]
    dims: list[str]  # groupings named, time grain last
    customer_word: bool  # a bare "客户"/"customers"
    ordinal: Entity | None  # "第三个", "this one": a customer from the last answer
    data_cues: bool  # anything that asks for figures rather than a definition
    explain: bool
    intents: dict[str, int]  # analysis → score
    best: str | None
    score: int
    best_strong: str | None  # the best analysis named outright, not through a metric's words
    strong_score: int
    strong_holds_metric: bool  # named by a phrase with a metric's word inside ("revenue dropped", "bought together")


class Router:
    """Routes questions over one warehouse. Build once per connection; ``route`` is cheap."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, as_of: dt.date | None = None) -> None:
        self.con = con
        self.tables = tables()
        self.registry = load_all()
        self.entities = EntityIndex.from_warehouse(con)
        self.ref = as_of or last_order_date(con)

    # ---- public -------------------------------------------------------------------------------
    def route(self, question: str, ctx: Context | None = None) -> Plan:
        """The plan for ``question``: read it once, then the first rule of ``RULES`` that decides."""
        reading = self.read(question, ctx or Context())
        if isinstance(reading, Plan):
            return reading
        for rule in RULES:
            plan = rule(self, reading)
            if plan is not None:
                return plan
        return self._clarify(
            reading.lang, "no analysis, metric or concept recognised", zh=UNSURE["zh"], en=UNSURE["en"]
        )

    def parts(self, question: str, ctx: Context | None = None) -> list[str]:
        """The questions to answer: one, or each part of a question that asks several things, a later part
        given the earlier part's period, filters, customers and "my" when it names none of its own."""
        ctx = ctx or Context()
        if one_explanation(question):
            return [question]  # "什么是RFM,怎么计算": two sides of one concept, explained together
        pieces = split_parts(normalize(question))
        if len(pieces) == 1:
            return [question]
        first = self.read(pieces[0], ctx)
        if isinstance(first, Plan) and first.kind == "unsupported":
            return [question]  # "明天天气怎么样?适合去拜访吗": the rest leans on the refused part; refuse it whole
        if isinstance(first, Plan):
            return pieces
        if (
            not first.time
            and len(pieces) == 2
            and re.search(
                rf"{re.escape(pieces[0])}\s+and\s+{re.escape(pieces[1][:12])}", normalize(question), re.IGNORECASE
            )
        ):
            # "How many inquiries and how many suggestions did we get last year?": one English sentence whose
            # period comes last is about that period throughout
            second = self.read(pieces[1], ctx)
            if isinstance(second, Reading) and second.time:
                # and the filters it names there too ("How many orders and how much revenue did South China bring in
                # last quarter?"), when the first half names none of its own
                named = [e.text for e in second.ents if e.text] if not first.ents else []
                pieces = [" ".join([pieces[0], *named, second.time.text]), pieces[1]]
                first = self.read(pieces[0], ctx)
                if not isinstance(first, Reading):
                    return pieces
        out = [pieces[0]]
        for piece in pieces[1:]:
            r = self.read(piece, ctx)
            carry: list[str] = []
            if isinstance(r, Reading):
                among = bool(AMONG_RE.search(r.q))
                # A part that names its own subject ("…, and which of my customers bought the most?") keeps it;
                # one that names none, or says "其中"/"among them", is about the earlier part's scope.
                # A grouping word is no subject of its own: "…?是哪个销售在跟?" is about the customer named before.
                own = r.cues["customer_word"] or r.cues["mine"] or r.ents or r.customers
                if first.time and not r.time:
                    carry.append(first.time.text)
                elif first.time and r.time:
                    piece = _year_of(first.time, r.time, piece)
                if among or not own:
                    kinds = {e.kind for e in r.ents}
                    carry += [e.text for e in first.ents if e.kind not in kinds and e.text]
                    if first.customers and not r.customers:
                        carry += [c.text or c.label for c in first.customers]
                if first.cues["mine"] and not (r.cues["mine"] or r.ents or r.customers):
                    carry.append("我的客户" if first.lang == "zh" else "my customers")
                elif among and (first.cues["customer_word"] or first.cues["mine"]) and not r.cues["customer_word"]:
                    carry.append("客户" if first.lang == "zh" else "customers")  # "其中今年下过单的有几个"
                # "今年到现在又是多少?" asks for the same measure again; "今年成交了多少钱?" names its own quantity
                again = (
                    not (own or r.dims or among or find_parts(r.q) or BUYING_RE.search(r.q))  # "总共买过多少": sales
                    and VALUE_ASK_RE.search(r.q)
                )
                described = _described_again(first.q, r)
                if described and JUDGED_NOW_RE.search(first.q) and not JUDGED_NOW_RE.search(r.q):
                    # "How many invoices issued in 2025 are still unpaid, and what do they add up to?": still unpaid now
                    described = f"{described} {JUDGED_NOW_RE.search(first.q).group(0)}"  # type: ignore[union-attr]
                if described:
                    # "逾期发票有多少张,涉及金额多少?", "有几家逾期欠款没付,加起来欠多少?": the same things, another
                    # quantity of them: the earlier part's qualifiers and object with the part's own quantity
                    carry.append(described)
                elif not (r.metrics or r.intents) and (r.dims or again or (among and (r.ents or ABOUT_RE.search(r.q)))):
                    # "…, and which department has the most of them?", "今年到现在又是多少?": the earlier part's
                    # measure, when the earlier part was answered by that measure (not by an analysis).
                    plan = self.route(pieces[0], Context(user_rep_id=ctx.user_rep_id))
                    if plan.tool == "metric_query" and plan.args.get("metrics"):
                        carry.append(str(self.tables.metrics[plan.args["metrics"][0]][first.lang]))
                    elif first.metrics and among:
                        # "How many tickets are still open, and which department owns the most of them?": the
                        # measure the earlier part named, though an analysis answered it
                        carry.append(str(self.tables.metrics[first.metrics[0]][first.lang]))
                if among and first.metrics and first.metrics[0] in COUNTED_DIMENSION and not set(r.dims) - {"customer"}:
                    # "How many reps cover East China, and which of them has the most customers?": one of the reps
                    dim = self.tables.dimensions[COUNTED_DIMENSION[first.metrics[0]]]
                    carry.append(str(dim["zh"] if first.lang == "zh" else dim["en"]))
                if r.metrics and first.metrics and object_of(r.metrics[0]) == object_of(first.metrics[0]):
                    # "今年收到多少投诉,已经解决了多少": the same things, so the kind the earlier part named
                    kinds = [p for p in find_parts(first.q) if p.kind == "qualifier" and p.key in kind_filters()]
                    if kinds and not any(p.key in kind_filters() for p in find_parts(r.q) if p.kind == "qualifier"):
                        carry.append(first.q[kinds[0].start : kinds[0].end])
            out.append(" ".join([*carry, piece]))
        return out

    def refused(self, question: str) -> Plan | None:
        """The refusal plan when ``question`` asks to change data or for data the warehouse lacks, else None.

        Only the refusal tables are read (no name or customer search): the LLM path checks this before the model.
        """
        q = correct(normalize(question))
        found = _refusal(question, q)
        return self._unsupported(detect_language(q), found) if found else None

    def elliptical(self, part: str, previous: Plan) -> Plan | None:
        """A later part that names nothing of its own ("…, and which has the fewest?", "哪个最低"): the earlier
        part's ranking, turned the way the part asks. None when the part says enough to be routed by itself."""
        r = self.read(part, Context())
        if not isinstance(r, Reading) or previous.tool != "metric_query" or not previous.args.get("by"):
            return None
        named = self._winner_named(r, previous)
        if named is not None:
            return named
        # "…, and which sold the least?": a measure of its own that is the earlier part's measure again names nothing
        # new, so the part is still the earlier ranking turned
        same_measure = bool(r.metrics) and set(r.metrics) <= set(previous.args.get("metrics") or [])
        if (r.metrics and not same_measure) or r.dims or r.intents or r.customers:
            return None  # its period and filters are carried from the first
        if not (_superlative(r.q) or SINGULAR_CUE_RE.search(r.q)):
            return None
        args = {**previous.args, "order": "asc" if r.cues["ascending"] else "desc"}
        plan = Plan("tool", r.lang, tool=previous.tool, period=previous.period, reason="the earlier part, turned")
        plan.args = self._validated(self.registry["metric_query"].args_model, args, plan, r.lang)
        return plan

    def _winner_named(self, r: Reading, previous: Plan) -> Plan | None:
        """A later part about the earlier part's winner ("Which category sold the most in Q3, and what share of
        Q3 revenue did it take?", "Who was our top account last quarter, and how much did they buy?"): the
        earlier ranking is run to name the winner, and the part is asked about it by name. None when the part
        does not point back, names its own subject of that kind, or the earlier part is no single winner."""
        by = previous.args.get("by") or []
        if len(by) != 1 or previous.args.get("top") != 1 or not BACK_REFERENCE_RE.search(r.q):
            return None
        if _superlative(r.q) or r.customers or any(e.kind == by[0] for e in r.ents):
            return None
        try:
            result = self.registry["metric_query"].run(self.con, previous.args)
        except Exception:  # the earlier part's own answer says what went wrong; this part is then read alone
            return None
        cols, rows = list(result.columns or []), list(result.rows or [])
        label = f"{by[0]}_name" if f"{by[0]}_name" in cols else by[0]
        if not rows or label not in cols or rows[0][cols.index(label)] in (None, ""):
            return None
        name = str(rows[0][cols.index(label)])
        # The pronoun gives way to the name: "what share of Q3 revenue did 网络设备 take"
        text = BACK_REFERENCE_RE.sub(name, r.q, count=1)
        plan = self.route(text if name in text else f"{name} {r.q}")
        return plan if plan.kind == "tool" else None

    def read(self, question: str, ctx: Context) -> Reading | Plan:
        """What the question says: its period, names, customers, analyses, metrics, groupings and cues.

        A plan instead when nothing more needs deciding (empty, too long, asks what the data cannot say).
        """
        q = correct(normalize(question))
        framed = FRAMING_RE.match(q)
        if framed:
            q = framed.group("question")  # "For a training session on CAC: rank …": the question after the framing
        lang = detect_language(q)
        t = self.tables
        if not q:
            return self._clarify(lang, "empty question", zh="请输入一个问题。", en="Please type a question.")
        if len(q) > MAX_QUESTION_CHARS:
            return self._clarify(
                lang,
                "question too long",
                zh=f"问题太长了(超过 {MAX_QUESTION_CHARS} 个字符),请只问一个问题。",
                en=f"The question is too long (over {MAX_QUESTION_CHARS} characters); ask one question at a time.",
            )
        cues = {name: ps.contains(q) for name, ps in t.cues.items()}
        if cues["ascending"]:
            # "ordered at least five times", "最少下了3单": a bound on a condition, not the low end of a ranking
            cues["ascending"] = t.cues["ascending"].contains(BOUND_WORD_RE.sub(" ", q))

        time = find_period(q, self.ref)
        if time and _inside_comparison(q, time):
            time = None  # "去年同期" is the comparison, not the period asked about
        taken: list[tuple[int, int]] = [(time.start, time.end)] if time else []
        implied_compare = None
        if time and not find_comparison(q):
            # "compare Q1 and Q2", "2025年和2024年对比": the later period against the one before it.
            pair = _period_pair(q, self.ref)
            if pair:
                time, implied_compare, spans = pair
                taken = spans
        all_ents = [e for e in self.entities.find(q) if not _overlaps(e.start, e.end, taken)]
        all_ents += [
            e
            for e in self.entities.find_pinyin(q)
            if not _overlaps(e.start, e.end, taken + [(x.start, x.end) for x in all_ents])
        ]
        if cues["restrict"]:
            # "只看大客户": words that name a segment only when narrowing an answer.
            all_ents += [
                e
                for e in self.entities.find_contextual(q)
                if not _overlaps(e.start, e.end, taken + [(x.start, x.end) for x in all_ents])
            ]
        # Only the words no other reading explains (time, metrics, analyses, cues) can be part of a
        # customer's name; a name may contain a city ("青岛宇瑞机械"), not the other way round.
        explained = (
            taken
            + [(m.start, m.end) for ps in (t.topics, *t.cues.values()) for m in ps.find(q) if m.length >= 2]
            # names hold cities, regions and trades ("青岛宇瑞机械", "西安远新物流集团"), not reps, channels or categories
            + [(e.start, e.end) for e in all_ents if e.kind not in ("city", "region", "industry")]
        )
        customers = [
            c
            for c in find_customers(self.con, q, skip=explained)
            if not _overlaps(c.start, c.end, taken)
            and not any(
                _overlaps(c.start, c.end, [(e.start, e.end)]) and e.end - e.start >= c.end - c.start for e in all_ents
            )
        ]
        ents = [e for e in all_ents if not _overlaps(e.start, e.end, [(c.start, c.end) for c in customers])]
        # "几个人", "每个人": a measure word before 人, not the size 个人
        ents = [
            e for e in ents if not (e.kind == "size" and e.text == "个人" and COUNTED_PERSON_RE.search(q[: e.start]))
        ]
        # A name inside a longer phrase that names an analysis outright is part of it: "电话" (an order channel)
        # in "该给谁打电话" (who to follow up).
        strong = [m for m in t.topics.find(q) if m.kind == "intent" and m.weight >= 3]
        ents = [
            e
            for e in ents
            if not any(m.start <= e.start and e.end <= m.end and m.length > e.end - e.start for m in strong)
        ]
        # "大客户(大型企业)", "individual consumers (个人)": a value in brackets says what the words just before it
        # mean, so those words name nothing else (no second filter, no analysis of their own)
        glossed = _glossed(q, ents)
        ents = [e for e in ents if not _overlaps(e.start, e.end, glossed)]
        taken += [(e.start, e.end) for e in ents] + [(c.start, c.end) for c in customers] + glossed
        lang = detect_language(q, [(e.start, e.end) for e in ents] + [(c.start, c.end) for c in customers])
        # A cue word inside a named value is part of the name: "消费" in the industry 个人消费者 is no buying,
        # "推荐" in the channel 老客户推荐 no recommendation. Cues are read again with the names blanked out.
        named = [(x.start, x.end) for x in [*ents, *customers] if x.end > x.start]
        mq = _blanked(q, named)
        if named:
            cues = {name: ps.contains(mq) for name, ps in t.cues.items()}
            if cues["ascending"]:
                cues["ascending"] = t.cues["ascending"].contains(BOUND_WORD_RE.sub(" ", mq))
        # "(not counting cancelled or returned orders)": what is left out names no measure
        left_out = [m.span() for m in excluded().finditer(q.lower())]
        found = [m for m in t.topics.find(q) if not _overlaps(m.start, m.end, taken + left_out)]
        # Intents and metric/dimension words are resolved separately: "客户满意度" names the
        # satisfaction analysis and the CSAT metric at once.
        topics = longest_non_overlapping([m for m in found if m.kind == "intent"]) + longest_non_overlapping(
            [m for m in found if m.kind != "intent"]
        )

        refused = _refusal(question, q)
        if refused is not None:
            return self._unsupported(lang, refused)

        topics = [m for m in topics if not (m.kind == "intent" and _demoted(m, topics, q))]
        intents = _intent_scores(topics)
        if cues["forecast"] and not any(self._tool_of(k) == "clv" for k in intents):
            return self._unsupported(lang)
        if time and time.period.start is not None and time.period.start > self.ref:
            # "What will our revenue be in each month of 2027?": the data ends at the reference date; a period after
            # it is a forecast, which no tool makes (CLV's lifetime models aside)
            plan = self._unsupported(lang)
            plan.reason = "refused: a period after the data ends"
            plan.notices.insert(
                0,
                _bi(
                    lang,
                    f"数据只记录到 {self.ref.isoformat()},{time.period.zh}还没有发生,我不做预测。",
                    f"The data ends on {self.ref.isoformat()}; {time.period.en} has not happened yet, and I do not forecast.",
                ),
            )
            return plan
        metrics = _metrics_named(topics, q)
        measure = read_measure(q, taken)
        if measure is None:
            # "what share of our revenue came from online orders": the share is the question's shape, not the rate
            # of a measure (orders and a rate would read as the gross margin)
            measure = check_measure(q, metrics, taken + [m.span() for m in SHARE_RE.finditer(q)])
        if measure is not None and measure.metric in t.metrics:
            metrics = _with_measure(metrics, measure, topics)
        if RESPECTIVELY_RE.search(q) and len(each := _each_measure(q, taken)) > 1:
            metrics = each  # "退货和取消分别有多少单": one measure per qualifier, the same thing counted
        metrics = with_companions(metrics, q, taken)
        if (ratio := _ratio_named(q, [*metrics, *(m.key for m in topics if m.kind == "metric")])) is not None:
            metrics = [ratio]  # "投入除以新签约客户数", "spend divided by sign-ups": the ratio of the two
        counts_customers = (
            COUNT_CUSTOMERS_RE.search(q)
            or MOST_CUSTOMERS_RE.search(q)
            or (SHARE_RE.search(q) and re.search(r"客户|\b(customers|accounts|clients)\b", q, re.IGNORECASE))
        )
        if time and "active_customers" in metrics:
            # The data contract's active customer: one with a completed order in the period (the 90-day snapshot
            # is for "now", when no period is named).
            metrics = ["customers" if m == "active_customers" else m for m in metrics]
        ents += _ticket_kinds(q, metrics, taken)
        if "new_customers" in metrics and NEW_THING_RE.search(q):
            # "新增订单", "新增了多少张工单": things created in the period, which the period already says
            metrics = [m for m in metrics if m != "new_customers"] or (["orders"] if "单" in q else [])
        others = [m for m in metrics if m != "new_customers"]
        if "new_customers" in metrics and others and not COUNT_CUSTOMERS_RE.search(q):
            # "今年新客户贡献了多少销售额": the new customers are whose revenue, not a count asked for
            metrics = others
            ents.append(Entity("cohort", "new", "new", 0, 0, ""))
        contacted = any(e.kind in CONTACT_KINDS for e in ents) or CONTACT_VERB_RE.search(q)
        customers_only = counts_customers and metrics in (["customers"], ["customer_count"])
        # "跟我们联系最频繁的客户": how often said of contacting is contacts, not orders (the frequency word's default)
        often = metrics == ["orders"] and not (BUYING_RE.search(mq) or re.search(r"订单|单子|\borders?\b", q, re.I))
        if contacted and (metrics in ([], ["tickets"]) or customers_only or often) and not TICKET_WORD_RE.search(q):
            metrics = ["contacts"]  # "上季度上门拜访了多少次": the occurrences of a way of contacting are contacts
        ents = _contact_words(ents, metrics, q)
        if (
            COUNT_CUSTOMERS_RE.search(q)  # how many customers, not the customers with the most of it
            and len(metrics) == 1
            and not (MONEY_WORD_RE.search(q) or SHARE_RE.search(q))  # a share's sides are read as populations
            and not _metric_conditions(q, metrics)
        ):
            # "how many customers bought / placed an order / got a visit": the customers who did it, not the measure
            metrics = [customers_who().get(metrics[0], metrics[0])]
        if counts_customers and metrics in ([], ["customers"]):
            # The answer is a number of customers: those who bought in the period when the question says
            # so (a period or a buying word), else the customers on record.
            metrics = ["customers"] if time or BUYING_RE.search(mq) else ["customer_count"]
        if not metrics and any(m.kind == "dim" and m.key not in TIME_DIMS and m.key != "customer" for m in topics):
            # "客户不到20家的城市有哪些": groups with a condition on how many they hold, measured in that count
            metrics = _unique(h["metric"] for h in _count_conditions(q))
            counted = {object_of(m) for m in metrics}  # the thing counted is no grouping ("产品超过30款的品类")
        else:
            counted = set()
        score = _survey_score(q, metrics, taken)
        if score is not None:
            # "哪些客户推荐意愿打了0分": the responses that gave it (a score's own mean or share among them says
            # nothing); "打1分的客户有几家": the customers who gave it
            ents.append(score)
            if counts_customers or set(metrics) & {"customers", "customer_count", "surveyed_customers"}:
                metrics = ["surveyed_customers"]
            else:
                metrics = ["survey_responses"]
        # Time grains come from explicit words only (TIME_GRAIN): a bare "年"/"year" is part of a date.
        dims = _unique(
            m.key
            for m in topics
            if m.kind == "dim"
            and m.key not in TIME_DIMS
            and not (m.key == "customer" and q[m.start : m.end].lower() in GENERIC_CUSTOMER_WORDS)
        )
        dims = [d for d in dims if d not in counted]
        customer_word = any(
            m.kind == "dim" and m.key == "customer" and q[m.start : m.end].lower() in GENERIC_CUSTOMER_WORDS
            for m in topics
        )
        cues["customer_word"] = customer_word
        cues["mine"] = cues["mine"] or bool(MINE_VERB_RE.search(q))
        if (
            "channel" in dims
            and ACQUIRED_RE.search(q)
            and not any(e.kind == "channel" for e in ents)
            and not SALES_CHANNEL_RE.search(q)  # "which sales channel brought in the most revenue"
        ):
            # "came from" names where customers were acquired, unless the channel named is one orders are sold by
            # ("what share of revenue came from the online channel")
            dims = [("acquisition_channel" if d == "channel" else d) for d in dims]
        if not (set(dims) - {"customer"}) and KINDS_OF_RE.search(q):
            dims = [d for d in dims if d != "customer"] + ["category"]  # "投诉最多的前三类": kinds of the subject
        if "category" in dims and TICKET_TOPIC_RE.search(q) and not PRODUCT_WORD_RE.search(q):
            dims = [("issue_category" if d == "category" else d) for d in dims]
        if not GROUPING_RE.search(q):
            # "government / public-sector customers in Beijing": "sector" describes the industry the filter names,
            # it does not ask for a breakdown by industry (that needs 按/各/by/each).
            dims = [d for d in dims if d not in {e.kind for e in ents}]  # an entity's kind is its dimension
        grain = _time_grain(q) or _each_unit(q)
        if grain:
            dims.append(grain)
        if (
            not metrics
            and HEADCOUNT_RE.search(q)
            and (
                any(e.kind in ("team", "region") for e in ents)
                or re.search(r"销售|团队|\b(reps?|sales|team)\b", q, re.I)
            )
        ):
            metrics = ["rep_count"]  # "咱们销售团队一共多少人", "华南二组有几个人"
        if metrics == ["rep_count"]:
            dims = [d for d in dims if d not in ("team", "rep") or GROUPING_RE.search(q)]  # the reps are counted
        if not dims and PEOPLE_RE.search(q) and any(e.kind == "team" for e in ents) and metrics != ["rep_count"]:
            dims.append("rep")  # "华南二组是哪几个人": the team's salespeople, each with their figures
        if not dims and WHO_RE.search(q) and (_superlative(q) or CHAMPION_RE.search(q)):
            # A winner with no grouping word: a salesperson when the question is about selling, else a customer.
            if SELLER_RE.search(q) and not BUYER_RE.search(q):
                dims.append("rep")
            elif BUYER_RE.search(q) or not intents:
                dims.append("customer")
        ordinal = self._ordinal_customer(q, ctx)
        if ordinal:
            customers = [ordinal]

        data_cues = bool(
            time or ents or customers or cues["mine"] or cues["per_customer"] or _top_n(q) or COUNT_RE.search(q)
        )
        explain = cues["explain"]
        strong = _intent_scores([m for m in topics if m.kind == "intent" and not _same_span_metric(m, topics)])
        plain = _intent_scores([m for m in topics if m.kind == "intent" and not _same_span_metric(m, topics, True)])
        if TOP_PERCENT_RE.search(q) and "tiers" in t.intents:
            # any "前15%" / "top 15%" of the customers names the concentration (the phrase table lists a few)
            intents["tiers"] = strong["tiers"] = max(intents.get("tiers", 0), 3)
        best, score = max(intents.items(), key=lambda kv: kv[1], default=(None, 0))
        best_strong, strong_score = max(strong.items(), key=lambda kv: kv[1], default=(None, 0))
        holds_metric = best_strong is not None and plain.get(best_strong, 0) < 3
        if explain and metrics and DATA_QUESTION_RE.search(q) and not CONCEPT_RE.search(q):
            explain = False  # "what is the average resolution time": a figure, not a definition
        if cues["concept"] and not (time or ents or customers or cues["mine"]):
            explain, data_cues = True, False
        if METHOD_RE.search(q) and not (time or ents or customers or metrics):
            explain, data_cues = True, False  # "how should I go about figuring out what my customers need"
        if explain and intents.get("change_drivers", 0) >= 3 and metrics:
            # "为什么销售额下降了": why a figure changed is answered from the data (its drivers), not a definition.
            explain, data_cues = False, True
        left_out_ents = [e for e in ents if _overlaps(e.start, e.end, left_out) and e.kind in FILTER_OF_ENTITY]
        if left_out_ents:
            # "除了华东,其他大区…": a value left out is no filter; its dimension is shown value by value instead (the
            # metric layer filters by inclusion only, so the one left out is a row among the others)
            ents = [e for e in ents if e not in left_out_ents]
            dims = _unique(
                [
                    *dims,
                    *({"rep_id": "rep"}.get(FILTER_OF_ENTITY[e.kind], FILTER_OF_ENTITY[e.kind]) for e in left_out_ents),
                ]
            )
        return Reading(
            q=q,
            lang=lang,
            ctx=ctx,
            time=time,
            implied_compare=implied_compare,
            ents=ents,
            customers=customers,
            cues=cues,
            metrics=metrics,
            dims=dims,
            customer_word=customer_word,
            ordinal=ordinal,
            data_cues=data_cues,
            explain=explain,
            intents=intents,
            best=best,
            score=score,
            best_strong=best_strong,
            strong_score=strong_score,
            strong_holds_metric=holds_metric,
        )

    def _comparison(self, r: Reading) -> str | None:
        return find_comparison(r.q) or r.implied_compare

    def _mod_matches(self, intent: str, q: str) -> bool:
        return any(mod.intent == intent and mod.when.contains(q) for mod in self.tables.mods)

    def _lacks_grouping(self, tool: str, dims: list[str]) -> bool:
        spec = self.registry.get(tool)
        if spec is None:
            return True
        fields = spec.args_model.model_fields
        return any(
            not any(
                f in fields and _allows(spec.args_model, f, x)
                for f in ("dimension", "group", "by")
                for x in (d, TOOL_DIM_ALIASES.get(d, d))
            )
            for d in dims
            if d != "customer"
        )

    def _needs_metric_layer(self, r: Reading, tool: str, grouping: bool = True) -> bool:
        q, dims = r.q, r.dims
        if dims and (SINGULAR_CUE_RE.search(q) or WHO_RE.search(q)) and self._asks_for_one(q, dims):
            return True  # the one best group ("哪个行业的满意度最高"): a ranking the metric layer does
        if _top_n(q) or _metric_conditions(q, list(self.tables.metrics)) or self._comparison(r) or _inactive_days(q):
            return True
        if r.metrics and TOTAL_RE.search(q):
            return True  # "the total credit limit we've extended to large enterprises": a figure, not the analysis
        intent = next((k for k, v in self.tables.intents.items() if v["tool"] == tool), "")
        if _superlative(q) and (set(dims) - {"customer"} - TIME_DIMS or not self._mod_matches(intent, q)):
            # "NPS最低的大区", "去年投诉最多的客户": a ranking, which the metric layer does.
            return True
        return grouping and self._lacks_grouping(tool, dims)

    # ---- plans --------------------------------------------------------------------------------
    def _tool_of(self, intent: str) -> str:
        return str(self.tables.intents[intent]["tool"])

    def _common_filters(self, r: Reading, plan: Plan) -> dict[str, Any]:
        lang, time, ents, customers, cues, ctx = r.lang, r.time, r.ents, r.customers, r.cues, r.ctx
        args: dict[str, Any] = {}
        for e in ents:
            key = FILTER_OF_ENTITY.get(e.kind)
            if key:
                args.setdefault(key, [])
                if e.value not in args[key]:
                    args[key].append(e.value)
            else:
                plan.notices.append(
                    _bi(
                        lang,
                        f"「{e.text}」({e.kind})暂不能作为筛选条件,已忽略。",
                        f"'{e.text}' ({e.kind}) cannot be used as a filter yet; ignored.",
                    )
                )
        if customers:
            args["customer_ids"] = [c.value for c in customers]
        if time:
            args["start"], args["end"] = time.period.start, min(time.period.end, self.ref)
            if args["end"] < self.ref:
                args["as_of"] = args["end"]
        if cues["mine"]:
            if ctx.user_rep_id:
                args["rep_id"] = [ctx.user_rep_id]
            elif "rep_id" not in args:
                plan.notices.append(
                    _bi(
                        lang,
                        "没有登录的销售身份,无法确定“我的客户”:以下是全部客户。可以说“张伟负责的客户”。",
                        "No salesperson is signed in, so 'my customers' cannot be resolved: showing all customers. Try 'customers of 张伟'.",
                    )
                )
        return args

    def _plan_tool(self, tool: str, r: Reading, base: dict[str, Any] | None = None) -> Plan:
        q, lang, time, ents, customers, cues, dims = r.q, r.lang, r.time, r.ents, r.customers, r.cues, r.dims
        spec = self.registry.get(tool)
        if spec is None:
            return self._clarify(
                lang,
                f"tool {tool} is not available",
                zh=f"工具 {tool} 暂不可用。",
                en=f"The {tool} tool is not available.",
            )
        plan = Plan("tool", lang, tool=tool, period=time.period if time else None, entities=ents + customers)
        args: dict[str, Any] = dict(base or {})
        args.update(self._common_filters(r, plan))
        fields = spec.args_model.model_fields
        intent = next((k for k, v in self.tables.intents.items() if v["tool"] == tool), None)
        groups_seen: set[tuple[str, ...]] = set()
        for mod in self.tables.mods:
            if mod.intent == intent and mod.when.contains(q):
                key = tuple(sorted(mod.args))
                if key in groups_seen:
                    continue
                groups_seen.add(key)
                args.update({k: v for k, v in mod.args.items() if k in fields})
        if time and "period_grain" in fields and time.period.grain in UNIT_MONTHS:
            args["period_grain"] = time.period.grain  # this quarter to date compares with the same days of the last
        if "by" in fields and (cues["per_customer"] or customers) and _allows(spec.args_model, "by", "customer"):
            args["by"] = "customer"
        top = _top_n(q)
        if top and "limit" in fields:
            args["limit"] = top
        share = TOP_PERCENT_RE.search(q)
        if share and "pareto_top_share" in fields and 0 < float(share.group(1)) < 100:
            args.update(view="pareto", pareto_top_share=float(share.group(1)) / 100)
        if "n" in fields:  # "出三道题", "five questions"
            m = COUNT_OF_RE.search(q)
            if m and parse_int(m.group(1)):
                args["n"] = parse_int(m.group(1))
        # A dimension word ("按大区", "by industry") picks the grouping of tools that have one.
        for dim in (d for d in dims if d != "customer"):
            if not any(_allows(spec.args_model, f, dim) for f in ("dimension", "group", "by") if f in fields):
                dim = TOOL_DIM_ALIASES.get(dim, dim)
            for fname in ("dimension", "group", "by"):
                if (
                    fname in fields
                    and _allows(spec.args_model, fname, dim)
                    and not (fname == "by" and args.get("by") == "customer")
                ):
                    args[fname] = dim
                    if "view" in fields and _allows(spec.args_model, "view", "by"):
                        args.setdefault("view", "by")
                    break
        if tool == "cross_sell" and customers and "customer_id" in fields:
            # The customer is whom to recommend for; its peers must stay in scope.
            args["customer_id"] = customers[0].value
            args.pop("customer_ids", None)
            if args.get("view", "pairs") == "pairs":
                args["view"] = "customer"
        plan.args = self._validated(spec.args_model, args, plan, lang)
        plan.reason = f"{tool}: {', '.join(sorted(plan.args)) or 'defaults'}"
        return plan

    def _plan_metrics(self, r: Reading, metrics: list[str]) -> Plan:
        q, lang, time, ents, customers, cues, dims = r.q, r.lang, r.time, r.ents, r.customers, r.cues, r.dims
        spec = self.registry.get("metric_query")
        if spec is None:
            return self._clarify(
                lang, "metric_query is not available", zh="指标查询暂不可用。", en="Metric queries are not available."
            )
        plan = Plan("tool", lang, tool="metric_query", period=time.period if time else None, entities=ents + customers)
        args = self._common_filters(r, plan)
        by: list[str] = []
        # Explicit grouping words; a dimension whose value was already named ("华东") is a filter, not a grouping.
        filtered = {FILTER_OF_ENTITY.get(e.kind, e.kind) for e in ents}
        for d in dims:
            if d in TIME_DIMS or d == "customer" or d not in {"rep" if f == "rep_id" else f for f in filtered}:
                by.append(d)
        # Two or more values of one filter ("杭州和南京") are compared side by side.
        for key, values in args.items():
            dim = {"rep_id": "rep"}.get(key, key)
            if key in FILTER_OF_ENTITY.values() and isinstance(values, list) and len(values) > 1 and dim not in by:
                by.insert(0, dim)
        having = []
        inactive = _inactive_days(q)
        if (
            inactive is not None
            and time
            and time.period.days == inactive
            and WINDOW_RE.search(q)
            and NO_ORDERS_RE.search(q)
        ):
            # "haven't bought anything in the last 90 days": nothing bought in that window, so customers on record who
            # never bought count too (read below as no orders in the period), not only past buyers gone quiet
            inactive = None
        if inactive is not None:
            having.append({"metric": "days_since_last_order", "op": ">", "value": inactive})
            if "days_since_last_order" not in metrics:
                metrics = [*metrics, "days_since_last_order"]
            # "超过90天没下单" is about recency up to now, not a window of 90 days.
            for k in ("start", "end", "as_of"):
                if time and time.period.days == inactive:
                    args.pop(k, None)
        having += _metric_conditions(q, metrics)
        if NO_ORDERS_RE.search(q) and not having and not (set(by) - {"customer"}):
            # Customers on record who bought nothing in the period: each listed, with their revenue (0).
            metrics = ["revenue", "customer_count"]
            having.append({"metric": "revenue", "op": "=", "value": 0})
            if "customer" not in by:
                by.insert(0, "customer")
        catalogue = {"product_count", "list_price"}
        if metrics and set(metrics) <= catalogue and by in ([], ["product"]) and PRODUCT_LIST_RE.search(q):
            # "2025年以来上市的新品都有哪些", "标价超过5000的产品": the products themselves, with their prices
            by, metrics = ["product"], ["list_price"]
        if metrics and not any(_per_customer_metric(m) for m in metrics):
            # Marketing spend has one channel, the acquisition channel: "which marketing channel got the most".
            by = ["acquisition_channel" if d == "channel" else d for d in by]
            if args.get("channel"):
                args["acquisition_channel"] = args.pop("channel")
        if set(by) & TIME_DIMS:
            # A snapshot has no trend; its trend is the measure it counts in each period (active customers by
            # month are the customers who bought in each month).
            metrics = [SNAPSHOT_TREND.get(m, m) for m in metrics]
        top = _top_n(q)
        # A list cue lists customers, unless the question already lists periods ("按月列出来") or a measure has no
        # customers (marketing spend).
        per_customer = cues["per_customer"] and not (set(by) & TIME_DIMS)
        if (
            (per_customer or having or customers)
            and "customer" not in by
            and not (set(by) - TIME_DIMS)
            and all(_per_customer_metric(m) for m in metrics)
        ):
            by.insert(0, "customer")
        if top and not by:
            by = ["customer"]
        if (
            top is None
            and not by
            and _superlative(q)
            and (SINGULAR_CUE_RE.search(q) or cues["per_customer"] or cues.get("customer_word"))
        ):
            by = ["customer"]
        if top is None and by and self._asks_for_one(q, by):
            top = 1
        if by[:1] == ["customer"] and metrics in (["customers"], ["customer_count"]):
            metrics = ["revenue"]  # each customer counts once: "买得最多的客户" ranks them by what they bought
        if top and by == ["customer"] and SHARE_RE.search(q):
            args["share"] = True  # "前十大客户合计占销售额的比例": the top rows together, and each one's share
        part = self._share_part(r, args, by)
        if part is not None:
            # "线上占总销售额多少": the named value is one group among its siblings, each with its share.
            key = FILTER_OF_ENTITY[part.kind]
            args[key] = [v for v in args.get(key, []) if v != part.value]
            if not args[key]:
                del args[key]
            by = [{"rep_id": "rep"}.get(key, key)]
            args["share"] = True
            args["focus"] = [part.value]  # the answer names the value asked about first
        args["metrics"] = metrics
        args["by"] = _unique(by)
        if time and args.get("end", self.ref) < self.ref and JUDGED_NOW_RE.search(q) and _judged_now(metrics):
            # "去年开的发票到现在还有多少没收回来": the past period says when the invoices were issued; whether they are
            # unpaid or overdue is judged now, not at the period end
            args["judged_now"] = True
            args.pop("as_of", None)
            plan.notices.append(
                _bi(
                    lang,
                    f"按{time.period.zh}开具的发票计算,是否未付、逾期按数据记录到的最新日期判断(不是{time.period.zh}期末)。",
                    f"Invoices issued in {time.period.en}; unpaid and overdue as of the latest date the data records "
                    f"(not at the end of {time.period.en}).",
                )
            )
        if not args["by"] and WHICH_RE.search(q) and not (customers or having or args.get("share") or part):
            # "我的客户里谁还欠着款", "which day of the week gets the most orders": it asks which, and a total answers
            # no which. Customers when it names them; otherwise the grouping is one the data does not hold.
            if not (cues.get("customer_word") or cues["mine"] or CUSTOMER_NOUN_RE.search(q)):
                return self._clarify(
                    lang,
                    "asks which, but names no grouping the data holds",
                    zh="我没看出要按什么来比较(数据里有大区、城市、行业、规模、渠道、产品、品类、销售、团队、客户和时间)。请换个说法。",
                    en="I could not tell what to compare by (the data holds regions, cities, industries, sizes, channels, "
                    "products, categories, reps, teams, customers and time). Please rephrase.",
                )
            args["by"] = ["customer"]
        if top:
            args["top"] = top
        if cues["ascending"] or (metrics and metrics[0] in measures_of_quantity("duration") and FAST_RE.search(q)):
            args["order"] = "asc"  # the low end, or the quickest of a duration ("哪个部门处理工单最快")
        compare = self._comparison(r)
        growth = bool(GROWTH_RANK_RE.search(q)) and bool(set(by) - TIME_DIMS)
        if growth and not compare:
            compare = "previous_period"  # "哪个大区增长最快": against the period before, unless a year is named
        if growth:
            base = metrics[0]
            args["sort_by"] = f"{base}_change" if AMOUNT_CHANGE_RE.search(q) else f"{base}_change_pct"
            args["order"] = "asc" if DECLINE_RE.search(q) else "desc"
        if compare:
            args["compare"] = compare
            period = time.period if time else None
            if period is None:
                plan.notices.append(_bi(lang, "未指定期间,按本季度对比。", "No period given: comparing this quarter."))
                tm = find_period("本季度", self.ref)
                assert tm is not None
                period = tm.period
                args["start"], args["end"] = period.start, period.end
            if period.grain in UNIT_MONTHS:
                args["period_grain"] = period.grain  # this quarter to date compares with the same days of the last
            whole = self._whole_unit_before(r, period, compare, args["by"], growth)
            if whole is not None:
                # "今年比去年", "this quarter so far vs last quarter": the unit named is the whole unit, so both
                # are shown side by side (the running one to date), and the answer says how to ask like for like.
                for k in ("compare", "period_grain"):
                    args.pop(k, None)
                running_end = min(period.end, self.ref)
                args["start"], args["end"] = whole.start, running_end
                # one named customer is a filter; several are compared side by side
                several = len(args.get("customer_ids") or []) > 1
                args["by"] = [d for d in args["by"] if d == "customer" and several] + [period.grain]
                args.pop("as_of", None)
                plan.period = Period(
                    whole.start, running_end, "range", f"{whole.zh}与{period.zh}", f"{whole.en} and {period.en}"
                )
                plan.notices.append(
                    _bi(
                        lang,
                        f"{period.zh}截至 {running_end.isoformat()},{whole.zh}为完整的一期;按相同天数对比请问“同期”。",
                        f"{period.en} runs to {running_end.isoformat()}; {whole.en} is complete. "
                        "Ask for the same period last year to compare equal stretches.",
                    )
                )
        if having:
            args["having"] = having
            if by == ["customer"] and (COUNT_CUSTOMERS_RE.search(q) or HOW_MANY_RE.search(q)) and not top:
                # "最近90天都没下单的客户有多少": the answer is the number of rows, so every row is counted, not the
                # first page of a list
                args["limit"] = COUNT_ROWS_LIMIT
        plan.args = self._validated(spec.args_model, args, plan, lang)
        plan.reason = f"metric_query: {', '.join(metrics)} by {', '.join(args['by']) or 'total'}"
        return plan

    def _whole_unit_before(
        self, r: Reading, period: Period, compare: str, by: list[str], growth: bool
    ) -> Period | None:
        """The whole calendar unit before a running one, when the question compares them as named ("今年比去年",
        "2026 vs 2025", "这个季度目前跟上季度比") rather than like for like ("同期", "同比", "yoy"). None otherwise:
        finished units, groupings, growth rankings, and a quarter or month against last year's (not adjacent)."""
        months = UNIT_MONTHS.get(period.grain)
        # named customers are rows of their own, not a grouping to rank ("成都正和科技去年和今年分别买了多少")
        grouped = bool(by) and not (by == ["customer"] and r.customers)
        if growth or grouped or months is None or LIKE_FOR_LIKE_RE.search(r.q):
            return None
        if min(period.end, self.ref) >= add_months(period.start, months) - dt.timedelta(days=1):
            return None  # a finished unit: the comparison already takes the whole of both
        if compare != "previous_period" and period.grain != "year":
            return None
        prev = add_months(period.start, -months)
        end = period.start - dt.timedelta(days=1)
        q, h = (prev.month - 1) // 3 + 1, (prev.month - 1) // 6 + 1
        zh = {"year": f"{prev.year}年", "half": f"{prev.year}年{'上下'[h - 1]}半年", "quarter": f"{prev.year}年第{q}季度",
              "month": f"{prev.year}年{prev.month}月"}[period.grain]  # fmt: skip
        en = {"year": f"{prev.year}", "half": f"H{h} {prev.year}", "quarter": f"Q{q} {prev.year}",
              "month": prev.strftime("%B %Y")}[period.grain]  # fmt: skip
        return Period(prev, end, period.grain, zh, en)

    def _follow_up(self, r: Reading, metrics: list[str] | None = None) -> Plan:
        lang, time, ents, customers, cues, dims, ctx = r.lang, r.time, r.ents, r.customers, r.cues, r.dims, r.ctx
        assert ctx.last_plan is not None
        last = ctx.last_plan
        args = dict(last.args)
        if cues["clear_filters"]:
            for k in (*FILTER_OF_ENTITY.values(), "customer_ids"):
                args.pop(k, None)
        # The new question's slots replace the old ones of the same kind.
        kinds = {FILTER_OF_ENTITY.get(e.kind) for e in ents}
        for k in kinds - {None}:
            args.pop(k, None)
        if metrics and last.tool == "metric_query":
            args["metrics"] = metrics
            args.pop("having", None)
            args.pop("sort_by", None)
        if time:
            for k in ("start", "end", "as_of"):
                args.pop(k, None)
        plan = Plan(
            "tool",
            lang,
            tool=last.tool,
            period=time.period if time else last.period,
            entities=ents + customers,
            follow_up=True,
        )
        args.update(self._common_filters(r, plan))
        compare = self._comparison(r)
        if compare and last.tool == "metric_query":
            args["compare"] = compare
        if time:
            args.pop("period_grain", None)
        if args.get("compare") and plan.period is not None and plan.period.grain in UNIT_MONTHS:
            args["period_grain"] = plan.period.grain
        spec = self.registry[str(last.tool)]
        if dims and last.tool == "metric_query":
            old = list(args.get("by", []))
            if set(dims) - TIME_DIMS:
                # "改成按行业": a new grouping replaces the old one; a time grain is kept.
                old = [b for b in old if b in TIME_DIMS and b not in dims]
            elif set(dims) & TIME_DIMS:
                old = [b for b in old if b not in TIME_DIMS]
            args["by"] = _unique([*[d for d in dims if d not in TIME_DIMS], *old, *[d for d in dims if d in TIME_DIMS]])
            if set(args["by"]) & TIME_DIMS:
                args.pop("top", None)
        plan.args = self._validated(spec.args_model, args, plan, lang)
        plan.reason = f"follow-up of {last.tool}"
        return plan

    def _share_part(self, r: Reading, args: dict[str, Any], by: list[str]) -> Entity | None:
        """The value whose share of the whole is asked ("北京" in "华北的销售额里北京占了多少"): the last named one."""
        if not SHARE_RE.search(r.q) or set(by) - {"customer"}:
            return None
        named = [e for e in r.ents if e.kind in FILTER_OF_ENTITY and e.value in args.get(FILTER_OF_ENTITY[e.kind], [])]
        return max(named, key=lambda e: e.start) if named else None

    def _asks_for_one(self, q: str, by: list[str]) -> bool:
        """A superlative with no number and no plural cue asks for the one best or worst row:
        "哪个城市卖得最好", "去年新客户最多的获客渠道", "best performing sales rep"."""
        if not (_superlative(q) or CHAMPION_RE.search(q)) or PLURAL_CUE_RE.search(q):
            return False
        if set(by) & TIME_DIMS and SINGULAR_CUE_RE.search(q) and len(by) == 1:
            return True  # "哪个月的销售额最高": the best month, not the months in order
        if set(by) & TIME_DIMS or len(by) != 1:
            return False
        # English plural nouns ("which products get returned the most") ask for a list.
        words = [q[m.start : m.end].lower() for m in self.tables.topics.find(q) if m.kind == "dim" and m.key == by[0]]
        if any(w.endswith("s") and not w.endswith("ss") for w in words if w.isascii()):
            return False
        if SINGULAR_CUE_RE.search(q):
            return True
        return True  # a superlative over a singular noun: "biggest customer", "最好的城市"

    def _ordinal_customer(self, q: str, ctx: Context) -> Entity | None:
        id_col = next((c for c in ("customer_id", "customer") if c in ctx.last_columns), None)
        if id_col is None and not (ctx.focus_customer and THIS_ONE_RE.search(q)):
            return None
        col = ctx.last_columns.index(id_col) if id_col else 0
        name_col = ctx.last_columns.index("customer_name") if "customer_name" in ctx.last_columns else None
        m = ORDINAL_RE.search(q)
        idx: int | None = None
        if m:
            token = m.group(1) or m.group(2)
            idx = EN_ORDINALS.get(token.lower()) or parse_int(re.sub(r"(st|nd|rd|th)$", "", token))
        elif THIS_ONE_RE.search(q):
            if ctx.focus_customer:
                return Entity("customer", ctx.focus_customer, ctx.focus_customer, 0, 0, "")
            idx = 1 if len(ctx.last_rows) == 1 else None
        if not idx or idx > len(ctx.last_rows):
            return None
        row = ctx.last_rows[idx - 1]
        label = str(row[name_col]) if name_col is not None else str(row[col])
        return Entity("customer", str(row[col]), label, 0, 0, m.group(0) if m else "")

    def _validated(self, model: type[BaseModel], args: dict[str, Any], plan: Plan, lang: str) -> dict[str, Any]:
        fields = model.model_fields
        dropped = [k for k in args if k not in fields]
        for k in dropped:
            plan.notices.append(
                _bi(lang, f"该分析不支持按 {k} 筛选,已忽略。", f"This analysis cannot filter by {k}; ignored.")
            )
        clean = {k: v for k, v in args.items() if k in fields}
        try:
            validate_arguments(model, clean)
        except InputError as exc:  # pydantic's complaint or our validators' (one_of, at_least), in both languages
            plan.kind = "clarify"
            plan.notices.append(exc.message(lang))
            plan.suggestions = SUGGESTIONS[lang]
        return clean

    def _clarify(self, lang: str, reason: str, *, zh: str, en: str) -> Plan:
        return Plan("clarify", lang, reason=reason, notices=[zh if lang == "zh" else en], suggestions=SUGGESTIONS[lang])

    def _unsupported(self, lang: str, refused: Refusal | None = None) -> Plan:
        """No number: the request changes data, or asks for data the warehouse lacks (``nlu.limits``)."""
        notice = (
            refused.message(lang)
            if refused
            else _bi(
                lang,
                "这个问题超出了现有数据和分析工具的范围,我不会编造数字。",
                "That is beyond the data and the analysis tools, and I will not make up a number.",
            )
        )
        ask = _bi(lang, "可以问这些:", "You can ask:")
        return Plan(
            "unsupported",
            lang,
            reason=f"refused: {refused.reason}" if refused else "beyond the tools",
            notices=[f"{notice}{ask}" if lang == "zh" else f"{notice} {ask}"],
            suggestions=SUGGESTIONS[lang],
        )


# ---- helpers -----------------------------------------------------------------------------------
def _bi(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _refusal(question: str, q: str) -> Refusal | None:
    """A refusal read from the question as written or as spelling-corrected: the corrector may turn an order's
    verb into a word ("close ticket …" → "closed ticket …")."""
    return refusal(q) or refusal(normalize(question))


GLOSS_RE = re.compile(r"[(（]([^()（）]{1,24})[)）]")


def _glossed(q: str, ents: list[Entity]) -> list[tuple[int, int]]:
    """The words a bracketed value explains: the last word or two (or up to six Chinese characters) before the
    bracket, when the bracket holds only a value the data knows."""
    out = []
    for m in GLOSS_RE.finditer(q):
        inside = m.group(1).strip()
        # the bracket is the value itself ("(个人)", "(大型企业)"), not a remark about it ("(张伟那组)")
        if not any(m.start() < e.start and e.end <= m.end() and len(e.text) >= 0.6 * len(inside) for e in ents):
            continue
        before = q[: m.start()].rstrip()
        words = re.search(r"(?:[a-z&'-]+\s+){0,1}[a-z&'-]+$|[\u4e00-\u9fff]{1,6}$", before, re.IGNORECASE)
        if not words:
            continue
        start = words.start() + (before.rfind("的", words.start()) + 1 - words.start() if "的" in words.group(0) else 0)
        # a value named before the glossed words stays ("华东大客户(大型企业)": 华东 is still a filter); only the words
        # right before the bracket are glossed
        start = max([start, *(e.end for e in ents if start < e.end < len(before) or e.start < start < e.end)])
        out.append((start, m.start()))
    return out


def _superlative(q: str) -> bool:
    """Most/least/best … said of the answer, not of a bound ("at least one order", "最多3次" are conditions)."""
    return bool(SUPERLATIVE_RE.search(BOUND_WORD_RE.sub(" ", q)))


RESPECTIVELY_RE = re.compile(r"分别|各自|各是多少|\brespectively\b", re.IGNORECASE)


def _each_measure(q: str, taken: list[tuple[int, int]]) -> list[str]:
    """One measure per qualifier named ("退货和取消分别有多少单": returns and cancellations), each read with the other
    qualifiers left out; [] unless every qualifier gives a measure of its own."""
    quals = [p for p in find_parts(q, taken) if p.kind == "qualifier"]
    out = []
    for p in quals:
        others = [(o.start, o.end) for o in quals if o is not p]
        m = read_measure(q, taken + others)
        if m is None:
            return []
        out.append(m.metric)
    return _unique(out) if len(set(out)) == len(quals) else []


def _blanked(q: str, spans: list[tuple[int, int]]) -> str:
    """``q`` with the spans replaced by spaces (same length, so positions still line up)."""
    chars = list(q)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)


def _overlaps(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < b and a < e for a, b in spans)


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def _intent_scores(topics: list[Match]) -> dict[str, int]:
    scores: dict[str, int] = {}
    for m in topics:
        if m.kind == "intent":
            scores[m.key] = scores.get(m.key, 0) + m.weight
    return scores


def _metrics_named(topics: list[Match], q: str) -> list[str]:
    """Metric ids named in the question. A word that is also a dimension ("customers", "客户") is a
    metric only when counting is asked for ("how many customers") and no other metric is named."""
    dim_spans = {(m.start, m.end) for m in topics if m.kind == "dim"}
    weak = tables().metric_weak
    # "哪几款产品最好卖": which products ranked by a measure, not how many ("我们卖哪几款投影仪" lists the catalogue)
    which = [(w.start(), w.end()) for w in re.finditer("哪几", q)] if _superlative(q) else []
    named = [
        m
        for m in topics
        if m.kind == "metric" and (m.start, m.end) not in dim_spans and not _overlaps(m.start, m.end, which)
    ]
    if any(q[m.start : m.end].lower() not in weak for m in named):
        named = [m for m in named if q[m.start : m.end].lower() not in weak]
    plain = [m.key for m in named]
    both = [m.key for m in topics if m.kind == "metric" and (m.start, m.end) in dim_spans]
    if not plain and both and COUNT_RE.search(q):
        plain = both
    out = _unique(plain)
    if _inactive_days(q) is not None and "days_since_last_order" not in out:
        out.append("days_since_last_order")
    return out


def _with_measure(metrics: list[str], measure: MeasureReading, topics: list[Match]) -> list[str]:
    """The measure read from its parts first; a synonym's measure of the same object, or named by the same
    words, gives way to it ("被退货的订单金额": the returned amount, not the order count)."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for m in topics:
        if m.kind == "metric":
            spans.setdefault(m.key, []).append((m.start, m.end))
    kept = [
        k
        for k in metrics
        if k != measure.metric
        and object_of(k) != measure.object
        and not any(_overlaps(s, e, list(measure.spans)) for s, e in spans.get(k, []))
    ]
    return [measure.metric, *kept]


# A question about the subject of the product (customers, sales, the analyses) and shaped as a question: what a
# concept guess needs before the knowledge base is searched.
DOMAIN_RE = re.compile(r"客户|顾客|用户|销售|客群|\b(customers?|clients?|accounts?|sales|buyers?)\b", re.IGNORECASE)
QUESTION_SHAPE_RE = re.compile(
    r"什么|哪|怎么|怎样|如何|为什么|为何|咋|啥|吗|呢|多少|几|[?？]|\b(what|which|how|why|when|should|does|do|is|are)\b",
    re.IGNORECASE,
)


# Words that ask for a breakdown; without one, a dimension word that an entity of the same kind explains is a filter.
GROUPING_RE = re.compile(
    r"按|各|每个|每一|每家|分别|分[^,，。?？]{0,3}看|\b(by|per|each|every|across)\b", re.IGNORECASE
)
MINE_VERB_RE = CUES["mine_verb"]
JUDGED_NOW_RE = CUES["judged_now"]
PEOPLE_RE = CUES["people"]
# Counts of the things a dimension lists: "of them" after such a count groups by that dimension.
COUNTED_DIMENSION = {"rep_count": "rep", "product_count": "product"}
HEADCOUNT_RE = CUES["headcount"]
HAVE_RE = re.compile(r"有|\b(have|has|had)\b", re.IGNORECASE)
NEW_THING_RE = re.compile(
    r"新增(?:了)?\s*(?:多少|几)?\s*(?:个|笔|张|单|条|份)?\s*(?:订单|单子|工单|发票|投诉|问卷|合同)"
)
SALES_CHANNEL_RE = re.compile(
    r"销售渠道|下单渠道|成交渠道|\b(?:sales|order|ordering|selling) channels?\b", re.IGNORECASE
)
# "how many of those were about 物流配送": a later part that narrows the earlier things to a kind of them
ABOUT_RE = re.compile(r"\babout\b|关于|涉及|是因为|because of", re.IGNORECASE)
# what most of the subject is ("我的客户主要是哪个行业的", "大部分客户在哪个城市", "what are my customers mostly"),
# not what they mainly buy: a verb of buying between makes it sales
MOSTLY_RE = re.compile(
    r"(?:主要|大多|大部分|多数)(?:都)?(?:是|在|集中在|分布在|来自)|\b(?:mostly|mainly|mostly in|mainly in)\b(?!\s+(?:buy|order|purchase))",
    re.IGNORECASE,
)
# the customers, however called: "哪些大型企业", "which large companies do we have in Xi'an"
CUSTOMER_NOUN_RE = re.compile(
    r"客户|企业|公司|\b(customers?|accounts?|clients?|compan(?:y|ies)|firms?|businesses|enterprises)\b", re.IGNORECASE
)
COUNTED_PERSON_RE = re.compile(r"(?:几|多少|每|各|这|那|哪|[一二两三四五六七八九十\d])$")
TICKET_FACTS = ("tickets", "open_tickets")


CONTACT_KINDS = ("contact_channel", "contact_purpose")
CONTACT_VERB_RE = re.compile(
    r"联系了?|联系得?|拜访|接触|跟进|回访|触达|打了?.{0,3}电话|催了?.{0,3}款"
    r"|\b(contacted|contacting|visited|reached out|called|calls|contact (?:customers|accounts|clients|them)|"
    r"(?:did|do|does)\s+(?:we|I|they)\s+contact)\b",
    re.IGNORECASE,
)
CUSTOMER_AFTER_RE = re.compile(
    r"\s*(?:行业的?|业的?)?\s*(?:客户|企业|公司|customers|accounts|clients|companies|firms)", re.IGNORECASE
)
TICKET_WORD_RE = re.compile(
    r"工单|服务单|投诉|咨询|客诉|\b(tickets?|cases?|complaints?|inquir(?:y|ies)|enquir(?:y|ies)|suggestions?)\b",
    re.IGNORECASE,
)


def _contact_words(ents: list[Entity], metrics: list[str], q: str) -> list[Entity]:
    """How and why a contact was made ("上门拜访", "电话", "催款") filter contacts; a word that also names an order
    channel ("电话") is the order channel for any other measure, the contact channel for contacts."""
    contacts = bool(metrics) and all(_fact_of(m) in ("interactions", *TICKET_FACTS) for m in metrics)
    tickets = bool(metrics) and all(_fact_of(m) in TICKET_FACTS for m in metrics)
    if not tickets:  # what a ticket is about filters tickets only
        ents = [e for e in ents if e.kind != "issue_category"]
    else:
        # "complaints about logistics": on tickets, a word that names an industry and a ticket topic is the topic,
        # unless it describes customers ("logistics customers", "物流客户")
        about = {(e.start, e.end) for e in ents if e.kind == "issue_category"}
        whose = {(e.start, e.end) for e in ents if CUSTOMER_AFTER_RE.match(q, e.end)}
        ents = [
            e
            for e in ents
            if not (
                (e.kind == "industry" and (e.start, e.end) in about - whose)
                or (e.kind == "issue_category" and (e.start, e.end) in whose)
            )
        ]
    spans = {(e.start, e.end) for e in ents if e.kind in CONTACT_KINDS}
    if contacts:
        return [e for e in ents if not (e.kind == "channel" and (e.start, e.end) in spans)]
    return [e for e in ents if e.kind not in CONTACT_KINDS]


def _fact_of(metric: str) -> str | None:
    return load_table("metrics")["metrics"].get(metric, {}).get("fact")


def _judged_now(metrics: list[str]) -> bool:
    """Whether a metric is a snapshot that can be judged now over a past period's records (its fact says how:
    `where_now` in metrics.yaml)."""
    facts = load_table("metrics")["facts"]
    return any("where_now" in facts.get(_fact_of(m) or "", {}) for m in metrics)


def _survey_score(q: str, metrics: list[str], taken: list[tuple[int, int]]) -> Entity | None:
    """A survey score named with a value ("推荐意愿打了0分", "a CSAT of 1"), unless the measure already says which
    scores it counts (promoters are 9–10) or the question is about something other than surveys."""
    if any(_fact_of(m) not in ("surveys", "lines", "customer_base") for m in metrics):
        return None
    if any(_fact_of(m) != "surveys" for m in metrics) and not set(metrics) <= {"customers", "customer_count"}:
        return None  # a measure of something else ("打了0分的客户今年的销售额" is not read here)
    if any(p.kind == "qualifier" and p.key in ("promoter", "detractor") for p in find_parts(q, taken)):
        return None
    cond = read_score(q)
    if cond is None or _overlaps(cond.start, cond.end, taken):
        return None
    return Entity("survey_score", cond.spec, cond.spec, cond.start, cond.end, q[cond.start : cond.end])


def _ticket_kinds(q: str, metrics: list[str], taken: list[tuple[int, int]]) -> list[Entity]:
    """The kinds of ticket a question names beside a ticket measure ("投诉单平均多久解决", "how many inquiries"):
    filters, unless the measure already counts that kind (complaints)."""
    sem = load_table("metrics")["metrics"]
    if not metrics or any(sem.get(m, {}).get("fact") not in TICKET_FACTS for m in metrics):
        return []
    if any("kind =" in str(sem[m].get("sql", "")) for m in metrics):
        return []  # the measure counts one kind itself (complaints, customers who complained)
    out: list[Entity] = []
    for p in find_parts(q, taken):
        for key, value in kind_filters().get(p.key, {}).items() if p.kind == "qualifier" else ():
            if key == "ticket_kind" and not any(e.value == value for e in out):
                out.append(Entity("ticket_kind", value, value, p.start, p.end, q[p.start : p.end]))
    return out


FRAMING_RE = CUES["framing"]
TOTAL_RE = CUES["total"]
PRODUCT_LIST_RE = CUES["product_list"]
AMONG_RE = CUES["among"]
# A later part that asks for a value and names nothing else ("今年到现在又是多少?", "and this year?").
VALUE_ASK_RE = re.compile(r"多少|几|怎么样|如何|呢|\b(how much|how many|what about|and|how about)\b", re.IGNORECASE)

# Words that ask for equal stretches of time ("去年同期", "同比", "yoy"): a running period is then compared with the
# same days of the other, not with the whole of it.
LIKE_FOR_LIKE_RE = re.compile(
    r"同期|同比|环比|same (?:period|time|months?|days)|year[- ]over[- ]year|\byoy\b|month[- ]over[- ]month|"
    r"quarter[- ]over[- ]quarter|\bmom\b|\bqoq\b|like[- ]for[- ]like",
    re.IGNORECASE,
)


MEASURE_SUFFIX = re.compile(r"(数|数量|次数|笔数|率|额|金额|count|number|rate|amount)$", re.IGNORECASE)


def _same_span_metric(m: Match, topics: list[Match], strict: bool = False) -> bool:
    """The analysis's words are also a metric's ("满意度"). A metric word inside a longer analysis phrase ("bought"
    in "bought together") does not make the phrase a measure, unless ``strict``."""

    def inside(o: Match) -> bool:
        return not strict and m.length > o.length and m.start <= o.start and o.end <= m.end

    return any(o.kind == "metric" and o.start < m.end and m.start < o.end and not inside(o) for o in topics)


def _demoted(m: Match, topics: list[Match], q: str) -> bool:
    """An analysis word inside a longer, explicit measure ("投诉" in "投诉数") asks for the measure."""
    return any(
        o.kind == "metric"
        and o.start <= m.start
        and m.end <= o.end
        and o.length > m.length
        and MEASURE_SUFFIX.search(q[o.start : o.end])
        for o in topics
    )


def _allows(model: type[BaseModel], field_name: str, value: str) -> bool:
    schema = model.model_json_schema()
    prop = schema.get("properties", {}).get(field_name, {})
    enum = prop.get("enum")
    if enum is None:
        for alt in prop.get("anyOf", []):
            if "enum" in alt:
                enum = alt["enum"]
            elif "$ref" in alt:
                ref = schema.get("$defs", {}).get(alt["$ref"].split("/")[-1], {})
                enum = ref.get("enum", enum)
    if enum is None and "$ref" in prop:
        enum = schema.get("$defs", {}).get(prop["$ref"].split("/")[-1], {}).get("enum")
    if enum is None:
        return prop.get("type") == "string"
    return value in enum


# A snapshot metric asked for over time → the metric that counts the same thing per period.
SNAPSHOT_TREND = {"active_customers": "customers"}


def _per_customer_metric(metric: str) -> bool:
    """The metric can be split by customer (marketing spend cannot: its fact has no customer)."""
    sem = load_table("metrics")
    fact = sem["metrics"].get(metric, {}).get("fact")
    return fact is None or bool(sem["facts"].get(fact, {}).get("customer"))


def _described_again(earlier: str, r: Reading) -> str:
    """The words of the earlier part that describe its things (qualifiers and an object other than customers),
    when the later part names only a quantity of them, unlike the earlier one's; else ""."""
    if r.metrics or r.intents or r.dims or r.ents or r.customers:
        return ""
    later = find_parts(r.q)
    if not later or any(p.kind != "quantity" for p in later):
        return ""
    before = find_parts(earlier)
    if {p.key for p in before if p.kind == "quantity"} & {p.key for p in later}:
        return ""
    words = [earlier[p.start : p.end] for p in before if p.kind == "qualifier"]
    if not words:
        return ""
    words += [earlier[p.start : p.end] for p in before if p.kind == "object" and p.key != "customer"][:1]
    return " ".join(_unique(words))


YEAR_NAMED_RE = re.compile(r"\d{2,4}\s*年|\d{4}|[今去前明本当同]年|\byears?\b|\bytd\b", re.IGNORECASE)


def _year_of(first: TimeMatch, later: TimeMatch, piece: str) -> str:
    """A later part's half, quarter or month named without a year is in the earlier part's year:
    "去年上半年来了多少新客户?下半年呢?" asks about last year's second half."""
    p, q = first.period, later.period
    if q.grain not in ("half", "quarter", "month") or YEAR_NAMED_RE.search(later.text):
        return piece
    if p.start.year != p.end.year or p.start.year == q.start.year or later.text not in piece:
        return piece
    zh = bool(re.search(r"[\u4e00-\u9fff]", later.text))
    named = f"{p.start.year}年{later.text}" if zh else f"{later.text} {p.start.year}"
    return piece.replace(later.text, named, 1)


def _top_n(q: str) -> int | None:
    q = TOP_PERCENT_RE.sub(" ", q)  # "top 20%" is a share of the customers, not twenty rows
    for rx in TOP_RE:
        m = rx.search(q)
        if m:
            n = parse_int(next(g for g in m.groups() if g))
            if n and 0 < n <= 1000:
                return n
    if re.search(
        r"\btop\s+(customers|accounts|clients|products|cities|regions|reps)\b|前几名|排名靠前", q, re.IGNORECASE
    ):
        return 10
    return None


def _period_pair(q: str, ref: dt.date) -> tuple[TimeMatch, str, list[tuple[int, int]]] | None:
    """Two periods where the earlier is the later one's previous period or the same period a year before:
    the later period with that comparison, and both spans."""
    periods = find_all_periods(q, ref)
    if len(periods) != 2:
        return None
    earlier, later = sorted(periods, key=lambda m: m.period.start)
    spans = [(m.start, m.end) for m in periods]
    # a year against the year before is "year over year" (both readings agree on the dates)
    if later.period.same_period_last_year().start == earlier.period.start:
        return later, "same_period_last_year", spans
    if later.period.previous().start == earlier.period.start:
        return later, "previous_period", spans
    return None


def _inside_comparison(q: str, time: TimeMatch) -> bool:
    low = q.lower()
    for words in COMPARE_PATTERNS.values():
        for w in words:
            for m in re.finditer(re.escape(w), low):
                if m.start() <= time.start and time.end <= m.end():
                    return True
    return False


def _each_unit(q: str) -> str | None:
    """ "去年四个季度的销售额分别是多少": the unit whose periods are asked for one by one ("分别", "each")."""
    if not re.search(r"分别|各自|\beach\b|\brespectively\b", q, re.IGNORECASE):
        return None
    # "revenue in each region last quarter": "each" goes with the region; the quarter is the period, one of them
    q = re.sub(r"\b(?:last|this|next|previous|the)\s+(?:quarter|month|year)\b", " ", q, flags=re.IGNORECASE)
    for word, grain in UNIT_WORDS:
        if re.search(rf"(\d+|[一二三四五六七八九十两几]+)\s*个?\s*{word}|{word}s?\b", q, re.IGNORECASE):
            return grain
    return None


def _time_grain(q: str) -> str | None:
    for pattern, grain in TIME_GRAIN:
        if re.search(pattern, q, re.IGNORECASE):
            return grain
    return None


def _span_days(text: str) -> int | None:
    """'90天' → 90, '3个月' → 90, '半年' → 180, 'six months' → 180."""
    t = text.strip().lower()
    if t in SPAN_DAYS:
        return SPAN_DAYS[t]
    m = re.fullmatch(
        rf"({NUMBER_RE}|a|one|two|three|four|five|six|nine|twelve)\s*(天|个月|个季度|周|年|days?|weeks?|months?|years?)",
        t,
    )
    if not m:
        return None
    n = 1 if m.group(1) == "a" else parse_int(m.group(1))
    if n is None:
        return None
    unit = m.group(2)
    per = {"天": 1, "周": 7, "个月": 30, "个季度": 90, "年": 365}.get(unit)
    if per is None:
        per = {"d": 1, "w": 7, "m": 30, "y": 365}[unit[0]]
    return n * per


def _inactive_days(q: str) -> int | None:
    for rx in INACTIVE_RE:
        m = rx.search(q)
        if m:
            return parse_int(m.group(1))
    for rx in INACTIVE_SPAN_RE:
        m = rx.search(q)
        if m:
            return _span_days(m.group(1))
    return None


# An amount, not a span of time ("over 60 days" is an age, not a threshold on the metric).
AMOUNT_RX = (
    rf"({NUMBER_RE}\s*(?:万|亿|k|w|m)?)(?![\d.])"
    r"(?!\s*(?:天|日|个月|月|年|周|小时|(?:days?|weeks?|months?|years?|hours?)\b))"
    r"(?:元|块|次|单|个|件|cny|rmb|yuan)?"
)
HAS_NUMBER_RE = re.compile(NUMBER_RE)


def _word_rx(word: str) -> str:
    return re.escape(word) if not word.isascii() else rf"(?<![a-z]){re.escape(word)}(?![a-z])"


@cache
def _condition_patterns(word: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The comparisons a measure word can carry, compiled once per word, in the order they are tried."""
    ww = _word_rx(word)
    out = []
    for pattern, op in COMPARATORS:
        # "销售额超过10万", "owe us more than 50000" (a few words between), "more than 100k revenue"
        out.append((rf"{ww}(?:\s*(?:是|为|都|在|达到)?\s*|(?:\s+\w+){{0,2}}\s+)(?:{pattern})\s*{AMOUNT_RX}", op))
        out.append((rf"(?:{pattern})\s*{AMOUNT_RX}\s*(?:of\s+|in\s+)?{ww}", op))
    for pattern, op in POSTFIX_COMPARATORS:
        # "信用额度在30万及以上", "a credit limit of 100,000 or more"
        out.append((rf"{ww}\s*(?:是|为|都|在|达到|of|is|at)?\s*{AMOUNT_RX}\s*(?:{pattern})", op))
    return tuple((re.compile(rx, re.IGNORECASE), op) for rx, op in out)


@cache
def _negative_pattern(word: str) -> re.Pattern[str]:
    ww = _word_rx(word)
    return re.compile(rf"{ww}\s*(?:{NEGATIVE_RE})|(?:negative)\s+{ww}", re.IGNORECASE)


def _metric_conditions(q: str, metrics: list[str]) -> list[dict[str, Any]]:
    """'销售额超过10万' / 'revenue above 100k' → having conditions on a metric named in the question."""
    q = times_as_digits(q)  # "complained more than twice"
    out: list[dict[str, Any]] = []
    syn = tables().metrics
    has_number = bool(HAS_NUMBER_RE.search(q))
    low = q.lower()
    for mid in metrics:
        if mid == "days_since_last_order":
            continue
        words = [
            syn[mid].get("zh", ""),
            syn[mid].get("en", ""),
            *syn[mid].get("synonyms", {}).get("zh", []),
            *syn[mid].get("synonyms", {}).get("en", []),
        ]
        words += extra_synonyms(mid)
        found = None
        # Only words present in the question can carry a condition.
        for w in sorted((str(w) for w in words if w and str(w).lower() in low), key=len, reverse=True):
            for rx, op in _condition_patterns(w) if has_number else ():
                m = rx.search(q)
                if m:
                    v = parse_number(m.group(1).replace(" ", ""))
                    if v is not None:
                        found = {"metric": mid, "op": op, "value": v}
                        break
            if not found and _negative_pattern(w).search(q):
                found = {"metric": mid, "op": "<", "value": 0.0}
            if found:
                break
        if found:
            out.append(found)
    done = {h["metric"] for h in out}
    out += [h for h in _count_conditions(q) if h["metric"] in metrics and h["metric"] not in done]
    return out


# Things counted by their noun in a condition on a group: "客户不到20家的城市", "cities with fewer than 20 customers",
# "产品超过50款的品类": metric → (Chinese nouns, measure words, English nouns).
COUNTED_NOUNS = {
    "customer_count": ("客户|客户数|企业|公司", "家|个", "customers|accounts|clients|companies"),
    "product_count": ("产品|产品数|商品", "款|个|种", "products|items"),
}


def _count_conditions(q: str) -> list[dict[str, Any]]:
    """Conditions on how many of a thing a group has ("客户不到20家的城市"): having on its count metric."""
    out = []
    for metric, (zh, mw, en) in COUNTED_NOUNS.items():
        for pattern, op in COMPARATORS:
            for rx in (
                rf"(?:{zh})\s*(?:{pattern})\s*({NUMBER_RE})\s*(?:{mw})",
                rf"(?:{pattern})\s*({NUMBER_RE})\s*(?:{mw})\s*(?:{zh})",
                rf"(?:{pattern})\s*({NUMBER_RE})\s+(?:{en})\b",
            ):
                m = re.search(rx, q, re.IGNORECASE)
                if m and (v := parse_number(m.group(1))) is not None:
                    out.append({"metric": metric, "op": op, "value": v})
                    break
            if out and out[-1]["metric"] == metric:
                break
    return out


# one measure over another: "除以", "÷", "divided by", "per", "单个…的", "平均每"
DIVIDED_RE = re.compile(r"除以|÷|\bdivided by\b|\bper\b|单个|平均每|每个", re.IGNORECASE)


def _ratio_named(q: str, metrics: list[str]) -> str | None:
    """The ratio metric whose two parts the question names with a word of division between them, else None."""
    if not DIVIDED_RE.search(q):
        return None
    sem = tables().metrics
    named = [m for m in metrics if sem.get(m, {}).get("ratio")]
    if named:
        return named[0]  # said by its own name ("单个客户的营销成本", "revenue per customer")
    low = q.lower()
    for mid, md in sem.items():
        parts = md.get("ratio")
        if not parts or parts[0] not in metrics:
            continue
        per = [str(w).lower() for lang in ("zh", "en") for w in md.get("per", {}).get(lang, [])]
        if parts[1] in metrics or any(w in low for w in per):
            return str(mid)
    return None


def extra_synonyms(metric: str) -> list[str]:
    return list(tables().metric_extra.get(metric, ()))


# ---- the decision: rules in order; the first that returns a plan decides ------------------------
Rule = Callable[[Router, Reading], Plan | None]


def why_about_customer(router: Router, r: Reading) -> Plan | None:
    """Why-questions about a customer from the last answer: the figures plus the explanation."""
    last = r.ctx.last_plan
    if not (r.customers and WHY_RE.search(r.q) and last and last.tool):
        return None
    plan = router._plan_tool(last.tool, r, base=last.args)
    plan.explain_query = r.q
    plan.reason = f"why-question about {r.customers[0].value} after {last.tool}"
    return plan


def explanation(router: Router, r: Reading) -> Plan | None:
    """A concept asked about with no data cue: the knowledge base explains it."""
    if not (r.explain and not r.data_cues):
        return None
    return Plan(
        "explain",
        r.lang,
        tool=r.best,
        explain_query=r.q,
        reason=f"asks for an explanation{f' of {r.best}' if r.best else ''}",
        period=r.time.period if r.time else None,
    )


def ordinal_customer(router: Router, r: Reading) -> Plan | None:
    """ "第三个客户的详情": the customer at that place in the last list."""
    strong = r.best_strong and r.strong_score >= 3
    if r.ordinal and not r.metrics and not strong and (DETAIL_RE.search(r.q) or not r.intents):
        return router._plan_tool("customer_profile", r)
    return None


def customers_having(router: Router, r: Reading) -> Plan | None:
    """ "Which customers have a complaint that is still open?", "哪些客户还有没解决的工单": the customers with at least
    one of the things a ticket measure counts, each listed with their count (names, not ticket rows)."""
    customers = "customer" in r.dims or r.cues["customer_word"] or CUSTOMER_NOUN_RE.search(r.q)
    if not (r.metrics and customers and (LIST_CUSTOMERS_RE.search(r.q) or r.cues["per_customer"])):
        return None
    metric = r.metrics[0]
    if _fact_of(metric) not in TICKET_FACTS or not HAVE_RE.search(r.q) or _top_n(r.q):
        return None
    dims = r.dims if "customer" in r.dims else ["customer", *r.dims]
    never = bool(NEVER_RE.search(r.q))
    # "which of my customers have never complained": none of them, among the customers on record (counted so that
    # customers with no ticket at all are rows too)
    metrics = [metric, "customer_count"] if never else [metric]
    plan = router._plan_metrics(replace(r, metrics=metrics, dims=dims), metrics)
    if plan.kind == "tool" and (never or not plan.args.get("having")):
        plan.args["having"] = [{"metric": metric, "op": "=" if never else ">", "value": 0}]
        plan.args = router._validated(router.registry["metric_query"].args_model, plan.args, plan, r.lang)
    return plan


def products_without(router: Router, r: Reading) -> Plan | None:
    """ "哪些产品一次投诉都没收到过", "which products have never been returned": the products in the catalogue with none
    of the measure, each listed. Only over everything the data records: a period would count the catalogue's launches
    in it, not the products on sale."""
    if not (r.metrics and r.dims == ["product"] and NEVER_RE.search(r.q)) or r.time or r.customers:
        return None
    metric = r.metrics[0]
    plan = router._plan_metrics(r, [metric, "product_count"])
    if plan.kind == "tool":
        plan.args["having"] = [{"metric": metric, "op": "=", "value": 0}]
        plan.args = router._validated(router.registry["metric_query"].args_model, plan.args, plan, r.lang)
        plan.reason = f"products with no {metric}"
    return plan


def customer_list(router: Router, r: Reading) -> Plan | None:
    """Customers listed or ranked by a measure ("西北区的大客户都有谁", "前五大客户"): every customer in scope, or the
    top N, with the measure named (revenue when none is). Analyses that list their own customers keep them."""
    ranked = RANKED_CUSTOMERS_RE.search(r.q)
    if not (ranked or LIST_CUSTOMERS_RE.search(r.q)) or (r.best_strong and r.best_strong not in LIST_OVER):
        return None
    if r.best_strong and router._mod_matches(r.best_strong, r.q):
        return None  # the analysis's own view words ("哪些客户在亏钱"): its list
    if set(r.dims) - {"customer"} or not (ranked or r.cues["customer_word"] or CUSTOMER_NOUN_RE.search(r.q)):
        return None
    top = _top_n(r.q)
    # every customer on record, unless a period or a product, category or channel makes it those who bought
    bought = top or r.time or any(e.kind in ("product", "category", "channel") for e in r.ents)
    metrics = r.metrics or (["revenue"] if bought else ["revenue", "customer_count"])
    return router._plan_metrics(replace(r, dims=["customer", *r.dims]), metrics)


def share_of_whole(router: Router, r: Reading) -> Plan | None:
    """A share read as a part over its whole (``nlu.ratio``): "今年的订单里退货单占几个点" (returned orders over
    every order), "已回款的发票里按时回款的占几成", "我的客户今年的销售额占整个华东区的多少" (my customers' revenue
    over the region's). The answer gives both figures and the share. Filters and "my customers" named on the part's
    side only are left out of the whole; a share of a value among its siblings ("华东占全公司多少") is left to the
    metric layer's grouping (``_share_part``)."""
    if not SHARE_RE.search(r.q) or _top_n(r.q) or r.customers:
        return None
    scored = [e for e in r.ents if e.kind == "survey_score"]
    if scored and r.metrics == ["survey_responses"]:
        # "CES打5分及以上的比例": the responses that gave that score over those that gave the score at all
        plan = Plan("tool", r.lang, tool="metric_query", period=r.time.period if r.time else None, entities=r.ents)
        args = router._common_filters(r, plan)
        args.update(metrics=["survey_responses"], share_of={"metric": "survey_responses", "drop": ["survey_score"]})
        plan.args = router._validated(router.registry["metric_query"].args_model, args, plan, r.lang)
        plan.reason = "share: responses that gave a score"
        return plan
    ratio = read_ratio(r.q)
    if ratio is None:
        return None
    q = r.q
    mine = router.tables.cues["mine"]
    mine_whole = any(ratio.in_whole(m.start, m.end) for m in mine.find(q))
    mine_part = (
        any(not ratio.in_whole(m.start, m.end) for m in mine.find(q)) or bool(MINE_VERB_RE.search(q))
    ) and not mine_whole
    whole_kinds = {e.kind for e in r.ents if ratio.in_whole(e.start, e.end)}
    part_kinds = {e.kind for e in r.ents if not ratio.in_whole(e.start, e.end)} - whole_kinds
    drop = [FILTER_OF_ENTITY[k] for k in sorted(part_kinds) if k in FILTER_OF_ENTITY]
    if mine_part and r.ctx.user_rep_id:
        drop.append("rep_id")
    qualified = ratio.part is not None and (ratio.part != ratio.whole or ratio.part_filters)
    if not qualified and not (mine_part and r.ctx.user_rep_id and whole_kinds):
        return None  # no qualifier on the part: a value's share among its siblings, the metric layer's grouping
    populations = {p.metric for p in ratio_table().populations}
    part, whole = ratio.part, ratio.whole
    if not qualified and r.metrics and r.metrics[0] not in populations:
        part = whole = r.metrics[0]  # "我的客户今年的销售额占整个华东区的多少": the measure the question names
    if part is None or whole is None:
        return None
    spec = router.registry.get("metric_query")
    if spec is None:
        return None
    plan = Plan("tool", r.lang, tool="metric_query", period=r.time.period if r.time else None, entities=r.ents)
    args = router._common_filters(r, plan)
    for key, values in ratio.filters.items():
        args[key] = values
    for key, values in ratio.part_filters.items():
        args[key] = values
        drop.append(key)
    filtered = {FILTER_OF_ENTITY.get(e.kind, e.kind) for e in r.ents}
    by = [d for d in r.dims if GROUPING_RE.search(q) and d != "customer" and d not in filtered]
    args.update(metrics=[part], by=by, share_of={"metric": whole, "drop": _unique(drop)})
    plan.args = router._validated(spec.args_model, args, plan, r.lang)
    plan.reason = f"share: {part} over {whole}" + (f" without {', '.join(drop)}" if drop else "")
    return plan


def _drops_a_filter(router: Router, tool: str, r: Reading) -> bool:
    """The analysis cannot apply a filter the question names that the metric layer can, for the measure the question
    names ("去年收到过多少条咨询": the kind of ticket): the metric layer answers, every filter applied."""
    spec = router.registry.get(tool)
    intent = next((k for k, v in router.tables.intents.items() if v["tool"] == tool), "")
    if spec is None or not r.metrics or router._mod_matches(intent, r.q):
        return False  # the analysis's own view ("投诉处理的积压情况": the backlog, by kind) answers it
    fields = spec.args_model.model_fields
    return any(e.kind in FILTER_OF_ENTITY and FILTER_OF_ENTITY[e.kind] not in fields for e in r.ents)


def strong_analysis(router: Router, r: Reading) -> Plan | None:
    """An analysis named outright (not only through a metric's words)."""
    if not (r.best_strong and r.strong_score >= 3):
        return None
    tool = router._tool_of(r.best_strong)
    grains = [d for d in r.dims if d in TIME_DIMS]
    if _drops_a_filter(router, tool, r) or (r.metrics and grains and router._lacks_grouping(tool, grains)):
        return None  # "我的客户今年每个月的业绩怎么样": the period review has no months; the metric layer does
    if r.strong_holds_metric and router._needs_metric_layer(r, tool, grouping=False):
        return None  # "which category's revenue dropped the most": a ranking of the measure, by the metric layer
    return router._plan_tool(tool, r)


def analysis_over_metric(router: Router, r: Reading) -> Plan | None:
    """A phrase that names both an analysis and a metric ("满意度", "投诉"): the analysis tool answers unless the
    question needs what only the metric layer does (top N, conditions, comparisons, a grouping the tool lacks)."""
    if not (r.best and r.score >= 3 and r.metrics):
        return None
    tool = router._tool_of(r.best)
    if router._needs_metric_layer(r, tool) or (COUNT_RE.search(r.q) and not router._mod_matches(r.best, r.q)):
        return None
    if _drops_a_filter(router, tool, r):
        return None
    return router._plan_tool(tool, r)


def other_measure(router: Router, r: Reading) -> Plan | None:
    """ "换成毛利看看", "what about orders": the last metric query with another measure."""
    last = r.ctx.last_plan
    if (
        r.metrics
        and last
        and last.tool == "metric_query"
        and r.cues["follow_up"]
        and not (set(r.dims) - set(last.args.get("by", [])))
        and not _top_n(r.q)
    ):
        return router._follow_up(r, metrics=r.metrics)
    return None


def metric_query(router: Router, r: Reading) -> Plan | None:
    """Metrics named: the metric layer."""
    return router._plan_metrics(r, r.metrics) if r.metrics else None


def weak_analysis(router: Router, r: Reading) -> Plan | None:
    """An analysis hinted at, or customers counted by a grouping the hinted analysis lacks."""
    if not r.best:
        return None
    # A hint word ("分布") with a grouping the analysis lacks ("客户分布在哪些行业"): count the customers by it.
    by_dim = r.score < 3 and r.customer_word and router._lacks_grouping(router._tool_of(r.best), r.dims)
    if r.score >= 1 and not by_dim:
        return router._plan_tool(router._tool_of(r.best), r)
    if r.dims and by_dim:
        return router._plan_metrics(r, ["customers"])
    return None


# What one customer is ("是做什么行业的", "which city", "公司规模多大"): answered by its profile, since a customer
# has one of each, there is nothing to group.
CUSTOMER_ATTRIBUTES = {"customer", "region", "city", "industry", "size", "acquisition_channel", "rep", "team"}


def customer_profile(router: Router, r: Reading) -> Plan | None:
    """Only a customer named, or one of the customer's own attributes asked: their profile."""
    if r.customers and not (set(r.dims) - CUSTOMER_ATTRIBUTES) and not r.metrics:
        return router._plan_tool("customer_profile", r)
    return None


def follow_up(router: Router, r: Reading) -> Plan | None:
    """ "那华北呢?", "and last year?": the last question with a slot changed."""
    if r.ctx.last_plan and (r.cues["follow_up"] or r.time or r.ents or router._comparison(r) or r.dims):
        return router._follow_up(r)
    return None


def plain_explanation(router: Router, r: Reading) -> Plan | None:
    return Plan("explain", r.lang, explain_query=r.q, reason="asks for an explanation") if r.explain else None


def concept_guess(router: Router, r: Reading) -> Plan | None:
    """A question about customers that names no analysis, measure or data ("客户分析包括哪六个方面", "what stages
    does a customer go through"): the methodology documents may answer it. A guess, so the answer falls back to
    a clarification when the knowledge base does not back it."""
    # data_cues minus the list cue: "哪些阶段" lists stages, not customers
    if r.time or r.ents or r.customers or r.cues["mine"] or _top_n(r.q) or COUNT_RE.search(r.q):
        return None
    if r.metrics or r.dims or r.intents:
        return None
    if not (r.customer_word or DOMAIN_RE.search(r.q)) or not QUESTION_SHAPE_RE.search(r.q):
        return None
    return Plan(
        "explain",
        r.lang,
        explain_query=r.q,
        reason="no data asked for: a guess at the methodology documents",
        confident=False,
        suggestions=SUGGESTIONS[r.lang],
    )


def default_measure(router: Router, r: Reading) -> Plan | None:
    """ "各区域今年" without a metric: revenue is the default measure of business, unless what the question groups
    by says otherwise (``_unnamed_measure``)."""
    grouped = r.dims or r.cues["customer_word"]
    ranked = _top_n(r.q) or _superlative(r.q) or GROWTH_RANK_RE.search(r.q)  # "which industry grew fastest"
    measure = _unnamed_measure(router, r)
    if grouped and (r.time or r.ents or r.customers or r.cues["mine"] or ranked or measure != ["revenue"]):
        return router._plan_metrics(r, measure)  # "宁波德凯餐饮主要买我们哪类产品": that customer's revenue by category
    # "东北区上季度比再上一个季度掉了多少", "这个月生意怎么样,比上个月好点没": business compared, no measure named.
    if router._comparison(r) and (r.time or r.ents or r.cues["mine"]):
        return router._plan_metrics(r, measure)
    # "上季度经销商渠道走了多少货款": an amount of money asked about named sales, with no measure named
    scoped = r.time or r.ents or r.cues["mine"] or r.customers
    if scoped and any(p.kind == "quantity" and p.key == "amount" for p in find_parts(r.q)):
        return router._plan_metrics(r, ["revenue"])
    return None


def _unnamed_measure(router: Router, r: Reading) -> list[str]:
    """The measure of a question that names none: what its grouping is counted in when only contacts or tickets have it
    ("which contact method does 客服部 use most": contacts), the customers themselves when it asks what they mostly
    are ("我的客户主要是哪个行业的": customers by industry), else revenue."""
    dims = router.tables.dimensions
    for d in r.dims:
        if default := dims.get(d, {}).get("default_metric"):
            return [default]
    if MOSTLY_RE.search(r.q) and CUSTOMER_NOUN_RE.search(r.q) and set(r.dims) - TIME_DIMS - {"customer"}:
        return ["customer_count"]
    return ["revenue"]


RULES: tuple[Rule, ...] = (
    why_about_customer,
    explanation,
    ordinal_customer,
    share_of_whole,
    customers_having,
    products_without,
    customer_list,
    strong_analysis,
    analysis_over_metric,
    other_measure,
    metric_query,
    weak_analysis,
    customer_profile,
    follow_up,
    plain_explanation,
    default_measure,
    concept_guess,
)
