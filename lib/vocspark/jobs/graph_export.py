"""graph_export: documents_clean (the reviews source) and, when present, ``predictions/<analytics.graph.model>/``
-> under ``<base>/analytics/graph/``:

- ``vertices/`` and ``edges/``: Parquet with GraphFrames' columns (``id``; ``src``, ``dst``, ``relationship``);
- ``neptune/vertices/<type>/`` and ``neptune/edges/<RELATIONSHIP>/``: CSV files in the Neptune Gremlin bulk-load
  format (each file with its header; load the whole ``neptune/`` prefix);
- the table ``graph_mismatch_ranking`` (Parquet + CSV, like the analytics tables).

The rules are in :mod:`vocspark.analytics.graph`. Both outputs are snapshots of the whole corpus, replaced whole
on every run (a rerun leaves the same rows). Without predictions the graph has no PREDICTED edges, the mismatch
ranking is written empty, and the manifest (``extra.predicted``, ``extra.mismatch_ranking``) and the log say why.

Manifest counts (they reconcile): ``read`` = rows of the reviews source; ``rejected`` by review rule, plus
``missing_user`` (no customer vertex), written to ``rejected/job=graph_export/...``; ``written`` = reviews in the
graph. ``extra`` has vertices per type, edges per relationship and the number of duplicate ids (0).
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime, schemas
from vocspark.analytics import graph as gr
from vocspark.analytics import tables as tb
from vocspark.config import Config
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "graph_export"
REVIEW_COLS = ("source", "doc_id", "user_id", "product_id", "product_parent", "product_title", "product_category",
               "star_rating", "helpful_votes", "total_votes", "verified_purchase", "created_at", "month")


@dataclass(frozen=True)
class Options(runtime.Options):
    """``--model``: predictions/<model>/ for PREDICTED edges (None: ``analytics.graph.model``)."""

    model: str | None = None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="predictions/<model>/ for PREDICTED edges "
                                                      "(default: analytics.graph.model)")


def graph_uri(cfg: Config) -> str:
    return f"{tb.analytics_uri(cfg)}/graph"


def write_csv(df, uri: str) -> None:
    (df.write.mode("overwrite").option("header", True).option("escape", '"')
     .option("timestampFormat", "yyyy-MM-dd'T'HH:mm:ss'Z'").csv(uri))


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    source = tb.reviews_source(cfg)
    model = options.model or cfg.typed.analytics.graph.model
    input_uri, predictions_uri, out_uri = cfg.uri("documents_clean"), cfg.uri("predictions", model), graph_uri(cfg)
    # predictions are optional (no PREDICTED edges without them): recorded as an input, not checked
    with JobRun(spark, cfg, JOB, options, inputs={"documents_clean": input_uri}) as run:
        manifest = run.manifest
        manifest.inputs[f"predictions.{model}"] = predictions_uri
        staged_df = tb.with_review_outcome(tb.read_clean(spark, input_uri, source, tb.REVIEW_COLUMNS),
                                           require_user=True)
        with run.step("read_and_count") as step:
            manifest.add_counts(io.outcome_counts(staged_df))
            step.rows = manifest.read
        reviews_df = (staged_df.where(F.col(io.OUTCOME).isNull()).select(*REVIEW_COLS)
                      .persist(StorageLevel.MEMORY_AND_DISK))
        predicted_df = None
        if io.path_exists(spark, predictions_uri):
            predictions_df = io.read_dataset(spark, predictions_uri, schemas.PREDICTIONS_CLASSIFIER)
            predicted_df = gr.latest_predictions(predictions_df).persist(StorageLevel.MEMORY_AND_DISK)
            manifest.extra["predicted"] = f"PREDICTED edges from {predictions_uri}"
        else:
            manifest.extra["predicted"] = (f"no PREDICTED edges: predictions of model `{model}` not found at "
                                           f"{predictions_uri}")
            log.warning("graph_export: %s", manifest.extra["predicted"])
        try:
            with run.step("write_graph"):
                vertices_df = gr.vertices(reviews_df)
                if predicted_df is not None:
                    vertices_df = vertices_df.unionByName(gr.predicted_categories(reviews_df, predicted_df))
                vertices_df.write.mode("overwrite").parquet(f"{out_uri}/vertices")
                gr.edges(reviews_df, predicted_df).write.mode("overwrite").parquet(f"{out_uri}/edges")
            with run.step("write_mismatch_ranking") as step:
                if predicted_df is not None:
                    ranking_df = gr.mismatch_ranking(reviews_df, predicted_df)
                    reason = None
                else:
                    ranking_df = spark.createDataFrame([], gr.MISMATCH)
                    reason = f"empty: no predictions of model `{model}` at {predictions_uri}"
                ranking_uris = tb.write_table(ranking_df, tb.analytics_uri(cfg), "graph_mismatch_ranking")
                step.rows = ranking_uris["rows"]
        finally:
            reviews_df.unpersist()
            if predicted_df is not None:
                predicted_df.unpersist()

        written_v = spark.read.parquet(f"{out_uri}/vertices")
        written_e = spark.read.parquet(f"{out_uri}/edges")
        with run.step("write_neptune"):
            for vertex_type in gr.VERTEX_TYPES:
                write_csv(gr.neptune_vertices(written_v, vertex_type), f"{out_uri}/neptune/vertices/{vertex_type}")
            for relationship in gr.RELATIONSHIPS:
                write_csv(gr.neptune_edges(written_e, relationship), f"{out_uri}/neptune/edges/{relationship}")
        with run.step("check_ids") as step:
            per_type = {r["type"]: r["n"] for r in
                        written_v.groupBy("type").agg(F.count(F.lit(1)).alias("n")).collect()}
            per_rel = {r["relationship"]: r["n"] for r in
                       written_e.groupBy("relationship").agg(F.count(F.lit(1)).alias("n")).collect()}
            ids = written_v.select("id").unionByName(written_e.select("id"))
            step.rows = ids.count()
            duplicates = step.rows - ids.distinct().count()
        ranked = ranking_uris["rows"]
        manifest.outputs.update(vertices=f"{out_uri}/vertices", edges=f"{out_uri}/edges",
                                neptune=f"{out_uri}/neptune", graph_mismatch_ranking=ranking_uris["parquet"])
        manifest.extra.update(vertices=per_type, edges=per_rel, duplicate_ids=duplicates, model=model,
                              mismatch_ranking={"products": ranked, "reason": reason}, reviews_source=source)
        log.info("graph_export: vertices %s, edges %s, %d products with mismatching predictions%s", per_type,
                 per_rel, ranked, f" ({reason})" if reason else "")
        if duplicates:
            raise RuntimeError(f"graph_export: {duplicates} duplicate vertex/edge ids")
        if manifest.rejected:
            with run.step("write_rejected") as step:
                manifest.outputs["rejected"] = tb.write_rejected_reviews(staged_df, JOB, run.run_id, cfg.base_uri)
                step.rows = sum(manifest.rejected.values())
    return manifest
