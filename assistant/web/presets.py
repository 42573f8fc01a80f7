"""Example questions per role and language (presets.yaml), shown under the chat."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGS = {"中文": "zh", "English": "en"}


@cache
def presets() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(Path(__file__).with_name("presets.yaml").read_text(encoding="utf-8"))


def examples_for(role: str, lang: str) -> list[list[str]]:
    return [[q] for q in presets()[role][lang]]
