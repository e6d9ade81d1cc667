"""Champion vs challenger: two versions of one classifier on the same labelled holdout, offline.

Used by the ``compare_models`` job (a report for people) and the ``promote`` job (the classifier gate of
:mod:`vocspark.models.promotion`), so both judge a candidate the same way.

1. Both versions score the same documents (the champion's holdout rule, as the ``evaluate`` job; the two label
   maps must hold the same labels).
2. Paired comparison: each model's report, metric deltas (challenger - champion), McNemar's test on the paired
   right/wrong outcomes, and Poisson-bootstrap 95 % intervals for macro-F1 (and ROC-AUC for binary models) of
   each model and of the difference (:mod:`vocspark.models.evaluation`).
3. Simulated traffic split: a document goes to the challenger when a hash of (salt, doc_id) falls below
   ``compare.challenger_share`` (stable: the same document always goes to the same variant), else to the
   champion; each variant is scored on its own documents with its own model.
4. Recommendation, on the primary metric (ROC-AUC for binary models, macro-F1 otherwise): ``promote challenger``
   when the bootstrap interval of the difference is above 0 and McNemar does not say the challenger is
   significantly worse; ``keep champion`` when the interval is below 0 or McNemar says the challenger is
   significantly worse; otherwise ``no significant difference: keep champion``.

Writes ``reports/<job>/<model>/<run_id>/comparison.{json,md}``.
"""
from __future__ import annotations

import json

from pyspark import StorageLevel
from pyspark.ml import PipelineModel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io
from vocspark.config import ConfigError
from vocspark.models import classifier_data as D
from vocspark.models import classifiers as C
from vocspark.models import evaluation as E
from vocspark.models.registry import ModelVersion

METRICS = ("accuracy", "macro_f1", "weighted_f1", "roc_auc", "pr_auc")


class LabelsDifferError(ConfigError):
    """The challenger lacks a label of the champion (or another positive label): no common holdout rule."""


def on_labels(scored_df: DataFrame, labels: list[str], names: list[str]) -> DataFrame:
    """A challenger's scores (``_probs`` by its own ``labels``) restated on the champion's label map ``names``
    (a subset of ``labels``, maybe reordered): the probabilities of ``names``, renormalised to sum 1, and the
    prediction = the most probable of them (ties: the lower index, as everywhere). A challenger that knows a new
    label is so judged on the labels the holdout has."""
    order = [labels.index(n) for n in names]
    restricted = F.array(*[F.col("_probs")[i] for i in order])
    total = F.aggregate(restricted, F.lit(0.0), lambda acc, x: acc + x)
    probs = F.transform(restricted, lambda x: F.when(total > 0, x / total).otherwise(F.lit(1.0 / len(names))))
    best = F.array_sort(F.transform(F.col("_probs"), lambda p, i: F.struct((-p).alias("neg"), i.alias("idx"))))[0]
    return (
        scored_df.withColumn("_probs", probs)
        .withColumns({"pred_idx": best["idx"].cast("int"), "probability": -best["neg"]})
    )


def check_comparable(champion: ModelVersion, challenger: ModelVersion) -> None:
    """Fail naming both versions when they cannot be compared: the same version, or a challenger that lacks a
    label of the champion. A challenger with MORE labels (a new product category, say) is compared on the
    champion's labels: the holdout keeps documents labelled with one of them, and a challenger prediction of a
    new label counts as wrong."""
    va, vb, meta_a, meta_b = champion.version, challenger.version, champion.metadata, challenger.metadata
    if va == vb:
        raise ConfigError(f"compare: champion and challenger are both version {va} of `{champion.name}`: "
                          "nothing to compare (train a new candidate or pass --challenger)")
    missing = sorted(set(meta_a["labels"]) - set(meta_b["labels"]))
    if missing or meta_a.get("positive_label") != meta_b.get("positive_label"):
        raise LabelsDifferError(
            f"compare: version {vb} of `{champion.name}` cannot be compared with {va}: "
            + (f"it lacks the champion's labels {missing}" if missing else
               f"positive label {meta_b.get('positive_label')!r} vs {meta_a.get('positive_label')!r}"))


