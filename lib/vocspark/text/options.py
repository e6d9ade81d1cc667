"""Options of the text pipeline (the ``preprocess`` section of the config)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

ENGINES = ("arrow", "sql", "sparknlp")


@dataclass(frozen=True)
class TextOptions:
    """How documents become tokens.

    ``min_token_chars``: tokens with fewer characters (Unicode code points, before stemming) are dropped.
    ``remove_stopwords``: drop Spark's default stopwords of the row's own language (en, pt, es).
    ``stemming``: stem the remaining tokens (:mod:`vocspark.text.stem`).
    """

    remove_stopwords: bool = True
    stemming: bool = False
    min_token_chars: int = 2

    def __post_init__(self) -> None:
        if self.min_token_chars < 1:
            raise ValueError(f"min_token_chars must be >= 1, got {self.min_token_chars}")

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> "TextOptions":
        """From ``cfg["preprocess"]``."""
        return cls(
            remove_stopwords=bool(section["remove_stopwords"]),
            stemming=bool(section["stemming"]),
            min_token_chars=int(section["min_token_chars"]),
        )
