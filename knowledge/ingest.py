"""Users' documents in: Markdown, plain text, HTML, PDF and Word .docx, cleaned and split into sections.

Each reader gives lines with their original position (and PDF page); cleaning drops
boilerplate; sections start at headings, including Chinese numbering.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from assistant.core.errors import InputError
from knowledge.clean import Line, clean_lines, to_lines
from knowledge.models import Document
from knowledge.ourdocs import split_front_matter
from knowledge.split import split_sections
from knowledge.text import detect_lang

SUFFIXES = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}
MAX_BYTES = 50 * 1024 * 1024


def _decode(raw: bytes, path: Path) -> str:
    for enc in ("utf-8-sig", "gb18030", "big5"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{path}: 无法识别文本编码(请存为 UTF-8)。", f"{path}: unknown text encoding (save it as UTF-8).")


def read_text(path: Path) -> tuple[str, list[Line]]:
    text = _decode(path.read_bytes(), path)
    return "", to_lines(text)


def read_markdown(path: Path) -> tuple[str, list[Line]]:
    meta, body, offset = split_front_matter(_decode(path.read_bytes(), path))
    return str(meta.get("title") or ""), to_lines(body, start=offset)


def read_html(path: Path) -> tuple[str, list[Line]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path.read_bytes(), path), "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(
        [
            "script",
            "style",
            "noscript",
            "nav",
            "header",
            "footer",
            "aside",
            "form",
            "iframe",
            "svg",
            "button",
            "select",
            "title",
            "head",
        ]
    ):
        tag.decompose()
    for level in range(1, 7):
        for h in soup.find_all(f"h{level}"):
            h.replace_with(f"\n{'#' * level} {h.get_text(' ', strip=True)}\n")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(
        ["p", "div", "li", "tr", "section", "article", "table", "ul", "ol", "blockquote", "pre"]
    ):
        block.insert_before("\n")
        block.insert_after("\n")
    text = re.sub(r"[ \t\xa0]+", " ", soup.get_text())
    return title, to_lines(text)


def read_pdf(path: Path) -> tuple[str, list[Line]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        lines: list[Line] = []
        for no, page in enumerate(reader.pages, start=1):
            lines.extend(to_lines(page.extract_text() or "", page=no, start=len(lines)))
            lines.append(Line("", len(lines), no))
        title = str((reader.metadata or {}).get("/Title") or "")
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(f"{path}: PDF 无法读取({exc})。", f"{path}: the PDF cannot be read ({exc}).") from exc
    return title, lines


def read_docx(path: Path) -> tuple[str, list[Line]]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise InputError(
            f"{path}: Word 文件无法读取({exc})。", f"{path}: the Word file cannot be read ({exc})."
        ) from exc
    out: list[str] = []
    for para in d.paragraphs:
        style = (para.style.name if para.style is not None else "") or ""
        m = re.search(r"(heading|标题|title)\s*(\d?)", style, re.I)
        txt = para.text.strip()
        if m and txt:
            out.extend(["", f"{'#' * int(m.group(2) or 1)} {txt}", ""])
        else:
            out.append(txt)
    for table in d.tables:
        for row in table.rows:
            out.append(" | ".join(c.text.strip() for c in row.cells))
    return (d.core_properties.title or ""), to_lines("\n".join(out))


READERS = {"markdown": read_markdown, "text": read_text, "html": read_html, "pdf": read_pdf, "docx": read_docx}


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def user_key(path: Path) -> str:
    return "user/" + hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:16]  # noqa: S324 (a name, not security)


def _first_text_line(lines: list[Line]) -> str:
    for ln in lines:
        if ln.text:
            return ln.text.lstrip("#").strip()[:60]
    return ""


def read_document(path: Path) -> Document:
    """One user file → a cleaned, sectioned Document (not yet chunked). Raises InputError on bad input."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: 文件不存在。", f"{path}: no such file.")
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: 不支持的文件类型 {path.suffix}(支持 {', '.join(sorted(SUFFIXES))})。",
            f"{path}: unsupported file type {path.suffix} (supported: {', '.join(sorted(SUFFIXES))}).",
        )
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: 文件超过 50 MB。", f"{path}: the file is larger than 50 MB.")
    title, raw = READERS[kind](path)
    lines = clean_lines(raw)
    title = title.strip() or _first_text_line(lines) or path.stem
    sections = split_sections(lines, title)
    body = "\n".join(s.text for s in sections)
    return Document(
        key=user_key(path),
        doc_id=re.sub(r"[^\w.-]+", "-", path.stem).strip("-") or "doc",
        title=title,
        language=detect_lang(body[:5000]) if body else "zh",
        source=str(path.resolve()),
        kind="user",
        sections=sections,
    )
