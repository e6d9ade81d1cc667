"""Evaluation of classifiers: the numbers come from Spark aggregates whose size does not grow with the data
(confusion matrix by ``groupBy(label, prediction)``, score histograms of ``curve_bins`` buckets, calibration
bins, bootstrap replicates x classes); the small tables are turned into reports on the driver.

- :func:`classification_report`: per-class precision, recall, F1 and support, accuracy, macro and weighted
  averages, confusion matrix (rows = true label, columns = predicted label). A class never predicted has
  precision 0; a class without support has recall 0 (scikit-learn's ``zero_division=0``).
- :func:`curves`: ROC and precision-recall curves and their areas from a score histogram. Scores in one bucket
  count as tied (the ROC segment through a tie group is a straight line: the trapezoid rule). PR-AUC is the
  average precision (step-wise sum of precision x recall increments, as scikit-learn's).
- :func:`calibration`: reliability bins (mean predicted probability vs observed rate), Brier score and expected
  calibration error. Binary: the positive class's probability; multi-class: the predicted label's probability
  against "the prediction is right".
- :func:`business_view`: the original JWST project's view: minutes missed (items needing support not flagged,
  false negatives x minutes) and minutes wasted (flagged items not needing it, false positives x minutes) for the
  model and for random flagging at the model's flag rate (expected values).
- :func:`mcnemar`: paired test on (A right, B wrong) = b and (A wrong, B right) = c: exact two-sided binomial
  p-value when b + c < 25, else chi-square with continuity correction, (|b - c| - 1)^2 / (b + c), 1 d.o.f.
- :func:`bootstrap_paired`: Poisson bootstrap (weights ~ Poisson(1) drawn from a hash of doc_id, replicate and
  seed, so reproducible whatever the partitioning); per replicate, macro-F1 (and ROC-AUC for binary models) of
  both models and their difference; 95 % percentile intervals.
"""
from __future__ import annotations

import io as io_std
import json
import math
from typing import Any, Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from vocspark import io


# ------------------------------------------------------------------------------------------ confusion / report
def confusion_counts(df: DataFrame, label_col: str = "label_idx", pred_col: str = "pred_idx") -> list[tuple[int, int, int]]:
    rows = df.groupBy(label_col, pred_col).agg(F.count(F.lit(1)).alias("n")).collect()  # classes^2 rows
    return [(int(r[label_col]), int(r[pred_col]), int(r["n"])) for r in rows]


def matrix_from_counts(counts: Iterable[tuple[int, int, float]], k: int) -> list[list[float]]:
    m = [[0] * k for _ in range(k)]
    for t, p, n in counts:
        m[t][p] += n
    return m


def classification_report(matrix: list[list[float]], names: list[str]) -> dict[str, Any]:
    k = len(names)
    total = sum(sum(row) for row in matrix)
    per_class = []
    for i, name in enumerate(names):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted = sum(matrix[r][i] for r in range(k))
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append({"label": name, "precision": precision, "recall": recall, "f1": f1, "support": support})
    accuracy = sum(matrix[i][i] for i in range(k)) / total if total else 0.0

    def avg(key: str, weighted: bool) -> float:
        if weighted:
            return sum(c[key] * c["support"] for c in per_class) / total if total else 0.0
        return sum(c[key] for c in per_class) / k if k else 0.0

    return {
        "n": total,
        "accuracy": accuracy,
        "per_class": per_class,
        "macro_avg": {m: avg(m, False) for m in ("precision", "recall", "f1")},
        "weighted_avg": {m: avg(m, True) for m in ("precision", "recall", "f1")},
        "labels": names,
        "confusion_matrix": matrix,
    }


def majority_baseline(support: dict[str, float], names: list[str]) -> dict[str, Any]:
    """Always predicting the most frequent class (ties: the first in the label map)."""
    total = sum(support.values())
    best = max(names, key=lambda n: (support.get(n, 0), -names.index(n)))
    share = support.get(best, 0) / total if total else 0.0
    f1 = 2 * share / (1 + share) if share else 0.0
    return {"label": best, "accuracy": share, "macro_f1": f1 / len(names),
            "weighted_f1": f1 * share, "roc_auc": 0.5}


