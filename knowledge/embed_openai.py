"""Embeddings from an OpenAI-compatible endpoint, when the user configured one.

Settings: ``ASSISTANT_EMBEDDINGS=openai``, ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``
(optional) and ``ASSISTANT_EMBEDDINGS_MODEL`` (default text-embedding-3-small).
The key is read from the environment each time and never stored in the index.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from assistant.core.errors import ConfigError

DEFAULT_MODEL = "text-embedding-3-small"
BATCH = 128


class OpenAIEmbedder:
    name = "assistant-openai"

    def __init__(self, model: str, base_url: str | None, api_key: str, timeout: float = 60.0) -> None:
        self.model = model
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._client: Any = None

    @classmethod
    def from_env(cls, model: str | None = None, base_url: str | None = None) -> OpenAIEmbedder:
        key = os.environ.get("OPENAI_API_KEY", "").strip()
        if not key:
            raise ConfigError(
                "ASSISTANT_EMBEDDINGS=openai 需要设置 OPENAI_API_KEY(以及可选的 OPENAI_BASE_URL)。",
                "ASSISTANT_EMBEDDINGS=openai needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL).",
            )
        return cls(
            model=model or os.environ.get("ASSISTANT_EMBEDDINGS_MODEL") or DEFAULT_MODEL,
            base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=key,
        )

    def signature(self) -> dict[str, Any]:
        return {"name": self.name, "model": self.model, "base_url": self.base_url}

    def _get_client(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(api_key=self._api_key, base_url=self.base_url, timeout=self._timeout, max_retries=1)
        return self._client

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for i in range(0, len(texts), BATCH):
            batch = [t or " " for t in texts[i : i + BATCH]]
            try:
                resp = self._get_client().embeddings.create(model=self.model, input=batch)
            except Exception as exc:
                raise ConfigError(
                    f"嵌入服务调用失败({self.base_url or 'api.openai.com'}):{exc}",
                    f"the embeddings endpoint failed ({self.base_url or 'api.openai.com'}): {exc}",
                ) from exc
            rows.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        if not rows:
            return np.zeros((0, 1), dtype=np.float32)
        arr = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return arr / np.where(norms == 0, 1, norms)
