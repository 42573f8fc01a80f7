"""The likeliest readings a clarification offers (assistant/nlu/readings.py): ranked by meaning across languages,
offered in the asker's language, and every one of them a question the assistant understands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pytest

from assistant.agent import Assistant
from assistant.answering.conversation import Context
from assistant.nlu.readings import Reading, Readings, catalogue, confirmed
from assistant.router.router import SUGGESTIONS, Router
from knowledge.encoder import available, get_encoder


def _fake_embed(vocab: list[str]) -> Callable[[list[str]], np.ndarray]:  # one dimension per key word
    def embed(texts: list[str]) -> np.ndarray:
        rows = np.array([[1.0 if w in t else 0.0 for w in vocab] + [0.01] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)

    return embed


def test_the_closest_readings_come_first_in_the_askers_language() -> None:
    pairs = [Reading({"zh": "销售额", "en": "revenue"}, ("销售额", "revenue")),
             Reading({"zh": "投诉", "en": "complaints"}, ("投诉", "complaints"))]  # fmt: skip
    embed = _fake_embed(["投诉", "complaints", "销售额", "revenue"])
    r = Readings(embed, base=pairs)
    assert r.likeliest("complaints lately?", "en", k=1) == ["complaints"]
    assert r.likeliest("complaints lately?", "zh", k=1) == ["投诉"]  # a pair matches by either half


def test_a_confirmed_phrasing_is_matched_by_what_was_asked_and_offered_as_confirmed() -> None:
    embed = _fake_embed(["金主", "前十"])
    r = Readings(embed, lambda: [confirmed("我们的金主爸爸都有谁", "今年销售额前十的客户")], base=())
    assert r.likeliest("金主是谁", "zh", k=1) == ["今年销售额前十的客户"]
    assert "今年销售额前十的客户" not in r.likeliest("金主是谁", "en")  # only in its own language


def test_nothing_near_offers_nothing() -> None:
    def embed(texts: list[str]) -> np.ndarray:  # 投诉 and everything else at right angles
        return np.eye(2, dtype=np.float32)[[0 if "投诉" in t else 1 for t in texts]]

    r = Readings(embed, base=[Reading({"zh": "投诉"}, ("投诉",))])
    assert r.likeliest("天气", "zh") == [] and r.likeliest("投诉多吗", "zh") == ["投诉"]


@pytest.fixture(scope="module")
def router(sample_db: Path) -> Router:
    return Router(duckdb.connect(str(sample_db), read_only=True))


@pytest.mark.parametrize("pair", [r.offer for r in catalogue()], ids=lambda p: p["en"])
def test_every_reading_is_understood_the_same_way_in_both_languages(router: Router, pair: dict[str, str]) -> None:
    plans = []
    for lang in ("zh", "en"):
        assert len(router.parts(pair[lang], Context())) == 1, pair[lang]
        plan = router.route(pair[lang], Context())
        assert plan.kind in ("tool", "explain") and plan.confident, (pair[lang], plan.kind, plan.reason)
        plans.append((plan.kind, plan.tool))
    assert plans[0] == plans[1], (pair, plans)


needs_encoder = pytest.mark.skipif(not available(), reason="the sentence encoder package is not installed")


@needs_encoder
def test_the_encoder_puts_the_reading_in_the_other_language_first() -> None:
    r = Readings(lambda t: get_encoder().encode(t))
    assert r.likeliest("客户最近都在抱怨啥", "zh")[0] == "客户最近投诉最多的是什么"
    assert r.likeliest("what are customers grumbling about these days?", "en")[0] == (
        "what do customers complain about most?"
    )


@needs_encoder
def test_a_clarification_offers_the_likeliest_readings_first(sample_db: Path, knowledge_index: Path) -> None:
    bot = Assistant(sample_db, index=knowledge_index, use_llm=False)
    try:
        ans = bot.ask("仓库里还有多少库存").to_json()  # refused: no stock data; what it can answer instead
        assert ans["route"]["kind"] == "unsupported" and not ans["data"]["rows"]
        assert ans["suggestions"][0] != SUGGESTIONS["zh"][0] and len(ans["suggestions"]) == 4
        for s in ans["suggestions"]:
            assert f"- {s}" in ans["answer"]
            assert bot.router.route(s, Context()).kind in ("tool", "explain"), s
    finally:
        bot.close()
