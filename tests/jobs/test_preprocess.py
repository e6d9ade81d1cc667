"""The preprocess job: outputs and their partitions, rejected documents, manifest reconciliation, idempotency,
--sources/--months pruning, missing and empty input, and the other engines' outputs fitting the contracts."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import config, io, schemas
from vocspark.config import ConfigError
from vocspark.jobs import preprocess

# documents as ingest writes them (the text of a stored document can still be null or blank: rejected here)
DOCUMENTS_IN = T.StructType(
    [T.StructField(f.name, f.dataType, True) if f.name == "text" else f for f in schemas.DOCUMENTS.fields]
)
JAN = dt.datetime(2021, 1, 15, 12, 0, 0)
FEB = dt.datetime(2021, 2, 3, 8, 30, 0)
DOCS = [
    # source, doc_id, user, created_at, month, lang, text
    ("reviews", "r1", "u1", JAN, "2021-01", "en", "Great blender! It stopped working after 2 days.<br />Refund please"),
    ("reviews", "r2", "u2", JAN, "2021-01", "en", None),  # rejected: missing text
    ("reviews", "r3", "u1", FEB, "2021-02", "en", "Love it 😀 http://x.com"),
    ("reviews", "r4", "u3", FEB, "2021-02", "en", "   \n "),  # rejected: blank
    ("social", "s1", "u4", JAN, "2021-01", "pt",
     "Nunca tive problema com a Loja. Quero meu dinheiro de volta! Não entregaram meu produto"),
    ("social", "s2", "u5", FEB, "2021-02", "es", "¡El envío llegó tarde! @tienda #mal"),
    ("social", "s3", None, FEB, "2021-02", "pt", "😀😀 !!!"),  # kept: nothing left after cleaning
]


def _write_documents(spark, base: Path, rows=DOCS) -> None:
    df = spark.createDataFrame([r + (None,) * (len(DOCUMENTS_IN) - len(r)) for r in rows], DOCUMENTS_IN)
    io.write_partitioned(df, str(base / "documents"), schemas.PARTITIONS["documents"])


def _cfg(base: Path, **preprocess_keys):
    return config.resolve(
        {"profile": "local", "base_uri": str(base), "sources": {}, "preprocess": preprocess_keys}, root=base
    )


def _args(run_id: str, sources=None, months=None) -> argparse.Namespace:
    return argparse.Namespace(sources=sources, months=months, run_id=run_id, config="x", overrides=[], JOB_NAME=None)


SCHEMAS = {"documents_clean": schemas.DOCUMENTS_CLEAN, "sentences": schemas.SENTENCES, "rejected": schemas.REJECTED}


def _read(spark, base: Path, name: str):
    return io.read_dataset(spark, str(base / name), SCHEMAS[name])


def _types(schema: T.StructType) -> list[tuple[str, T.DataType]]:
    """Names and types (array element nullability included), without the columns' own nullability."""
    return [(f.name, f.dataType) for f in schema]


def _partitions(base: Path, name: str) -> list[str]:
    root = base / name
    return sorted(str(p.parent.relative_to(root)) for p in root.glob("source=*/month=*/*.parquet"))


@pytest.fixture(scope="module")
def first_run(spark, tmp_path_factory):
    base = tmp_path_factory.mktemp("preprocess") / "base"
    base.mkdir()
    _write_documents(spark, base)
    manifest = preprocess.run(spark, _cfg(base), _args("run1"))
    return base, manifest


def test_documents_clean_contents(spark, first_run):
    base, _ = first_run
    got_df = _read(spark, base, "documents_clean").select("source", "doc_id", "month", "tokens", "n_tokens", "n_sentences")
    expected_df = spark.createDataFrame(
        [
            ("reviews", "r1", "2021-01", ["great", "blender", "stopped", "working", "days", "refund", "please"], 7, 3),
            ("reviews", "r3", "2021-02", ["love"], 1, 1),
            ("social", "s1", "2021-01", ["nunca", "problema", "loja", "quero", "dinheiro", "volta", "entregaram", "produto"], 8, 3),
            ("social", "s2", "2021-02", ["envío", "llegó", "tarde", "mal"], 4, 2),
            ("social", "s3", "2021-02", [], 0, 1),
        ],
        "source string, doc_id string, month string, tokens array<string>, n_tokens int, n_sentences int",
    )
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)
    r1 = _read(spark, base, "documents_clean").where(F.col("doc_id") == "r1").first()
    assert r1["text_clean"] == "great blender it stopped working after days refund please"
    assert r1["user_id"] == "u1" and r1["created_at"] == JAN and r1["lang"] == "en"
    on_disk = spark.read.parquet(str(base / "documents_clean")).schema
    assert sorted(on_disk.names) == sorted(schemas.DOCUMENTS_CLEAN.names)


