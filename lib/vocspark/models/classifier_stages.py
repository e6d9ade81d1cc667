"""The classifier's scoring rules as Spark ML stages, saved inside the classifier's PipelineModel.

A saved classifier is ``[ScoringGuard, <features>, <model>, ClassProbabilities, ModelStamp]``, so
``PipelineModel.load(uri).transform(documents_clean_df)`` gives the ``schemas.PREDICTIONS_CLASSIFIER`` columns
(prediction, probability, top_k, reason, model, model_version) beside the input columns, with no job code:

- :class:`ScoringGuard` (first): ``reason``, why the model cannot score a document, first rule that holds:
  ``lang_out_of_scope`` (``lang`` not in ``langs``; empty = every language), ``no_tokens`` (null or empty
  ``tokens``), ``no_known_tokens`` (no token in ``vocabulary``; only when ``requireKnownToken``). It writes the
  tokens the feature stages read to ``outputCol`` (``_tokens``): the tokens, or an empty array when ``reason`` is
  set, which every feature stage accepts (null tokens would fail NGram and Word2Vec). The input ``tokens`` stay as
  they are.
- :class:`ClassProbabilities` (after the model): class probabilities by ``kind`` (``lr``: LogisticRegression's
  own; ``ovr_lr``: one-vs-rest over LogisticRegression, each class's sigmoid normalised to sum 1; ``svc`` /
  ``ovr_svc``: softmax of the LinearSVC margins, a score, not calibrated), ``prediction`` = the best label's name,
  ``probability`` = its probability, ``top_k`` = array of (label, probability), best first; **ties: the lower
  label index first**. All three are null where ``reason`` is set. The model's internal columns (``internalCols``)
  are dropped; ``keepScores`` keeps ``_probs`` (array<double> by label index) and ``pred_idx`` for evaluation.
- :class:`ModelStamp` (last): ``model`` and ``model_version`` from its params.

Known-token check, measured (50,000-word vocabulary, 100,000 documents of 20 tokens, 2 cores, Spark 3.5): the
vocabulary as one SQL ``IN`` list inside ``exists`` (the optimizer turns it into a hash-set lookup) costs 1.3-1.8 s
to build the expression and 3.4-5.0 s to run; ``Column.isin`` over the same words 24 s to build (one py4j call a
word); the alternative without a stored vocabulary, testing the term-frequency vector with ``vector_to_array``,
31.6 s (a dense array of the vocabulary's size per document). The vocabulary is stored as a Param (the stage's
JSON metadata). It holds unigrams only (n-grams contain a space, tokens never do).
"""
from __future__ import annotations

from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.functions import vector_to_array
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

REASON = "reason"
SAFE_TOKENS = "_tokens"
PROBS, PRED_IDX = "_probs", "pred_idx"
KINDS = ("lr", "ovr_lr", "svc", "ovr_svc")
# every column the feature stages and the Spark model add (prediction and probability are replaced)
INTERNAL_COLS = [SAFE_TOKENS, "_ngrams", "_terms", "_tf", "_tfidf", "_w2v", "features", "rawPrediction",
                 "probability", "prediction"]
LANG_OUT_OF_SCOPE, NO_TOKENS, NO_KNOWN_TOKENS = "lang_out_of_scope", "no_tokens", "no_known_tokens"


