from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.errors import InputError
from knowledge.index import KnowledgeBase
from knowledge.ingest import read_document


def write_pdf(path: Path, pages: list[list[str]]) -> None:
    """A minimal valid PDF (Helvetica, one text line per entry), with a correct xref table."""
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    font_no = 3
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for ln in lines:
            ops.append("(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_no = len(objs)
        objs.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (font_no, content_no)
        )
        kids.append(len(objs))
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    path.write_bytes(bytes(out))


def write_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "大客户管理手册"
    d.add_heading("大客户分级", level=1)
    d.add_paragraph("按最近十二个月的收入把大客户分成战略、重点和普通三级,每半年重新评估一次等级。")
    d.add_heading("服务标准", level=1)
    d.add_paragraph("战略客户由总监级负责人每月拜访,重点客户每季度拜访,普通客户按需联系并定期回访。")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "等级", "拜访频率"
    t.cell(1, 0).text, t.cell(1, 1).text = "战略", "每月"
    d.save(str(path))


HTML = """<html><head><title>客户满意度调查指南</title><script>var ad = "立即购买";</script></head>
<body><nav>首页 | 产品 | 关于我们</nav>
<h1>客户满意度调查指南</h1>
<p>导航:首页 &gt; 管理 &gt; 满意度</p>
<h2>问卷怎么设计</h2><p>问卷要短,先问总体满意度,再问产品质量、交货期和服务态度,每题用一到五分打分。</p>
<h2>结果怎么用</h2><p>找出最满意和最不满意的各百分之二十客户,比较他们的行业、规模和负责的销售代表。</p>
<aside>热门推荐 <a href="/x">理财入门</a></aside><footer>版权所有 © 2024 某某网 扫一扫关注我们</footer>
</body></html>"""


def test_read_each_file_type(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "---\ntitle: 拜访计划\n---\n# 拜访计划\n\n## 第一周\n先拜访战略客户,确认年度采购计划和付款节奏。\n",
        encoding="utf-8",
    )
    (tmp_path / "b.txt").write_text(
        "客户信用分析\n\n一、账龄\n逾期九十天以上的发票要单独列出,由财务和销售共同跟进催收。\n", encoding="gb18030"
    )
    (tmp_path / "c.html").write_text(HTML, encoding="utf-8")
    write_docx(tmp_path / "d.docx")
    write_pdf(
        tmp_path / "e.pdf",
        [
            ["Customer churn review", "", "Churn rate is lost customers divided by active customers."],
            ["Win-back plan", "", "Call every lost customer within two weeks and log the reason."],
        ],
    )

    md = read_document(tmp_path / "a.md")
    assert md.title == "拜访计划" and [s.heading for s in md.sections] == ["第一周"] and md.kind == "user"
    txt = read_document(tmp_path / "b.txt")
    assert [s.heading for s in txt.sections] == ["客户信用分析", "账龄"] or [s.heading for s in txt.sections] == [
        "账龄"
    ]
    assert "逾期九十天" in txt.sections[-1].text
    html = read_document(tmp_path / "c.html")
    body = "\n".join(s.text for s in html.sections)
    assert html.title == "客户满意度调查指南"
    assert [s.heading for s in html.sections] == ["问卷怎么设计", "结果怎么用"]
    for junk in ("立即购买", "关于我们", "导航", "理财入门", "版权", "扫一扫"):
        assert junk not in body
    dx = read_document(tmp_path / "d.docx")
    assert dx.title == "大客户管理手册" and [s.heading for s in dx.sections] == ["大客户分级", "服务标准"]
    assert "战略 | 每月" in dx.sections[-1].text
    pdf = read_document(tmp_path / "e.pdf")
    assert pdf.language == "en"
    assert any("Churn rate is lost customers" in s.text for s in pdf.sections)
    assert {s.page for s in pdf.sections} >= {1, 2}


def test_bad_input_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "x.xls").write_bytes(b"junk")
    (tmp_path / "broken.pdf").write_bytes(b"not a pdf at all")
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    with pytest.raises(InputError, match="unsupported file type"):
        read_document(tmp_path / "x.xls")
    with pytest.raises(InputError, match="no such file"):
        read_document(tmp_path / "missing.md")
    with pytest.raises(InputError, match="PDF"):
        read_document(tmp_path / "broken.pdf")
    with pytest.raises(InputError, match="Word"):
        read_document(tmp_path / "broken.docx")