# ------------------------------------------------------------------------------------------ curves
def _bucket(score: Column, bins: int) -> Column:
    return F.least(F.floor(score * bins), F.lit(bins - 1)).cast("int")


def score_histogram(df: DataFrame, positive: Column, score: Column, bins: int) -> list[tuple[int, int, int]]:
    """(bucket, positives, negatives) per bucket of ``score`` in [0, 1]: at most ``bins`` rows."""
    rows = (
        df.select(_bucket(score, bins).alias("b"), positive.cast("int").alias("y"))
        .groupBy("b").agg(F.sum("y").alias("pos"), F.sum(1 - F.col("y")).alias("neg"))
        .collect()
    )
    return sorted((int(r["b"]), int(r["pos"]), int(r["neg"])) for r in rows)


def curves(hist: list[tuple[int, float, float]]) -> dict[str, Any]:
    """ROC and PR curves from a histogram (thresholds from the highest bucket down)."""
    pos_total = sum(h[1] for h in hist)
    neg_total = sum(h[2] for h in hist)
    tp = fp = 0.0
    roc = [(0.0, 0.0)]
    pr = []
    auc = ap = 0.0
    prev_recall = 0.0
    for _, pos, neg in sorted(hist, key=lambda h: -h[0]):
        if pos == 0 and neg == 0:
            continue
        tp_new, fp_new = tp + pos, fp + neg
        if pos_total and neg_total:
            auc += (fp_new - fp) / neg_total * ((tp + tp_new) / 2) / pos_total
        tp, fp = tp_new, fp_new
        tpr = tp / pos_total if pos_total else 0.0
        fpr = fp / neg_total if neg_total else 0.0
        roc.append((fpr, tpr))
        precision = tp / (tp + fp) if tp + fp else 1.0
        pr.append((tpr, precision))
        ap += (tpr - prev_recall) * precision
        prev_recall = tpr
    return {
        "roc_auc": auc if pos_total and neg_total else None,
        "pr_auc": ap if pos_total else None,
        "roc": roc,
        "pr": pr,
        "positives": pos_total,
        "negatives": neg_total,
    }


def calibration(df: DataFrame, outcome: Column, score: Column, bins: int) -> dict[str, Any]:
    rows = (
        df.select(_bucket(score, bins).alias("b"), score.alias("p"), outcome.cast("double").alias("y"))
        .groupBy("b").agg(
            F.count(F.lit(1)).alias("n"), F.sum("p").alias("sum_p"), F.sum("y").alias("sum_y"),
            F.sum((F.col("p") - F.col("y")) ** 2).alias("sq"),
        ).collect()
    )
    total = sum(int(r["n"]) for r in rows)
    table = []
    ece = brier = 0.0
    for r in sorted(rows, key=lambda r: r["b"]):
        n = int(r["n"])
        mean_p, rate = r["sum_p"] / n, r["sum_y"] / n
        table.append({"bin": int(r["b"]), "from": r["b"] / bins, "to": (r["b"] + 1) / bins, "n": n,
                      "mean_predicted": mean_p, "observed_rate": rate})
        ece += n / total * abs(mean_p - rate)
        brier += r["sq"]
    return {"bins": table, "brier": brier / total if total else None, "ece": ece if total else None}


# ------------------------------------------------------------------------------------------ business view
def business_view(tp: float, fp: float, fn: float, tn: float, minutes: float) -> dict[str, Any]:
    n = tp + fp + fn + tn
    positives, flagged = tp + fn, tp + fp
    rate = flagged / n if n else 0.0
    random_fn = positives * (1 - rate)  # a random flag at the same rate misses (1 - rate) of the positives
    random_fp = (n - positives) * rate
    return {
        "items": n, "needing_support": positives, "flagged": flagged, "flag_rate": rate,
        "minutes_per_item": minutes,
        "model": {"missed_items": fn, "wasted_items": fp, "minutes_missed": fn * minutes, "minutes_wasted": fp * minutes},
        "random_same_rate": {"missed_items": random_fn, "wasted_items": random_fp,
                             "minutes_missed": random_fn * minutes, "minutes_wasted": random_fp * minutes},
        "minutes_saved_vs_random": (random_fn + random_fp - fn - fp) * minutes,
    }


