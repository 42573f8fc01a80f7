"""Refusals read from limits.yaml: requests to act outside the data, and data the warehouse does not hold.

Questions written for these tests; each pair says whether the sentence is an order (refused) or a question.
"""

from __future__ import annotations

import pytest

from assistant.nlu.limits import refusal


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # an order to send, call or book is refused: the assistant reads and analyses
        ("给上个月没下单的客户群发一条短信", "action"),
        ("帮我给这几家客户发封邮件提醒付款", "action"),
        ("给王总打个电话", "action"),
        ("send a reminder email to every customer with an overdue invoice", "action"),
        ("please email all my accounts in Chengdu", "action"),
        # the same words in a question about the data are a question
        ("这礼拜该给谁打电话", None),
        ("今年给客户发送了多少封邮件", None),
        ("how many emails did we send to customers last month", None),
        ("which customers should I call this week", None),
        # what we pay to ship and what we buy are not in the data
        ("华南区每单的运费平均多少", "missing"),
        ("what did freight cost us last quarter", "missing"),
        ("哪个供应商交货最慢", "missing"),
        ("which vendors do we buy printers from", "missing"),
        # reassigning customers is a change to the data
        ("把华东的客户重新分配一下", "read_only"),
        ("please rebalance the accounts across the team", "read_only"),
        ("各销售分配到的客户数", None),
        # unrelated words stay questions
        ("how much revenue came from the online channel", None),
        ("物流行业的客户今年买了多少", None),
    ],
)
def test_refusal_reason(question: str, reason: str | None) -> None:
    got = refusal(question)
    assert (got.reason if got else None) == reason


def test_an_action_refusal_offers_what_it_can_do() -> None:
    got = refusal("给所有沉睡客户群发一封邮件")
    assert got is not None and "名单" in got.message("zh") and "list" in got.message("en")


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("what is the conversion rate of our website", "missing"),
        ("how many sales leads came in last month", "missing"),
        ("what was our win rate on quotes in Q2", "missing"),
        ("哪个仓库发货最多", "missing"),
        ("上个月营销邮件的打开率是多少", "missing"),
        ("which rep leads the team in revenue this year", None),
        ("where are our best cross-sell opportunities", None),
    ],
)
def test_what_the_data_does_not_record_before_an_order(question: str, reason: str | None) -> None:
    got = refusal(question)
    assert (got.reason if got else None) == reason


def test_a_missing_word_inside_another_word_is_not_missing() -> None:
    # 拜访客户 holds 访客 (visitors): Chinese has no word boundaries, so such words are left out of the table
    assert refusal("9月份我们上门拜访客户一共多少次") is None
