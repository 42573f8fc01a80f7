"""The measure read from its parts (assistant/nlu/measures.yaml): wordings that name no metric synonym whole."""

from __future__ import annotations

import pytest

from assistant.nlu.measures import check_measure, find_parts, object_of, read_measure, table, with_companions
from tools.tables import load

METRICS = load("metrics")["metrics"]


def test_every_frame_names_a_metric_and_every_metric_has_a_frame() -> None:
    framed = {f.metric for f in table().frames}
    assert framed <= set(METRICS), framed - set(METRICS)
    assert set(METRICS) <= framed, set(METRICS) - framed


def test_every_qualifier_in_a_frame_has_words() -> None:
    words = {(kind, key) for _p, _rx, kind, key in table().words}
    for f in table().frames:
        for q in f.quals:
            assert ("qualifier", q) in words, (f.metric, q)
        for qty in f.qtys:
            assert ("quantity", qty) in words, (f.metric, qty)


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("逾期没回款的钱一共多少", "overdue_amount"),
        ("过了到期日还欠着的款项有多少", "overdue_amount"),
        ("有几张发票超过账期还没付", "overdue_open_invoices"),
        ("how many invoices are past due and still unpaid", "overdue_open_invoices"),
        ("what share of invoices were paid late last year", "overdue_rate"),
        ("去年发票的逾期比例", "overdue_rate"),
        ("客户还欠我们多少钱", "unpaid_amount"),
        # "多少" before a money word asks the amount, though a counter (款) follows it ("回款" is the payment)
        ("华东的客户一共还有多少钱没回款", "unpaid_amount"),
        ("还有多少张没回款的发票", "unpaid_invoices"),
        # the amount of the invoices that are overdue (paid late too) vs what is still owed past due
        ("逾期发票的金额一共多少", "overdue_invoice_amount"),
        ("逾期金额一共多少", "overdue_amount"),
        ("逾期未付发票的金额", "overdue_amount"),
        ("过期没付的发票一共多少钱", "overdue_amount"),  # still owed
        # paid, after the due date: paid late (not the contract's overdue, which holds the unpaid too)
        ("有几张发票是过了到期日才付款的", "paid_late_invoices"),
        ("how many invoices were paid late last year", "paid_late_invoices"),  # paid, after the due date
        ("还没付清的发票金额", "unpaid_amount"),
        ("我们给客户的平均授信额度有多少", "avg_credit_limit"),
        ("华东客户的信用额度一共多少", "credit_limit"),
        ("value of open invoices", "unpaid_amount"),
        ("被退回的货值多少钱", "returned_amount"),
        ("how much money did returned orders represent", "returned_amount"),
        ("退了几单", "returns"),
        ("what percentage of orders were sent back", "return_rate"),
        ("砍单的金额", "cancelled_amount"),
        ("how many orders got cancelled", "cancelled_orders"),
        ("第一次买我们东西的客户有几家", "new_customers"),
        ("how many first-time buyers did we get", "new_customers"),
        ("新注册的客户有多少家", "signups"),
        ("how many accounts signed up", "signups"),
        ("还开着的工单有几个", "open_tickets"),
        ("how many complaints came in", "complaints"),
        ("工单平均多久能处理完", "avg_resolution_hours"),
        ("how long does it take on average to resolve a ticket", "avg_resolution_hours"),
        ("打了9分以上的推荐者有多少人次", "promoters"),
        ("推荐者占多少", "promoter_share"),
        ("what percentage of respondents are detractors", "detractor_share"),
    ],
)
def test_qualified_measures(question: str, metric: str) -> None:
    found = read_measure(question)
    assert found is not None and found.metric == metric, (question, found)


@pytest.mark.parametrize(
    "question",
    [
        "华东区今年的销售额",  # no qualifier: the synonyms name it
        "how many orders did we get last month",
        "如何处理流失客户",  # 处理 without a ticket and a duration is not the resolution time
        "各部门处理的工单数排个序",  # a count of tickets, not their resolution time
        "",
    ],
)
def test_unqualified_questions_are_left_to_the_synonyms(question: str) -> None:
    assert read_measure(question) is None


def test_names_and_dates_are_not_read_as_parts() -> None:
    q = "退货王贸易公司的订单金额"
    assert read_measure(q) is not None  # as a bare string, 退货 is a qualifier …
    assert read_measure(q, [(0, 7)]) is None  # … but not inside a customer's name


def test_longest_word_wins() -> None:
    kinds = [(p.kind, p.key) for p in find_parts("未解决的工单")]
    assert kinds == [("qualifier", "open"), ("object", "ticket")]


def test_objects() -> None:
    assert object_of("returned_amount") == object_of("revenue") == "order"
    assert object_of("overdue_amount") == "invoice"
    assert object_of("nope") is None


@pytest.mark.parametrize(
    ("question", "metrics", "expected"),
    [
        ("今年的CSAT是多少", ["csat"], ["csat", "csat_avg"]),  # read either way: both are shown
        ("CSAT and NPS this year", ["csat", "nps"], ["csat", "csat_avg", "nps"]),
        ("今年的满意率是多少", ["csat"], ["csat"]),  # a rate is named
        ("what percentage of responses were satisfied (CSAT)", ["csat"], ["csat"]),
        ("average CSAT", ["csat_avg"], ["csat_avg"]),
        ("revenue this year", ["revenue"], ["revenue"]),
    ],
)
def test_companions(question: str, metrics: list[str], expected: list[str]) -> None:
    assert with_companions(metrics, question) == expected


def test_companions_name_real_metrics() -> None:
    for a, b in table().companions.items():
        assert a in METRICS and b in METRICS


@pytest.mark.parametrize(
    ("question", "synonyms", "metric"),
    [
        ("我的客户今年一共下了多少成交单", [], "orders"),  # the object right after the count word is counted
        ("去年平均每一单成交金额是多少", ["revenue"], "avg_order_value"),  # an average of amounts, not the sum
        ("平均一单多少钱", [], "avg_order_value"),
        ("how many invoices did we issue", [], "invoice_count"),
    ],
)
def test_plain_measures_named_by_object_and_quantity(question: str, synonyms: list[str], metric: str) -> None:
    found = check_measure(question, synonyms)
    assert found is not None and found.metric == metric, found


@pytest.mark.parametrize(
    ("question", "synonyms"),
    [
        ("有多少客户", []),  # customers bought or on record: the counting rules decide, not a tie broken at random
        ("我负责的客户今年成交了多少钱", []),  # money from customers is revenue, never their credit limits
        ("how many orders", ["orders"]),  # nothing to correct
        ("退货金额", ["returned_amount"]),  # qualified: read_measure's case
    ],
)
def test_plain_measures_left_alone(question: str, synonyms: list[str]) -> None:
    assert check_measure(question, synonyms) is None


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("今年有多少家客户投诉过我们", "complaining_customers"),  # 家 counts customers
        ("今年客户投诉了多少次", "complaints"),  # 次 counts the complaints
        ("how many customers took a survey this year", "surveyed_customers"),
        ("我的客户里有几家逾期欠款没付", "overdue_customers"),
        ("我的客户里有几张发票逾期没付", "overdue_open_invoices"),  # 张 counts invoices
        ("去年投诉最多的客户", "complaints"),  # a ranking of customers by complaints, no count of customers asked
    ],
)
def test_the_thing_counted(question: str, metric: str) -> None:
    found = read_measure(question)
    assert found is not None and found.metric == metric, found