# ------------------------------------------------------------------------------------------ paired tests
def mcnemar(b: int, c: int) -> dict[str, Any]:
    """McNemar's test on the discordant pairs (see the module docstring)."""
    n = b + c
    if n == 0:
        return {"b": b, "c": c, "statistic": 0.0, "p_value": 1.0, "method": "no discordant pairs"}
    if n < 25:
        k = min(b, c)
        p = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
        return {"b": b, "c": c, "statistic": float(k), "p_value": min(1.0, 2 * p), "method": "exact binomial"}
    stat = (abs(b - c) - 1) ** 2 / n
    return {"b": b, "c": c, "statistic": stat, "p_value": math.erfc(math.sqrt(stat / 2)),
            "method": "chi-square, continuity corrected"}


def poisson1(u: Column) -> Column:
    """A Poisson(1) draw from a uniform ``u`` by the inverse CDF (counts above 7 have probability < 1e-5)."""
    cdf, p, acc = [], math.exp(-1), 0.0
    for k in range(8):
        acc += p / math.factorial(k) * 1  # P(X = k) = e^-1 / k!
        cdf.append(acc)
    expr = F.when(u < cdf[0], 0)
    for k in range(1, 8):
        expr = expr.when(u < cdf[k], k)
    return expr.otherwise(8)


def _macro_f1(matrix: list[list[float]]) -> float:
    k = len(matrix)
    out = 0.0
    for i in range(k):
        tp = matrix[i][i]
        support, predicted = sum(matrix[i]), sum(matrix[r][i] for r in range(k))
        p = tp / predicted if predicted else 0.0
        r = tp / support if support else 0.0
        out += 2 * p * r / (p + r) if p + r else 0.0
    return out / k