def compare(spark: SparkSession, cfg, run, champion: ModelVersion, challenger: ModelVersion, *,
            months: list[str] | None = None, dataset: str = "test", labels: str | None = None,
            challenger_share: float | None = None, report_job: str | None = None, manifest=None) -> dict:
    """Compare ``challenger`` with ``champion`` inside the job run ``run`` (a :class:`vocspark.runtime.JobRun`:
    its manifest, or ``manifest`` when given, counts the holdout documents; its steps time the work). Returns the comparison (also written
    as a report under ``reports/<report_job or run.job>/<model>/<run_id>/``)."""
    check_comparable(champion, challenger)
    report_job = report_job or run.job
    va, vb, meta_a, meta_b = champion.version, challenger.version, champion.metadata, challenger.metadata
    ccfg = D.stored_config(meta_a, labels)
    manifest = manifest if manifest is not None else run.manifest
    names = meta_a["labels"]
    binary = len(names) == 2
    months = months or meta_a["training"]["months"]
    dataset = dataset or "test"
    manifest.inputs["labels"] = D.labels_input(ccfg)
    with run.step("holdout") as step:
        data_df = D.holdout(spark, cfg, ccfg, names, months, dataset, run.job, run.run_id, manifest)
        data_df = data_df.persist(StorageLevel.MEMORY_AND_DISK)
        step.rows = manifest.written
    with run.step("score both") as step:
        scored_a = C.score(PipelineModel.load(champion.uri), data_df, names, 1).persist(StorageLevel.MEMORY_AND_DISK)
        # the challenger's label order may differ: score with its own map, then re-index by the champion's
        scored_b = C.score(PipelineModel.load(challenger.uri), data_df, meta_b["labels"], 1)
        if meta_b["labels"] != names:
            scored_b = scored_b.transform(on_labels, meta_b["labels"], names)
        scored_b = scored_b.persist(StorageLevel.MEMORY_AND_DISK)
        ecfg = ccfg["evaluation"]
        report_a = E.evaluate(scored_a, names, ecfg, binary)
        report_b = E.evaluate(scored_b, names, ecfg, binary)
        step.rows = report_a["n"]
    with run.step("paired tests and traffic split"):
        pairs_df = paired(scored_a, scored_b).persist(StorageLevel.MEMORY_AND_DISK)
        b, c = discordant(pairs_df)
        mc = E.mcnemar(b, c)
        boot = E.bootstrap_paired(pairs_df, len(names), ecfg.get("bootstrap", 200), ecfg.get("seed", 7), binary)
        share = challenger_share or ccfg["compare"]["challenger_share"]
        routed = traffic_split(pairs_df, share, ccfg["compare"]["salt"]).persist(StorageLevel.MEMORY_AND_DISK)
        variants = {}
        for variant in ("champion", "challenger"):
            part = routed.where(F.col("variant") == variant)
            rep = E.evaluate(part, names, ecfg, binary) if part.limit(1).count() else None
            variants[variant] = headline(rep) if rep else {"n": 0}
    ha, hb = headline(report_a), headline(report_b)
    primary = "roc_auc" if binary else "macro_f1"
    ci = boot.get(primary, {}).get("b_minus_a")
    result = {
        "model": champion.name,
        "champion": va,
        "challenger": vb,
        "holdout": {"dataset": dataset, "months": months, "documents": ha["n"]},
        "champion_metrics": ha,
        "challenger_metrics": hb,
        "deltas": {m: (hb[m] - ha[m]) if ha[m] is not None and hb[m] is not None else None for m in METRICS},
        "mcnemar": mc,
        "bootstrap": boot,
        "traffic_split": {"challenger_share": share, "salt": ccfg["compare"]["salt"], "variants": variants},
        "primary_metric": primary,
        "alpha": ccfg["compare"]["alpha"],
        "recommendation": recommend(primary, ci, mc, ccfg["compare"]["alpha"]),
    }
    out = cfg.uri("reports", report_job, champion.name, run.run_id)
    io.write_text(spark, out + "/comparison.json", json.dumps(result, indent=1) + "\n")
    io.write_text(spark, out + "/comparison.md", markdown(result))
    for df in (routed, pairs_df, scored_a, scored_b, data_df):
        df.unpersist()
    result["report"] = out
    return result


def headline(report: dict) -> dict:
    return {"accuracy": report["accuracy"], "macro_f1": report["macro_avg"]["f1"],
            "weighted_f1": report["weighted_avg"]["f1"], "roc_auc": report.get("roc_auc"),
            "pr_auc": report.get("pr_auc"), "n": report["n"]}