def _given(kwargs: dict) -> dict:
    """The keyword arguments actually given (None = leave the param at its default)."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _sql_string(value: str) -> str:
    """A Spark SQL string literal (default parser: backslash escapes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def has_known_token(tokens_col: str, vocabulary: list[str]) -> Column:
    """True when a token of ``tokens_col`` is in ``vocabulary``; false for null or empty tokens."""
    if not vocabulary:
        return F.lit(False)
    words = ",".join(_sql_string(w) for w in sorted(set(vocabulary)))
    return F.coalesce(F.expr(f"exists(`{tokens_col}`, t -> t IN ({words}))"), F.lit(False))


class ScoringGuard(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """``reason`` (null = scorable) and the tokens the feature stages read; see the module docstring."""

    langs = Param(Params._dummy(), "langs", "languages the model scores (empty: every language)",
                  typeConverter=TypeConverters.toListString)
    vocabulary = Param(Params._dummy(), "vocabulary", "unigrams the model knows", typeConverter=TypeConverters.toListString)
    requireKnownToken = Param(Params._dummy(), "requireKnownToken", "no token in vocabulary -> no_known_tokens",
                              typeConverter=TypeConverters.toBoolean)
    inputCol = Param(Params._dummy(), "inputCol", "tokens column", typeConverter=TypeConverters.toString)
    langCol = Param(Params._dummy(), "langCol", "language column", typeConverter=TypeConverters.toString)
    outputCol = Param(Params._dummy(), "outputCol", "tokens for the feature stages", typeConverter=TypeConverters.toString)
    reasonCol = Param(Params._dummy(), "reasonCol", "why the document cannot be scored", typeConverter=TypeConverters.toString)

    @keyword_only
    def __init__(self, *, langs=None, vocabulary=None, requireKnownToken=False, inputCol="tokens", langCol="lang",
                 outputCol=SAFE_TOKENS, reasonCol=REASON):
        super().__init__()
        self._setDefault(langs=[], vocabulary=[], requireKnownToken=False, inputCol="tokens", langCol="lang",
                         outputCol=SAFE_TOKENS, reasonCol=REASON)
        self._set(**_given(self._input_kwargs))

    @keyword_only
    def setParams(self, *, langs=None, vocabulary=None, requireKnownToken=False, inputCol="tokens", langCol="lang",
                  outputCol=SAFE_TOKENS, reasonCol=REASON):
        return self._set(**_given(self._input_kwargs))

    def setVocabulary(self, value: list[str]) -> "ScoringGuard":
        return self._set(vocabulary=value)

    def setRequireKnownToken(self, value: bool) -> "ScoringGuard":
        return self._set(requireKnownToken=value)

    def getLangs(self) -> list[str]:
        return self.getOrDefault(self.langs)

    def getVocabulary(self) -> list[str]:
        return self.getOrDefault(self.vocabulary)

    def getRequireKnownToken(self) -> bool:
        return self.getOrDefault(self.requireKnownToken)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        tokens_col, langs = self.getOrDefault(self.inputCol), self.getLangs()
        tokens = F.col(tokens_col)
        out_of_lang = ~F.coalesce(F.col(self.getOrDefault(self.langCol)).isin(langs), F.lit(False)) if langs else F.lit(False)
        no_tokens = F.coalesce(F.size(tokens), F.lit(0)) <= 0  # size(null) is -1
        reason = F.when(out_of_lang, F.lit(LANG_OUT_OF_SCOPE)).when(no_tokens, F.lit(NO_TOKENS))
        if self.getRequireKnownToken():
            reason = reason.when(~has_known_token(tokens_col, self.getVocabulary()), F.lit(NO_KNOWN_TOKENS))
        reason_col = self.getOrDefault(self.reasonCol)
        safe = F.when(F.col(reason_col).isNull(), tokens).otherwise(F.array().cast("array<string>"))
        return (
            dataset.withColumn(reason_col, reason.cast("string"))
            .withColumn(self.getOrDefault(self.outputCol), safe)
        )


def probabilities(kind: str) -> Column:
    """Class probabilities (array<double>, by label index) from the Spark model's output columns."""
    if kind not in KINDS:
        raise ValueError(f"unknown classifier kind `{kind}` (have: {', '.join(KINDS)})")
    if kind == "lr":
        return vector_to_array(F.col("probability"))
    raw = vector_to_array(F.col("rawPrediction"))
    if kind == "ovr_lr":
        sig = F.transform(raw, lambda m: F.lit(1.0) / (F.lit(1.0) + F.exp(-m)))
        total = F.aggregate(sig, F.lit(0.0), lambda acc, x: acc + x)
        return F.transform(sig, lambda x: x / total)
    top = F.array_max(raw)
    ex = F.transform(raw, lambda m: F.exp(m - top))
    total = F.aggregate(ex, F.lit(0.0), lambda acc, x: acc + x)
    return F.transform(ex, lambda x: x / total)


def ranked(probs: Column) -> Column:
    """(negated probability, label index) pairs sorted: best first, **ties by the lower label index**."""
    return F.array_sort(F.transform(probs, lambda p, i: F.struct((-p).alias("neg"), i.alias("idx"))))


class ClassProbabilities(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """prediction (label name), probability and top_k from the Spark model's output; see the module docstring."""

    kind = Param(Params._dummy(), "kind", "lr | ovr_lr | svc | ovr_svc", typeConverter=TypeConverters.toString)
    labels = Param(Params._dummy(), "labels", "label names by index", typeConverter=TypeConverters.toListString)
    topK = Param(Params._dummy(), "topK", "labels kept in top_k", typeConverter=TypeConverters.toInt)
    reasonCol = Param(Params._dummy(), "reasonCol", "null where the document is scored", typeConverter=TypeConverters.toString)
    internalCols = Param(Params._dummy(), "internalCols", "columns of the feature stages and the model to drop",
                         typeConverter=TypeConverters.toListString)
    keepScores = Param(Params._dummy(), "keepScores", "keep _probs and pred_idx (evaluation)",
                       typeConverter=TypeConverters.toBoolean)

    @keyword_only
    def __init__(self, *, kind="lr", labels=None, topK=3, reasonCol=REASON, internalCols=None, keepScores=False):
        super().__init__()
        self._setDefault(kind="lr", labels=[], topK=3, reasonCol=REASON, internalCols=list(INTERNAL_COLS),
                         keepScores=False)
        self._set(**_given(self._input_kwargs))

    @keyword_only
    def setParams(self, *, kind="lr", labels=None, topK=3, reasonCol=REASON, internalCols=None, keepScores=False):
        return self._set(**_given(self._input_kwargs))

    def getKind(self) -> str:
        return self.getOrDefault(self.kind)

    def getLabels(self) -> list[str]:
        return self.getOrDefault(self.labels)

    def getTopK(self) -> int:
        return self.getOrDefault(self.topK)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        names, top_k = self.getLabels(), self.getTopK()
        if not names:
            raise ValueError("ClassProbabilities needs its `labels`")
        if top_k < 1:
            raise ValueError(f"ClassProbabilities `topK` must be >= 1, got {top_k}")
        reason_col = self.getOrDefault(self.reasonCol)
        scorable = F.col(reason_col).isNull() if reason_col in dataset.columns else F.lit(True)
        with_probs = dataset.withColumn(PROBS, F.when(scorable, probabilities(self.getKind())))
        label_arr = F.array(*[F.lit(n) for n in names])
        best = ranked(F.col(PROBS))
        top = F.transform(
            F.slice(best, 1, min(top_k, len(names))),
            lambda s: F.struct(F.coalesce(F.element_at(label_arr, s["idx"] + 1), F.lit("")).alias("label"),
                               F.coalesce(-s["neg"], F.lit(0.0)).alias("probability")),  # non-null, as the contract
        )
        outputs = ["top_k", PRED_IDX, "prediction", "probability"]
        dropped = set(self.getOrDefault(self.internalCols)) | set(outputs) | {PROBS}
        kept = [F.col(c) for c in dataset.columns if c not in dropped]
        scores = [F.col(PROBS), best[0]["idx"].alias(PRED_IDX)] if self.getOrDefault(self.keepScores) else []
        return (
            with_probs.select(*kept, *scores, top.alias("top_k"))
            .withColumns({"prediction": F.col("top_k")[0]["label"], "probability": F.col("top_k")[0]["probability"]})
        )


class ModelStamp(Transformer, DefaultParamsReadable, DefaultParamsWritable):
    """``model`` and ``model_version`` columns from the params (the registry's name and version)."""

    modelName = Param(Params._dummy(), "modelName", "model name", typeConverter=TypeConverters.toString)
    modelVersion = Param(Params._dummy(), "modelVersion", "model version", typeConverter=TypeConverters.toString)

    @keyword_only
    def __init__(self, *, modelName=None, modelVersion=None):
        super().__init__()
        self._set(**_given(self._input_kwargs))

    @keyword_only
    def setParams(self, *, modelName=None, modelVersion=None):
        return self._set(**_given(self._input_kwargs))

    def getModelName(self) -> str:
        return self.getOrDefault(self.modelName)

    def getModelVersion(self) -> str:
        return self.getOrDefault(self.modelVersion)

    def _transform(self, dataset: DataFrame) -> DataFrame:
        if not (self.isDefined(self.modelName) and self.isDefined(self.modelVersion)):
            raise ValueError("ModelStamp needs `modelName` and `modelVersion`")
        return dataset.withColumns({"model": F.lit(self.getModelName()), "model_version": F.lit(self.getModelVersion())})
