"""One root error for the whole product.

Every error carries a Chinese and an English message that says what to fix;
the caller picks the language. Subclasses only classify.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Root of every error the product raises on purpose."""

    def __init__(self, zh: str, en: str | None = None, **details: object) -> None:
        self.zh = zh
        self.en = en or zh
        self.details = details
        super().__init__(self.en)

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "zh": self.zh, "en": self.en, **self.details}


class ConfigError(AssistantError):
    """A setting, path or environment variable is wrong."""


class WarehouseError(AssistantError):
    """The warehouse is missing, unreadable or does not match the contract."""


class InputError(AssistantError):
    """A parameter or user input is invalid."""