def paired(scored_a: DataFrame, scored_b: DataFrame) -> DataFrame:
    """doc_id, label_idx, pred_a, pred_b, score_a, score_b (positive-class probability), probs_a, probs_b."""
    def side(df, s):
        return df.select("doc_id", "label_idx", F.col("pred_idx").alias(f"pred_{s}"),
                         F.element_at(F.col("_probs"), -1).alias(f"score_{s}"), F.col("_probs").alias(f"probs_{s}"),
                         F.col("probability").alias(f"prob_{s}"))
    return side(scored_a, "a").join(side(scored_b, "b").drop("label_idx"), "doc_id")


def discordant(pairs_df: DataFrame) -> tuple[int, int]:
    a_right = F.col("pred_a") == F.col("label_idx")
    b_right = F.col("pred_b") == F.col("label_idx")
    row = pairs_df.agg(
        F.sum(F.when(a_right & ~b_right, 1).otherwise(0)).alias("b"),
        F.sum(F.when(~a_right & b_right, 1).otherwise(0)).alias("c"),
    ).first()
    return int(row["b"] or 0), int(row["c"] or 0)


def traffic_split(pairs_df: DataFrame, share: float, salt: str) -> DataFrame:
    """Each document with the variant it was routed to and that variant's prediction (pred_idx, _probs,
    probability), for :func:`vocspark.models.evaluation.evaluate`."""
    u = C.unit_hash(salt, "doc_id")
    is_b = u < share
    return pairs_df.select(
        "doc_id", "label_idx",
        F.when(is_b, "challenger").otherwise("champion").alias("variant"),
        F.when(is_b, F.col("pred_b")).otherwise(F.col("pred_a")).alias("pred_idx"),
        F.when(is_b, F.col("probs_b")).otherwise(F.col("probs_a")).alias("_probs"),
        F.when(is_b, F.col("prob_b")).otherwise(F.col("prob_a")).alias("probability"),
    )


def recommend(primary: str, ci: dict | None, mc: dict, alpha: float) -> str:
    worse = mc["p_value"] < alpha and mc["b"] > mc["c"]
    if ci and ci["low"] > 0 and not worse:
        return "promote challenger"
    if (ci and ci["high"] < 0) or worse:
        return "keep champion"
    return "no significant difference: keep champion"


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.4f}"


def markdown(r: dict) -> str:
    lines = [f"# {r['model']}: champion {r['champion']} vs challenger {r['challenger']}", "",
             f"Holdout: {r['holdout']['documents']} documents ({r['holdout']['dataset']}).", "",
             "| metric | champion | challenger | delta |", "|---|---:|---:|---:|"]
    for m in METRICS:
        lines.append(f"| {m} | {_fmt(r['champion_metrics'][m])} | {_fmt(r['challenger_metrics'][m])} | {_fmt(r['deltas'][m])} |")
    mc = r["mcnemar"]
    lines += ["", f"McNemar ({mc['method']}): champion right / challenger wrong b = {mc['b']}, champion wrong / "
                  f"challenger right c = {mc['c']}, p = {mc['p_value']:.4g}.", ""]
    for metric in ("macro_f1", "roc_auc"):
        boot = r["bootstrap"].get(metric)
        if boot:
            d = boot["b_minus_a"]
            lines.append(f"Bootstrap ({r['bootstrap']['replicates']} replicates) {metric} difference: "
                         f"{_fmt(d['mean'])}, 95 % interval [{_fmt(d['low'])}, {_fmt(d['high'])}].")
    ts = r["traffic_split"]
    lines += ["", f"Simulated traffic split (challenger share {ts['challenger_share']:.0%}, stable hash of doc_id):", "",
              "| variant | documents | accuracy | macro_f1 | roc_auc |", "|---|---:|---:|---:|---:|"]
    for v, m in ts["variants"].items():
        lines.append(f"| {v} | {m['n']} | {_fmt(m.get('accuracy'))} | {_fmt(m.get('macro_f1'))} | {_fmt(m.get('roc_auc'))} |")
    lines += ["", f"**Recommendation: {r['recommendation']}** (primary metric {r['primary_metric']}, alpha {r['alpha']})."]
    return "\n".join(lines) + "\n"
