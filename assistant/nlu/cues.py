"""The router's cue patterns (cues.yaml): shapes, subjects and disambiguation words, compiled once, by name."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

HERE = Path(__file__).parent
# \b between ASCII letters or digits and anything else: Chinese characters are word characters to `re`, so a plain
# \b never matches between an English word and a Chinese name ("top 5客户", "the most单")
ASCII_BOUNDARY = r"(?:(?<![A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<=[A-Za-z0-9_])(?![A-Za-z0-9_]))"


def _load() -> dict[str, re.Pattern[str]]:
    raw = yaml.safe_load((HERE / "cues.yaml").read_text(encoding="utf-8"))
    return {
        name: re.compile(
            entry["pattern"].replace(r"\b", ASCII_BOUNDARY), re.IGNORECASE if entry.get("ignore_case", True) else 0
        )
        for name, entry in raw.items()
    }


CUES: dict[str, re.Pattern[str]] = _load()
