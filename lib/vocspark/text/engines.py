"""The three engines behind one pair of DataFrame transformations.

``with_text_features(df, options, engine)`` keeps every column of ``df`` (which needs ``text`` and ``lang``)
and adds ``text_clean``, ``tokens``, ``n_tokens``, ``n_sentences`` and ``sentences``
(array<struct<sentence, tokens>>, in order). ``sentence_rows(df, options, engine)`` gives one row per sentence
in the ``sentences`` contract. All engines apply the same rules (:mod:`vocspark.text.rules`) and give the same
tokens; ``tests/text/test_engines.py`` holds them to it.

- ``arrow``: ``mapInArrow`` with ``pyarrow.compute`` kernels (:mod:`vocspark.text.arrow`); for sentence rows
  the Python worker emits flat rows directly (no nested column, no ``explode``).
- ``sql``: Spark SQL built-ins (:mod:`vocspark.text.columns`): ``regexp_replace``, ``split``, ``transform``,
  ``filter``, ``IN`` sets.
- ``sparknlp``: spark-nlp annotators (``DocumentAssembler``, ``SentenceDetector`` with the break regexes as
  custom bounds, ``DocumentNormalizer`` for HTML and normalisation, ``Tokenizer``, ``Normalizer`` for the
  apostrophes at the ends of words, one ``StopWordsCleaner`` per language with Spark's lists) assembled with
  built-ins (entity decoding, per-row language choice, minimum length, regrouping tokens by sentence).

The job persists the output of :func:`with_text_features` and writes both datasets from it (see
:mod:`vocspark.jobs.preprocess`); :func:`with_document_features` and :func:`sentence_rows` compute one output
each, for callers that need only one.

Stemming is one implementation for all engines (:mod:`vocspark.text.stem`: the Snowball stemmers of the
``snowballstemmer`` package, through Arrow), so that ``stemming: true`` gives the same tokens whatever the engine:
``arrow`` stems inside its batch kernel, ``sql`` and ``sparknlp`` through :func:`stem_tokens` (one
``mapInArrow``). Spark SQL has no stemmer, and spark-nlp's own ``Stemmer`` is English only (Porter).
"""
from __future__ import annotations

from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from vocspark import schemas
from vocspark.text import arrow as arrow_kernels
from vocspark.text import columns as C
from vocspark.text import rules
from vocspark.text.options import ENGINES, TextOptions
from vocspark.text.stem import stem_list_array
from vocspark.text.stopwords import stopwords

TOKENS_TYPE = T.ArrayType(T.StringType(), False)
SENTENCE_TYPE = T.StructType(
    [T.StructField("sentence", T.StringType(), False), T.StructField("tokens", TOKENS_TYPE, False)]
)
FEATURE_FIELDS = [
    T.StructField("text_clean", T.StringType(), True),
    T.StructField("tokens", TOKENS_TYPE, True),
    T.StructField("n_tokens", T.IntegerType(), False),
    T.StructField("n_sentences", T.IntegerType(), False),
    T.StructField("sentences", T.ArrayType(SENTENCE_TYPE, False), True),
]
FEATURE_COLUMNS = [f.name for f in FEATURE_FIELDS]