def test_sentences_contents(spark, first_run):
    base, _ = first_run
    got_df = _read(spark, base, "sentences").where(F.col("doc_id").isin("r1", "s1")).select(
        "doc_id", "sentence_idx", "sentence", "tokens", "month", "lang", "user_id"
    )
    expected_df = spark.createDataFrame(
        [
            ("r1", 0, "Great blender!", ["great", "blender"], "2021-01", "en", "u1"),
            ("r1", 1, "It stopped working after 2 days.", ["stopped", "working", "days"], "2021-01", "en", "u1"),
            ("r1", 2, "Refund please", ["refund", "please"], "2021-01", "en", "u1"),
            ("s1", 0, "Nunca tive problema com a Loja.", ["nunca", "problema", "loja"], "2021-01", "pt", "u4"),
            ("s1", 1, "Quero meu dinheiro de volta!", ["quero", "dinheiro", "volta"], "2021-01", "pt", "u4"),
            ("s1", 2, "Não entregaram meu produto", ["entregaram", "produto"], "2021-01", "pt", "u4"),
        ],
        "doc_id string, sentence_idx int, sentence string, tokens array<string>, month string, lang string, user_id string",
    )
    assert_df_equality(got_df, expected_df, ignore_row_order=True, ignore_nullable=True)
    assert sorted(spark.read.parquet(str(base / "sentences")).schema.names) == sorted(schemas.SENTENCES.names)


def test_month_partitions_on_disk(first_run):
    base, _ = first_run
    expected = [
        "source=reviews/month=2021-01", "source=reviews/month=2021-02",
        "source=social/month=2021-01", "source=social/month=2021-02",
    ]
    assert sorted(set(_partitions(base, "documents_clean"))) == expected
    assert sorted(set(_partitions(base, "sentences"))) == expected


def test_manifest_reconciles_and_rejects_are_written(spark, first_run):
    base, manifest = first_run
    assert (manifest.read, manifest.written, manifest.rejected) == (7, 5, {"missing_text": 2})
    assert manifest.reconciled
    body = json.loads((base / "manifests" / "preprocess" / "run1.json").read_text())
    assert body["counts"] == {"read": 7, "written": 5, "rejected": {"missing_text": 2}, "filtered": {}}
    assert body["reconciled"] is True
    assert body["extra"]["sentences"] == _read(spark, base, "sentences").count() == 10
    assert set(body["extra"]["seconds"]) >= {"read_and_count", "write_documents_clean", "write_sentences"}
    assert body["extra"]["engine"] == "arrow"
    rejected = _read(spark, base, "rejected").where(F.col("job") == "preprocess").collect()
    assert sorted((r["source"], r["reason"], json.loads(r["raw"])["doc_id"]) for r in rejected) == [
        ("reviews", "missing_text", "r2"), ("reviews", "missing_text", "r4"),
    ]


def test_rerun_leaves_identical_output(spark, first_run):
    base, _ = first_run
    before = {name: _read(spark, base, name).localCheckpoint() for name in ("documents_clean", "sentences")}
    files_before = {name: _partitions(base, name) for name in before}
    manifest = preprocess.run(spark, _cfg(base), _args("run2"))
    assert (manifest.read, manifest.written) == (7, 5)
    for name, before_df in before.items():
        assert_df_equality(_read(spark, base, name), before_df, ignore_row_order=True)
        assert _partitions(base, name) == files_before[name]


def test_sources_and_months_prune_the_input(spark, tmp_base):
    _write_documents(spark, tmp_base)
    manifest = preprocess.run(spark, _cfg(tmp_base), _args("only", sources="social", months="2021-02"))
    assert (manifest.read, manifest.written, manifest.rejected) == (2, 2, {})
    assert sorted(set(_partitions(tmp_base, "documents_clean"))) == ["source=social/month=2021-02"]
    assert sorted(r["doc_id"] for r in _read(spark, tmp_base, "sentences").collect()) == ["s2", "s2", "s3"]


def test_missing_input_fails_before_any_write(spark, tmp_base):
    with pytest.raises(io.MissingInputError, match=str(tmp_base / "documents")):
        preprocess.run(spark, _cfg(tmp_base), _args("missing"))
    assert not (tmp_base / "documents_clean").exists()
    assert not (tmp_base / "manifests").exists()


def test_empty_input_succeeds_with_zero_rows(spark, tmp_base):
    _write_documents(spark, tmp_base)
    manifest = preprocess.run(spark, _cfg(tmp_base), _args("empty", months="2030-01"))
    assert (manifest.read, manifest.written, manifest.extra["sentences"]) == (0, 0, 0)
    assert (tmp_base / "manifests" / "preprocess" / "empty.json").exists()
    assert _partitions(tmp_base, "documents_clean") == []


def test_bad_month_argument(spark, tmp_base):
    with pytest.raises(ConfigError, match="2021-13"):
        preprocess.run(spark, _cfg(tmp_base), _args("bad", months="2021-01,2021-13"))


@pytest.mark.parametrize("engine", ["sql", "sparknlp"])
def test_other_engines_fit_the_contracts(spark, first_run, engine):
    """The job is engine-agnostic past text_outputs; check the other engines' outputs conform and agree."""
    base, _ = first_run
    marked_df = preprocess.mark_missing_text(preprocess.read_documents(spark, str(base / "documents")))
    options = preprocess.TextOptions()
    documents_clean_df, sentences_df, cached_df = preprocess.text_outputs(
        preprocess.kept_documents(marked_df), options, engine
    )
    try:
        assert _types(documents_clean_df.schema) == _types(schemas.DOCUMENTS_CLEAN)
        assert _types(sentences_df.schema) == _types(schemas.SENTENCES)
        assert_df_equality(
            documents_clean_df, _read(spark, base, "documents_clean"), ignore_row_order=True, ignore_nullable=True,
            ignore_column_order=True,
        )
        assert_df_equality(
            sentences_df, _read(spark, base, "sentences"), ignore_row_order=True, ignore_nullable=True,
            ignore_column_order=True,
        )
    finally:
        cached_df.unpersist()
