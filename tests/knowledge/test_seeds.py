"""The real scraped pages in ../shared/seeds: their ads, link lists and navigation never come back."""

from __future__ import annotations

from pathlib import Path

from knowledge.index import KnowledgeBase, chunk_document
from knowledge.ingest import read_document

# Strings that only occur in boilerplate of the seed pages.
JUNK = [
    "導航",
    "首頁 >",
    "發布時間",
    "发布于",
    "閱讀全文",
    "熱點內容",
    "瀏覽:",
    "相關的資料",
    "股票保變電器",
    "炒外匯入門圖解",
    "合集下载",
    "相关文档",
    "最新文档",
    "格式:pptx",
    "文档页数",
    "FineBI官网",
    "https://",
    "blog@fanruan.com",
    "仅供参考",
    "币安交易所",
    "本文目录一览",
    "扫一扫关注我们",
    "二维码",
    "版权声明",
    "不承担相关法律责任",
    "标签:",
    "发表评论",
    "别忘了关注本站",
    "青藤小编",
    "點擊本站",
]


def test_seed_pages_are_cleaned_and_split(seeds: list[Path]) -> None:
    assert seeds, "the seeds folder is empty"
    for path in seeds:
        doc = read_document(path)
        text = "\n".join(c.text for c in chunk_document(doc))
        for junk in JUNK:
            assert junk not in text, (path.name, junk)
        assert len(doc.sections) >= 5, path.name  # every page has several headed parts
        assert doc.language == "zh"


def test_seed_headings_with_chinese_numbering(seeds: list[Path]) -> None:
    by_name = {p.name[:3]: read_document(p) for p in seeds}
    if "000" in by_name:  # 『壹』『貳』 headings
        heads = [s.heading for s in by_name["000"].sections]
        assert "客戶服務需求的分析有哪方面" in heads and "從哪些方面去分析客戶" in heads
    if "001" in by_name:  # 第一步 / 一、 headings
        heads = [s.heading for s in by_name["001"].sections]
        assert any(h.startswith("第一步") for h in heads) and any(h.startswith("问询法") for h in heads)


def test_ads_and_link_lists_never_come_back_as_answers(seeds: list[Path], memory_kb: KnowledgeBase) -> None:
    report = memory_kb.add(seeds + seeds[:1])  # a file named twice is added once
    assert report["embedded_chunks"] > 50 and len(report["files"]) == len(seeds)
    assert all(f["chunks"] > 0 for f in report["files"])
    queries = [
        "热点内容 股票 理财",
        "炒外汇入门图解",
        "FineBI官网",
        "扫一扫关注我们 二维码",
        "版权声明 侵权",
        "相关文章 最新文档",
        "导航 首页 股市分析",
        "币安交易所",
        "发布时间 阅读",
    ]
    for q in queries:
        for hit in memory_kb.search(q, k=5):
            for junk in JUNK:
                assert junk not in hit.snippet, (q, junk, hit.snippet)
    # the real content does come back, cited to the seed file and its section
    hits = memory_kb.search("问询法提问要开放,不要打断客户", k=3)
    assert hits[0].kind == "user" and hits[0].source.endswith("001_045a5ce6a0fba633.txt")
    assert hits[0].heading.startswith("问询法")