def _percentiles(values: list[float]) -> dict[str, float] | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None

    def q(x):
        pos = x * (len(values) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    return {"low": q(0.025), "high": q(0.975), "mean": sum(values) / len(values)}


def bootstrap_paired(df: DataFrame, k: int, replicates: int, seed: int, binary: bool, auc_bins: int = 200) -> dict:
    """95 % intervals of macro-F1 (and ROC-AUC when binary) of models a and b and of b - a.

    ``df``: doc_id, label_idx, pred_a, pred_b (and score_a, score_b: the positive class's probability when
    binary). Spark work: replicates x classes^2 (and replicates x auc_bins) rows reach the driver."""
    from vocspark.models.classifiers import unit_hash

    u = unit_hash(seed, "doc_id", "rep")
    rep_df = df.withColumn("rep", F.explode(F.sequence(F.lit(0), F.lit(replicates - 1)))).withColumn("w", poisson1(u))
    rep_df = rep_df.where(F.col("w") > 0)
    out: dict[str, Any] = {"replicates": replicates, "seed": seed}
    f1 = {"a": {}, "b": {}}
    for side in ("a", "b"):
        rows = rep_df.groupBy("rep", "label_idx", f"pred_{side}").agg(F.sum("w").alias("n")).collect()
        per_rep: dict[int, list] = {}
        for r in rows:
            per_rep.setdefault(int(r["rep"]), []).append((int(r["label_idx"]), int(r[f"pred_{side}"]), float(r["n"])))
        f1[side] = {rep: _macro_f1(matrix_from_counts(c, k)) for rep, c in per_rep.items()}
    reps = sorted(set(f1["a"]) & set(f1["b"]))
    out["macro_f1"] = {"a": _percentiles([f1["a"][r] for r in reps]), "b": _percentiles([f1["b"][r] for r in reps]),
                       "b_minus_a": _percentiles([f1["b"][r] - f1["a"][r] for r in reps])}
    if binary:
        auc = {}
        for side in ("a", "b"):
            rows = (rep_df.select("rep", "w", F.col("label_idx").cast("int").alias("y"),
                                  _bucket(F.col(f"score_{side}"), auc_bins).alias("bk"))
                    .groupBy("rep", "bk").agg(F.sum(F.col("w") * F.col("y")).alias("pos"),
                                               F.sum(F.col("w") * (1 - F.col("y"))).alias("neg")).collect())
            hist: dict[int, list] = {}
            for r in rows:
                hist.setdefault(int(r["rep"]), []).append((int(r["bk"]), float(r["pos"]), float(r["neg"])))
            auc[side] = {rep: curves(h)["roc_auc"] for rep, h in hist.items()}
        reps = sorted(set(auc["a"]) & set(auc["b"]))
        out["roc_auc"] = {
            "a": _percentiles([auc["a"][r] for r in reps]), "b": _percentiles([auc["b"][r] for r in reps]),
            "b_minus_a": _percentiles([auc["b"][r] - auc["a"][r] for r in reps if auc["a"][r] is not None
                                       and auc["b"][r] is not None]),
        }
    return out


# ------------------------------------------------------------------------------------------ one model, one dataset
def evaluate(scored_df: DataFrame, names: list[str], ecfg: dict, binary: bool) -> dict[str, Any]:
    """The whole report for a scored, labelled DataFrame (label_idx, pred_idx, _probs, probability)."""
    k = len(names)
    matrix = matrix_from_counts(confusion_counts(scored_df), k)
    report = classification_report(matrix, names)
    support = {c["label"]: c["support"] for c in report["per_class"]}
    report["majority_baseline"] = majority_baseline(support, names)
    if binary:
        positive_score = F.col("_probs")[1]
        is_pos = F.col("label_idx") == 1
        cur = curves(score_histogram(scored_df, is_pos, positive_score, ecfg["curve_bins"]))
        report["roc_auc"], report["pr_auc"] = cur["roc_auc"], cur["pr_auc"]
        report["curves"] = {"roc": _thin(cur["roc"]), "pr": _thin(cur["pr"])}
        report["pr_auc_baseline"] = support[names[1]] / report["n"] if report["n"] else None
        report["calibration"] = calibration(scored_df, is_pos, positive_score, ecfg["calibration_bins"])
        tn, fp, fn, tp = matrix[0][0], matrix[0][1], matrix[1][0], matrix[1][1]
        report["business"] = business_view(tp, fp, fn, tn, ecfg["minutes_per_item"])
        report["business"]["positive_label"] = names[1]
    else:
        correct = F.col("label_idx") == F.col("pred_idx")
        report["calibration"] = calibration(scored_df, correct, F.col("probability"), ecfg["calibration_bins"])
    return report


def _thin(points: list[tuple[float, float]], keep: int = 400) -> list[list[float]]:
    """At most ``keep`` points of a curve (for the JSON and the plot), first and last kept."""
    if len(points) <= keep:
        return [[round(x, 6), round(y, 6)] for x, y in points]
    step = (len(points) - 1) / (keep - 1)
    return [[round(points[round(i * step)][0], 6), round(points[round(i * step)][1], 6)] for i in range(keep)]


# ------------------------------------------------------------------------------------------ rendering
def markdown(report: dict[str, Any], title: str) -> str:
    lines = [f"# {title}", "", f"{report['n']} documents. Accuracy {report['accuracy']:.4f}; "
             f"majority baseline ({report['majority_baseline']['label']}) accuracy "
             f"{report['majority_baseline']['accuracy']:.4f}, macro-F1 {report['majority_baseline']['macro_f1']:.4f}.", ""]
    lines += ["| label | precision | recall | f1-score | support |", "|---|---:|---:|---:|---:|"]
    for c in report["per_class"]:
        lines.append(f"| {c['label']} | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} | {c['support']} |")
    for name in ("macro_avg", "weighted_avg"):
        a = report[name]
        lines.append(f"| **{name.replace('_', ' ')}** | {a['precision']:.4f} | {a['recall']:.4f} | {a['f1']:.4f} | {report['n']} |")
    lines += ["", "Confusion matrix (rows: true, columns: predicted)", "",
              "| | " + " | ".join(report["labels"]) + " |", "|---|" + "---:|" * len(report["labels"])]
    for name, row in zip(report["labels"], report["confusion_matrix"]):
        lines.append(f"| **{name}** | " + " | ".join(str(int(v)) for v in row) + " |")
    if report.get("roc_auc") is not None:
        lines += ["", f"ROC-AUC {report['roc_auc']:.4f} (random 0.5); PR-AUC {report['pr_auc']:.4f} "
                      f"(random {report['pr_auc_baseline']:.4f})."]
    cal = report.get("calibration") or {}
    if cal.get("brier") is not None:
        lines += ["", f"Calibration: Brier {cal['brier']:.4f}, expected calibration error {cal['ece']:.4f}.", "",
                  "| bin | n | mean predicted | observed |", "|---|---:|---:|---:|"]
        lines += [f"| {b['from']:.2f}-{b['to']:.2f} | {b['n']} | {b['mean_predicted']:.3f} | {b['observed_rate']:.3f} |"
                  for b in cal["bins"]]
    biz = report.get("business")
    if biz:
        m, r = biz["model"], biz["random_same_rate"]
        lines += ["", f"Business view ({biz['minutes_per_item']:g} minutes per item, positive = {biz['positive_label']}; "
                      f"flag rate {biz['flag_rate']:.3f})", "",
                  "| | missed items | minutes missed | wasted items | minutes wasted |", "|---|---:|---:|---:|---:|",
                  f"| model | {m['missed_items']:.0f} | {m['minutes_missed']:.0f} | {m['wasted_items']:.0f} | {m['minutes_wasted']:.0f} |",
                  f"| random, same flag rate | {r['missed_items']:.1f} | {r['minutes_missed']:.0f} | {r['wasted_items']:.1f} | {r['minutes_wasted']:.0f} |",
                  "", f"Minutes saved against random flagging: {biz['minutes_saved_vs_random']:.0f}."]
    return "\n".join(lines) + "\n"


def plots(report: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes: confusion matrix, and ROC and PR curves for binary models (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    names = report["labels"]
    matrix = report["confusion_matrix"]
    size = max(4, 0.45 * len(names) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(names) <= 12:
        top = max(max(r) for r in matrix) or 1
        for i, row in enumerate(matrix):
            for j, v in enumerate(row):
                ax.text(j, i, str(int(v)), ha="center", va="center", fontsize=8, color="white" if v > top / 2 else "black")
    ax.set_title("Confusion matrix")
    out["confusion_matrix.png"] = _png(fig, plt)
    if report.get("curves"):
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        xs, ys = zip(*report["curves"]["roc"])
        ax.plot(xs, ys, label=f"model (AUC {report['roc_auc']:.3f})")
        ax.plot([0, 1], [0, 1], "--", color="grey", label="random")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.legend(loc="lower right")
        ax.set_title("ROC")
        out["roc.png"] = _png(fig, plt)
        fig, ax = plt.subplots(figsize=(4.5, 4.5))
        if report["curves"]["pr"]:
            xs, ys = zip(*report["curves"]["pr"])
            ax.plot(xs, ys, label=f"model (AP {report['pr_auc']:.3f})")
        ax.axhline(report["pr_auc_baseline"] or 0, linestyle="--", color="grey", label="random")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower left")
        ax.set_title("Precision-recall")
        out["pr.png"] = _png(fig, plt)
    return out


def _png(fig, plt) -> bytes:
    buf = io_std.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def write_bytes(spark, uri: str, data: bytes) -> None:
    fs, path = io._fs_and_path(spark, uri)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def write_report(spark, uri: str, report: dict[str, Any], title: str, with_plots: bool = True) -> list[str]:
    """``report.json``, ``report.md`` and the PNG plots under ``uri``; returns the files written."""
    base = uri.rstrip("/")
    io.write_text(spark, base + "/report.json", json.dumps(report, indent=1, default=_json_default) + "\n")
    io.write_text(spark, base + "/report.md", markdown(report, title))
    files = ["report.json", "report.md"]
    if with_plots:
        for name, data in plots(report).items():
            write_bytes(spark, f"{base}/{name}", data)
            files.append(name)
    return files


def _json_default(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)