def test_add_files_to_the_index_and_find_them(memory_kb: KnowledgeBase, tmp_path: Path) -> None:
    write_docx(tmp_path / "d.docx")
    (tmp_path / "c.html").write_text(HTML, encoding="utf-8")
    write_pdf(
        tmp_path / "e.pdf", [["Win-back plan", "", "Call every lost customer within two weeks and log the reason."]]
    )
    report = memory_kb.add([tmp_path / "d.docx", tmp_path / "c.html", tmp_path / "e.pdf"])
    assert [f["chunks"] > 0 for f in report["files"]] == [True, True, True]
    hit = memory_kb.search("总监级负责人多久拜访一次", k=1)[0]
    assert hit.kind == "user" and hit.title == "大客户管理手册" and hit.heading == "服务标准"
    assert hit.source == str((tmp_path / "d.docx").resolve()) and hit.anchor == "s2"
    assert hit.citation() == f"《大客户管理手册》§服务标准 ({hit.source}#s2)"
    pdf_hit = memory_kb.search("call within two weeks and log the reason", k=1, lang="en")[0]
    assert pdf_hit.kind == "user" and pdf_hit.position.get("page") == 1
    st = memory_kb.status()
    assert st["user_documents"] == 3 and st["stale"] == []
    # adding the same unchanged file again changes nothing; editing it re-indexes only it
    again = memory_kb.add([tmp_path / "c.html"])
    assert again["embedded_chunks"] == 0 and again["unchanged"] == 1
    (tmp_path / "c.html").write_text(HTML.replace("一到五分", "一到七分"), encoding="utf-8")
    assert memory_kb.status()["stale"] == [str((tmp_path / "c.html").resolve())]
    assert memory_kb.build()["documents"] == [report["documents"][1]]
    # a deleted source keeps its chunks and is reported
    (tmp_path / "e.pdf").unlink()
    assert memory_kb.build()["changed"] == 0
    assert memory_kb.status()["missing_sources"] == [str((tmp_path / "e.pdf").resolve())]


def test_an_invalid_file_writes_nothing(memory_kb: KnowledgeBase, tmp_path: Path) -> None:
    memory_kb.build()
    good = tmp_path / "ok.txt"
    good.write_text("客户拜访记录要写清目的、结论和下一步,方便接手的人继续跟进。", encoding="utf-8")
    (tmp_path / "bad.xls").write_bytes(b"junk")
    with pytest.raises(InputError):
        memory_kb.add([good, tmp_path / "bad.xls"])
    assert memory_kb.status()["user_documents"] == 0


def test_add_a_folder_takes_every_supported_file(memory_kb: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.md").write_text("# 拜访记录\n\n拜访记录要写清目的、结论和下一步,方便同事接手。\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text(
        "Quarterly review notes: compare churn by region before the sales meeting.", encoding="utf-8"
    )
    (folder / "skip.xls").write_bytes(b"junk")
    report = memory_kb.add([folder])
    assert [Path(f["path"]).name for f in report["files"]] == ["a.md", "b.txt"]
    with pytest.raises(InputError, match="No files to add"):
        memory_kb.add([tmp_path / "empty"] if (tmp_path / "empty").mkdir() is None else [])


def test_full_rebuild_keeps_users_files_whose_source_is_gone(tmp_path: Path, docs_dir: Path) -> None:
    from knowledge.embed import HashingEmbedder
    from knowledge.vector import MemoryVectorIndex

    note = tmp_path / "note.txt"
    note.write_text("拜访纪要:客户希望下季度把交货期缩短到七天,并申请提高信用额度。", encoding="utf-8")
    emb = HashingEmbedder(dims=256)
    vec = MemoryVectorIndex(emb)
    kb = KnowledgeBase(tmp_path / "idx", embedder=emb, vector=vec, docs_dir=docs_dir)
    kb.add([note])
    note.unlink()
    report = kb.build(force=True)
    assert report["full"] and kb.status()["user_documents"] == 1
    assert kb.search("交货期缩短到七天", k=1)[0].kind == "user"
