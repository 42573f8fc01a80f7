"""Typical questions per section (doc2query): ``knowledge/questions/<lang>/<doc_id>.yaml``.

Each file maps a section anchor of ``knowledge/docs/<lang>/<doc_id>.md`` to the questions that section answers::

    how:
      - 净推荐值怎么算?
      - ...

They are indexed with their section (more words to be found by) and are never shown: hits, snippets and
citations come from the section's own text. A document without a file simply has no questions.

>>> import tempfile
>>> f = Path(tempfile.mkdtemp()) / "nps.yaml"
>>> _ = f.write_text("how:\\n  - 净推荐值怎么算?\\n", encoding="utf-8")
>>> load_questions(f, {"what", "how"})
{'how': ['净推荐值怎么算?']}
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import yaml

from assistant.core.errors import InputError

QUESTIONS_DIR = Path(__file__).parent / "questions"


def questions_path(doc_path: Path, folder: Path = QUESTIONS_DIR) -> Path:
    """The questions file of a shipped document ``docs/<lang>/<id>.md``: ``questions/<lang>/<id>.yaml``."""
    return folder / doc_path.parent.name / f"{doc_path.stem}.yaml"


def questions_digest(path: Path) -> str:
    """A hash of the questions file ('' when there is none): part of its document's content hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def _error(path: Path, zh: str, en: str, anchor: str | None = None) -> InputError:
    where = f"{path}" + (f"#{anchor}" if anchor is not None else "")
    return InputError(f"问题文件 {where}: {zh}", f"Questions file {where}: {en}", file=str(path), anchor=anchor)


def load_questions(path: Path, anchors: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Anchor → questions from one file; a missing file is no questions. ``anchors``: the document's section
    anchors, every key must be one of them. Malformed YAML, an unknown anchor or an entry that is not a
    non-empty string is an :class:`InputError` naming the file and the anchor."""
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise _error(path, f"YAML 格式错误({e})。", f"malformed YAML ({e}).") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _error(path, "应为「锚点: [问题, ...]」的映射。", "expected a mapping 'anchor: [question, ...]'.")
    known = set(anchors) if anchors is not None else None
    out: dict[str, list[str]] = {}
    for key, items in data.items():
        anchor = str(key)
        if known is not None and anchor not in known:
            raise _error(
                path,
                f"文档中没有锚点 {anchor!r}(已有:{', '.join(sorted(known))})。",
                f"the document has no section anchor {anchor!r} (it has: {', '.join(sorted(known))}).",
                anchor,
            )
        if not isinstance(items, list):
            raise _error(path, "问题应写成列表(- 问题)。", "the questions must be a list (- question).", anchor)
        for i, q in enumerate(items, start=1):
            if not isinstance(q, str) or not q.strip():
                raise _error(
                    path,
                    f"第 {i} 个问题不是非空文本:{q!r}。",
                    f"question {i} is not a non-empty string: {q!r}.",
                    anchor,
                )
        out[anchor] = [q.strip() for q in items]
    return out


def questions_for(lang: str, doc_id: str, anchor: str, folder: Path = QUESTIONS_DIR) -> list[str]:
    """The typical questions of one section (none when the document has no questions file)."""
    return load_questions(folder / lang / f"{doc_id}.yaml").get(anchor, [])
