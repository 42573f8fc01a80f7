from __future__ import annotations

import pytest

from knowledge.clean import Line, clean_lines, clean_sentences, to_lines
from knowledge.split import chunk_text, heading_of, split_sections


@pytest.mark.parametrize(
    "line",
    [
        "導航:首頁 > 股市分析 > 客戶分析哪4方面",
        "首页 - 币安交易所 > 企业对客户信息(企业客户信息管理系统)",
        "发布时间:2021-04-06 12:32:12",
        "發布時間:2021-04-06 12:32:12",
        "发布于:2022-12-08 作者:沫沫 阅读:19",
        "- 格式:pptx",
        "- 大小:2.69 MB",
        "本文目录一览:",
        "标签: #企业对客户信息",
        "閱讀全文",
        "合集下载",
        "二维码",
        "扫一扫关注我们",
        "版权声明:本文内容由互联网用户自发贡献,本站不拥有所有权,不承担相关法律责任。",
        "股票保變電器 瀏覽:460",
        "-",
    ],
)
def test_boilerplate_line_is_dropped(line: str) -> None:
    kept = clean_lines(to_lines(f"{line}\n客户分析要从购买行为、客户特征和满意度几个方面入手,这是一段正常的正文。"))
    assert [ln.text for ln in kept if ln.text] == [
        "客户分析要从购买行为、客户特征和满意度几个方面入手,这是一段正常的正文。"
    ]


def test_link_list_goes_until_the_next_real_paragraph() -> None:
    text = "正文第一段,讲的是客户满意度的意义和做法。\n\n相关文章\n\n如何做客户分析\n客户分类方法\n大客户管理\n\n热门推荐\n理财入门\n\n客户流失分析要看最近一次购买距今多少天,以及购买频次是否在下降。"
    kept = [ln.text for ln in clean_lines(to_lines(text)) if ln.text]
    assert kept == [
        "正文第一段,讲的是客户满意度的意义和做法。",
        "客户流失分析要看最近一次购买距今多少天,以及购买频次是否在下降。",
    ]


def test_ad_sentences_are_cut_out_of_real_paragraphs() -> None:
    s = "客户基本信息分析是基础。FineBI官网: https://s.fanruan.com/f459r;可以按年龄和地区细分客户。"
    assert clean_sentences(s) == "客户基本信息分析是基础。可以按年龄和地区细分客户。"
    assert clean_sentences("关于客户分析的内容,青藤小编就和您分享到这里了。") == ""
    # ordinary text that mentions attention is kept
    assert clean_sentences("了解客户最关注的问题。") == "了解客户最关注的问题。"


def test_menus_and_repeated_lines_go_headings_stay() -> None:
    text = "\n".join(
        [
            "首页",
            "股票",
            "基金",
            "理财",
            "",
            "客户忠诚分析",
            "",
            "客户忠诚度是一个综合评估值,包括信任度、来往频率与满意程度。",
            "客户忠诚度是一个综合评估值,包括信任度、来往频率与满意程度。",
        ]
    )
    kept = [ln.text for ln in clean_lines(to_lines(text)) if ln.text]
    assert kept == ["客户忠诚分析", "客户忠诚度是一个综合评估值,包括信任度、来往频率与满意程度。"]


def test_positions_survive_cleaning() -> None:
    kept = clean_lines(to_lines("導航:首頁 > a > b\n\n真正的第一句话在第三行。", page=2))
    assert kept[-1] == Line("真正的第一句话在第三行。", 2, 2)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("## 客户分类", "客户分类"),
        ("『壹』 客戶服務需求的分析有哪方面", "客戶服務需求的分析有哪方面"),
        ("『叄』 分析客戶消費行為描述主要從哪幾方面", "分析客戶消費行為描述主要從哪幾方面"),
        ("二、客户细分", "客户细分"),
        ("(一)客户满意度", "客户满意度"),
        ("第一章 客户分析概述", "第一章 客户分析概述"),
        ("第三步:分析和解释数据", "第三步:分析和解释数据"),
        ("3、客户流失分析", "客户流失分析"),
        ("Step 2 collect the data", "Step 2 collect the data"),
        ("客户分析要从多个方面入手。", None),
        ("1、基礎資料管理:有關客戶最基本的原始資料,包括客戶的姓名或名稱、地址、電話等。", None),
    ],
)
def test_heading_markers(line: str, heading: str | None) -> None:
    assert heading_of(line) == heading


def test_sections_split_at_chinese_numbering_and_standalone_titles() -> None:
    text = "\n".join(
        [
            "客户分析入门",
            "这是导言,说明本文讲什么内容以及为什么要做客户分析这件事。",
            "一、收集数据",
            "先从订单、发票和问卷收集数据,确保口径一致,再进入下一步的分析。",
            "",
            "客户特征分析",
            "",
            "按行业、规模和地区描述客户,看看哪些特征的客户贡献了更多的收入和利润。",
        ]
    )
    secs = split_sections(clean_lines(to_lines(text)), "客户分析入门")
    assert [(s.anchor, s.heading) for s in secs] == [("s1", "客户分析入门"), ("s2", "收集数据"), ("s3", "客户特征分析")]
    assert secs[1].line == 2 and secs[2].line == 5
    assert secs[2].text.startswith("按行业")


def test_chunks_respect_paragraphs_and_size() -> None:
    paras = [f"段落{i}:" + "客户分析的内容。" * 20 for i in range(6)]  # ~165 chars each
    chunks = chunk_text("\n\n".join(paras), target=300, max_chars=500, min_chars=40)
    assert all(len(c) <= 500 for c in chunks)
    assert "".join(chunks).replace("\n", "") == "".join(paras)
    assert len(chunks) == 3
    # one very long paragraph is cut at sentence ends
    long = "这是一个句子,讲客户。" * 200
    pieces = chunk_text(long, target=300, max_chars=500, min_chars=40)
    assert all(len(p) <= 500 for p in pieces) and all(p.endswith("。") for p in pieces)
    # and a run-on text with no sentence end is hard-cut
    assert all(len(p) <= 500 for p in chunk_text("字" * 2000, target=300, max_chars=500, min_chars=40))
