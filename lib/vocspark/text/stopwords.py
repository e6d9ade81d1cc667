"""Stopword lists per document language, shipped as package data.

The lists are exactly Spark's own defaults, ``StopWordsRemover.loadDefaultStopWords("english" | "portuguese" |
"spanish")``, written once to ``vocspark/text/stopwords/<lang>.txt`` (one word a line, Spark's order) by
``python -m vocspark.text.stopwords`` so that the Python workers of the Arrow engine read them without a JVM
call; ``tests/text/test_stopwords.py`` checks that the files still equal Spark's lists.
"""
from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

from vocspark.text.rules import LANGS, SPARK_STOPWORD_LANGUAGE

FOLDER = Path(__file__).with_name("stopwords")


@lru_cache(maxsize=None)
def stopwords(lang: str) -> tuple[str, ...]:
    """Spark's default stopwords for ``lang`` (en, pt, es), lowercase, in Spark's order."""
    if lang not in LANGS:
        raise ValueError(f"no stopword list for language {lang!r} (have: {', '.join(LANGS)})")
    path = FOLDER / f"{lang}.txt"
    return tuple(w for w in path.read_text(encoding="utf-8").splitlines() if w)


def all_stopwords() -> dict[str, tuple[str, ...]]:
    return {lang: stopwords(lang) for lang in LANGS}


def spark_default_stopwords(lang: str) -> list[str]:
    """The list as Spark has it (needs a running SparkContext)."""
    from pyspark.ml.feature import StopWordsRemover

    return list(StopWordsRemover.loadDefaultStopWords(SPARK_STOPWORD_LANGUAGE[lang]))


def write_files(folder: Path = FOLDER) -> None:
    """Regenerate the package data from Spark's lists (run once when the Spark version changes)."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.master("local[1]").appName("stopwords").getOrCreate()
    folder.mkdir(parents=True, exist_ok=True)
    for lang in LANGS:
        (folder / f"{lang}.txt").write_text("\n".join(spark_default_stopwords(lang)) + "\n", encoding="utf-8")
    spark.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vocspark.text.stopwords", description=write_files.__doc__)
    parser.parse_args(argv)
    write_files()
    print(f"wrote {', '.join(LANGS)} to {FOLDER}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