def _check(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown text engine {engine!r} (have: {', '.join(ENGINES)})")


def _check_columns(df: DataFrame, needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"text features need columns {missing} (have: {df.columns})")


def _drop_features(df: DataFrame) -> DataFrame:
    return df.select(*[F.col(c) for c in df.columns if c not in FEATURE_COLUMNS])


# ------------------------------------------------------------------------------------------ public API
def with_text_features(df: DataFrame, options: TextOptions, engine: str = "arrow") -> DataFrame:
    """``df`` + text_clean, tokens, n_tokens, n_sentences, sentences (see module doc)."""
    _check(engine)
    _check_columns(df, ("text", "lang"))
    df = _drop_features(df)
    if engine == "arrow":
        out_df = _arrow_features(df, options, with_sentences=True)
    elif engine == "sql":
        out_df = _sql_features(df, options)
    else:
        out_df = _sparknlp_features(df, options)
    if options.stemming and engine != "arrow":
        out_df = stem_tokens(out_df)
    return out_df


def with_document_features(df: DataFrame, options: TextOptions, engine: str = "arrow") -> DataFrame:
    """Like :func:`with_text_features` without the nested ``sentences`` column (what documents_clean keeps)."""
    _check(engine)
    _check_columns(df, ("text", "lang"))
    if engine == "arrow":
        return _arrow_features(_drop_features(df), options, with_sentences=False)
    return with_text_features(df, options, engine).drop("sentences")


def explode_sentences(features_df: DataFrame) -> DataFrame:
    """One row per element of ``sentences`` (from :func:`with_text_features`), in the sentences contract.

    ``posexplode_outer`` and a filter above it on purpose: for ``posexplode`` Spark infers the filter
    ``size(sentences) > 0`` and pushes it below the projections that compute ``sentences``, so the whole text
    pipeline would run twice (measured: 10x slower with the spark-nlp engine).
    """
    exploded_df = features_df.select(
        *[F.col(c) for c in schemas.SENTENCES.names if c in features_df.columns and c not in ("tokens",)],
        F.posexplode_outer(F.col("sentences")).alias("sentence_idx", "_sentence"),
    )
    has_sentence = F.col("sentence_idx").isNotNull()
    return schemas.conform(
        exploded_df.where(has_sentence).select(
            "*", F.col("_sentence.sentence").alias("sentence"), F.col("_sentence.tokens").alias("tokens")
        ),
        schemas.SENTENCES,
    )


def sentence_rows(df: DataFrame, options: TextOptions, engine: str = "arrow") -> DataFrame:
    """Sentences of documents ``df`` (schemas.DOCUMENTS columns, or at least the sentences contract's
    document columns plus ``text``) as rows of the sentences contract."""
    _check(engine)
    needed = arrow_kernels.SENTENCE_ROW_COLUMNS + ("text",)
    _check_columns(df, needed)
    if engine == "arrow":
        input_df = df.select(*[F.col(c) for c in needed])
        return input_df.mapInArrow(arrow_kernels.map_sentences(options), schemas.SENTENCES)
    return explode_sentences(with_text_features(df, options, engine))


# ------------------------------------------------------------------------------------------ arrow
def _arrow_features(df: DataFrame, options: TextOptions, with_sentences: bool) -> DataFrame:
    fields = FEATURE_FIELDS if with_sentences else FEATURE_FIELDS[:-1]
    schema = T.StructType(df.schema.fields + fields)
    return df.mapInArrow(arrow_kernels.map_documents(options, with_sentences), schema)


# ------------------------------------------------------------------------------------------ sql
def _sql_features(df: DataFrame, options: TextOptions) -> DataFrame:
    lang = F.col("lang")
    # Each step is its own projection so an array is computed once and then reused (Spark does not collapse
    # projections that would duplicate an expensive expression).
    sentences_df = df.select("*", C.split_sentences(F.coalesce(F.col("text"), F.lit(""))).alias("_sentences"))
    words_df = sentences_df.select("*", F.transform(F.col("_sentences"), C.tokenize).alias("_words"))
    tokens_df = words_df.select(
        "*",
        F.transform(
            F.col("_words"),
            lambda ws: C.filter_tokens(ws, lang, options.min_token_chars, options.remove_stopwords),
        ).alias("_sentence_tokens"),
    )
    out_df = tokens_df.select(
        *[F.col(c) for c in df.columns],
        F.array_join(F.flatten(F.col("_words")), " ").alias("text_clean"),
        F.flatten(F.col("_sentence_tokens")).alias("tokens"),
        F.size(F.col("_sentences")).alias("n_sentences"),
        F.zip_with(
            F.col("_sentences"),
            F.col("_sentence_tokens"),
            lambda s, t: F.struct(s.alias("sentence"), t.alias("tokens")),
        ).alias("sentences"),
    )
    return _order_features(out_df.withColumn("n_tokens", F.size(F.col("tokens"))))


def _order_features(df: DataFrame) -> DataFrame:
    """Feature columns last, in a fixed order, scalars cast to their type (arrays are built with the right
    element nullability: Spark cannot cast array<string> with nulls allowed to one without)."""
    others = [c for c in df.columns if c not in FEATURE_COLUMNS]
    typed = {f.name: f.dataType for f in FEATURE_FIELDS}
    features = [
        F.col(c) if isinstance(typed[c], T.ArrayType) else F.col(c).cast(typed[c]).alias(c) for c in FEATURE_COLUMNS
    ]
    return df.select(*[F.col(c) for c in others], *features)


# ------------------------------------------------------------------------------------------ spark-nlp
def sparknlp_pipeline(options: TextOptions):
    """The spark-nlp part of the ``sparknlp`` engine: a Spark ML Pipeline over column ``_text``."""
    from pyspark.ml import Pipeline
    from sparknlp.annotator import DocumentNormalizer, Normalizer, SentenceDetector, StopWordsCleaner, Tokenizer
    from sparknlp.base import DocumentAssembler

    ws = r"[ \t\n\r\f\x{0B}\x{A0}]"
    bounds = [
        rf"(?i){ws}*(?:<br{ws}*/?>|\n)",  # <br /> and line breaks (the tag is stripped afterwards)
        rf"[.!?\u2026]+(?={ws}|\z)",  # end punctuation followed by whitespace or the end
    ]
    stages = [
        DocumentAssembler().setInputCol("_text").setOutputCol("_document").setCleanupMode("disabled"),
        SentenceDetector()
        .setInputCols(["_document"])
        .setOutputCol("_sentence")
        .setUseCustomBoundsOnly(True)
        .setCustomBounds(bounds)
        .setCustomBoundsStrategy("append"),
        DocumentNormalizer()
        .setInputCols(["_sentence"])
        .setOutputCol("_sentence_text")
        .setAction("clean")
        .setPatterns([rules.HTML_PATTERN])
        .setReplacement("")
        .setLowercase(False)
        .setPolicy("all"),
        DocumentNormalizer()
        .setInputCols(["_sentence_text"])
        .setOutputCol("_sentence_apostrophes")
        .setAction("clean")
        .setPatterns([rules.CURLY_APOSTROPHE])
        .setReplacement(rules.APOSTROPHE)
        .setLowercase(False)
        .setPolicy("all"),
        # DocumentNormalizer applies its patterns before lowercasing: (?i) makes the ASCII letters of the
        # pattern (http, www, tags, entities) match either case, which is the same as lowercasing first.
        DocumentNormalizer()
        .setInputCols(["_sentence_apostrophes"])
        .setOutputCol("_sentence_norm")
        .setAction("clean")
        .setPatterns(["(?i)" + rules.NORMALISE_PATTERN])
        .setReplacement(rules.NORMALISE_REPLACEMENT)
        .setLowercase(True)
        .setPolicy("all"),
        Tokenizer()
        .setInputCols(["_sentence_norm"])
        .setOutputCol("_token")
        .setContextChars([])
        .setSplitChars([])
        .setInfixPatterns([]),
        # apostrophes trimmed from both ends of a word; a word left empty is dropped
        Normalizer()
        .setInputCols(["_token"])
        .setOutputCol("_word")
        .setCleanupPatterns([f"^{rules.APOSTROPHE}+|{rules.APOSTROPHE}+$"])
        .setLowercase(False),
    ]
    for lang in rules.LANGS:
        stages.append(
            StopWordsCleaner()
            .setInputCols(["_word"])
            .setOutputCol(f"_clean_{lang}")
            .setStopWords(list(stopwords(lang)))
            .setCaseSensitive(True)
        )
    return Pipeline(stages=stages)


def _result(annotation):
    """The text of an annotation, never null (so arrays of them are array<string> without nulls)."""
    return F.coalesce(annotation["result"], F.lit(""))


def _sentence_struct(sentence, tokens):
    """struct(sentence, tokens of that sentence).

    ``tokens`` is referenced twice on purpose: Spark's CollapseProject inlines an expression referenced once
    into the consumer, and here the consumer is a lambda run once per sentence, so spark-nlp's annotator UDFs
    behind ``tokens`` would run once per sentence (measured: 8x slower sentence rows) instead of once per row.
    """
    no_tokens = F.size(tokens) == F.lit(0)
    of_sentence = F.transform(F.filter(tokens, lambda a: a["metadata"]["sentence"] == sentence["id"]), _result)
    empty = F.array().cast(T.ArrayType(T.StringType(), False))
    return F.struct(
        sentence["sentence"].alias("sentence"), F.when(no_tokens, empty).otherwise(of_sentence).alias("tokens")
    )


def _sparknlp_features(df: DataFrame, options: TextOptions) -> DataFrame:
    prepared_df = df.select("*", C.decode_entities(F.coalesce(F.col("text"), F.lit(""))).alias("_text"))
    annotated_df = sparknlp_pipeline(options).fit(prepared_df).transform(prepared_df)
    lang = F.col("lang")
    if options.remove_stopwords:
        chosen = F.coalesce(
            *[F.when(lang == F.lit(code), F.col(f"_clean_{code}")) for code in rules.LANGS], F.col("_word")
        )
    else:
        chosen = F.col("_word")
    # Sentences: spark-nlp keeps a sentence that became empty once its HTML was stripped; drop those and
    # renumber. Tokens carry the index of their sentence in metadata['sentence'].
    kept_df = annotated_df.select(
        "*",
        F.filter(
            F.transform(
                F.col("_sentence_text"),
                lambda a: F.struct(
                    a["metadata"]["sentence"].alias("id"), C.trim_whitespace(_result(a)).alias("sentence")
                ),
            ),
            lambda s: s["sentence"] != F.lit(""),
        ).alias("_kept"),
        F.filter(chosen, lambda a: F.length(a["result"]) >= F.lit(options.min_token_chars)).alias("_tokens"),
    )
    out_df = kept_df.select(
        *[F.col(c) for c in df.columns],
        F.array_join(F.transform(F.col("_word"), _result), " ").alias("text_clean"),
        F.transform(F.col("_tokens"), _result).alias("tokens"),
        F.size(F.col("_kept")).alias("n_sentences"),
        F.transform(F.col("_kept"), lambda s: _sentence_struct(s, F.col("_tokens"))).alias("sentences"),
    )
    return _order_features(out_df.withColumn("n_tokens", F.size(F.col("tokens"))))


# ------------------------------------------------------------------------------------------ stemming
def stem_tokens(features_df: DataFrame) -> DataFrame:
    """Stem ``tokens`` and ``sentences.tokens`` of a features DataFrame (per row language) through Arrow."""
    schema = features_df.schema

    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            langs = batch.column("lang")
            columns = dict(zip(batch.schema.names, batch.columns))
            columns["tokens"] = stem_list_array(columns["tokens"], langs)
            if "sentences" in columns:
                sentences = columns["sentences"]
                structs = pc.list_flatten(sentences)
                sentence_langs = pc.take(langs, pc.list_parent_indices(sentences))
                stemmed = stem_list_array(structs.field("tokens"), sentence_langs)
                offsets = pa.array(
                    (sentences.offsets.to_numpy() - sentences.offsets[0].as_py()).astype("int32"), pa.int32()
                )
                columns["sentences"] = pa.ListArray.from_arrays(
                    offsets,
                    pa.StructArray.from_arrays([structs.field("sentence"), stemmed], names=["sentence", "tokens"]),
                    mask=sentences.is_null(),
                )
            yield pa.RecordBatch.from_arrays(list(columns.values()), names=list(columns))

    return features_df.mapInArrow(fn, schema)
