from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from knowledge import text as T
from knowledge.dedupe import Deduper, jaccard, shingles
from knowledge.embed import HashingEmbedder, default_embedder
from knowledge.index import fusion_settings
from knowledge.rank import BM25, rrf
from knowledge.text import detect_lang, tokens


def test_bm25_matches_hand_computation() -> None:
    docs = [["a", "b"], ["a", "a", "c"], ["c"]]
    bm = BM25(docs, k1=1.2, b=0.75)
    avgdl = 2.0
    idf_a = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))
    want1 = idf_a * 2 * 2.2 / (2 + 1.2 * (1 - 0.75 + 0.75 * 3 / avgdl))
    want0 = idf_a * 1 * 2.2 / (1 + 1.2 * (1 - 0.75 + 0.75 * 2 / avgdl))
    got = dict(bm.search({"a": 1.0}))
    assert got == pytest.approx({1: want1, 0: want0})
    # query-term weights scale a term's contribution; unknown terms score nothing
    assert dict(bm.search({"a": 0.5, "zzz": 1.0}))[1] == pytest.approx(want1 / 2)
    assert bm.search({"zzz": 1.0}) == []


def test_rrf_matches_hand_computation() -> None:
    fused = dict(rrf([["x", "y"], ["y", "z"]], k=60, weights=[1.0, 2.0]))
    assert fused == pytest.approx({"x": 1 / 61, "y": 1 / 62 + 2 / 61, "z": 2 / 62})
    assert rrf([["x", "y"], ["y", "z"]], k=60)[0][0] == "y"


def test_tokens_mix_jieba_words_and_english_stems() -> None:
    toks = tokens("How is the customers' churn rate 计算客户流失率?")
    assert {"customer", "churn", "rate"} <= set(toks)
    assert "the" not in toks and "is" not in toks
    assert "how" in toks  # question words stay: our headings are phrased with them
    assert "流失" in toks and "客户" in toks
    assert detect_lang("What is 流失?") == "en" and detect_lang("RFM 是什么") == "zh"


def test_hashing_embedding_is_unit_length_and_deterministic_across_processes() -> None:
    texts = ["RFM 模型与八类客户", "customer lifetime value", ""]
    here = HashingEmbedder(dims=1024).embed(texts)
    assert here.shape == (3, 1024)
    assert np.allclose(np.linalg.norm(here[:2], axis=1), 1.0) and not here[2].any()
    code = "import json,sys; from knowledge.embed import HashingEmbedder; print(json.dumps(HashingEmbedder(dims=1024).embed(json.loads(sys.argv[1])).tolist()))"
    out = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], capture_output=True, text=True, check=True)
    assert np.allclose(np.asarray(json.loads(out.stdout)), here)
    assert out.stderr == ""  # jieba initialises quietly


def test_hashing_embedding_ranks_related_text_higher() -> None:
    e = HashingEmbedder()
    q, near, far = e.embed(["客户流失率怎么计算", "流失率等于流失客户数除以期初客户数", "净推荐值来自问卷打分"])
    assert float(q @ near) > float(q @ far)
    q, near, far = e.embed(["churned customers", "the churn rate of customers", "net promoter score survey"])
    assert float(q @ near) > float(q @ far)


def test_default_embedder_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.errors import ConfigError

    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "hashing")
    assert isinstance(default_embedder(), HashingEmbedder)
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "bogus")
    with pytest.raises(ConfigError):
        default_embedder()
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError) as exc:
        default_embedder()
    assert "OPENAI_API_KEY" in exc.value.en


def test_near_duplicates_are_caught_and_distinct_text_is_not() -> None:
    base = (
        "客户满意度是衡量客户对企业产品或服务满意程度的重要指标,通常通过问卷调查获取,并按产品和区域比较。"
        "满意的前百分之二十和不满意的后百分之二十客户要分别描述特征,找出差异背后的原因,再决定改进的先后顺序。"
    )
    assert jaccard(shingles(base), shingles(base + "另外")) > 0.8
    d = Deduper()
    assert d.is_duplicate(base) is False
    assert d.is_duplicate(base.replace("通常", "一般")) is True
    assert d.is_duplicate(base + "\n") is True  # whitespace does not make text new
    assert d.is_duplicate("信用分析看的是应收账款的账龄、逾期发票占比和信用额度使用率,是完全不同的话题。") is False
    assert d.is_duplicate("   ") is True  # empty passages are never kept


def test_fusion_settings_per_question_language() -> None:
    cfg = T.rules()
    en = cfg["semantic"]["languages"]["en"]
    # English questions take their own encoder weight and rank constant (tuned apart, rules.yaml semantic.languages)
    assert fusion_settings("en", semantic=True) == (float(en["vector_weight"]), int(en["rrf_k"]))
    # a language without its own entry keeps the shared ones
    assert fusion_settings("zh", semantic=True) == (
        float(cfg["semantic"]["vector_weight"]),
        int(cfg["fusion"]["rrf_k"]),
    )
    # the hashing vectors were never tuned per language: the overrides do not apply to them
    assert fusion_settings("en", semantic=False) == (
        float(cfg["fusion"]["weights"]["vector"]),
        int(cfg["fusion"]["rrf_k"]),
    )
