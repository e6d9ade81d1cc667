"""report: the tables under ``<base>/analytics/tables/`` (and the registered models' metadata) -> one self-contained
HTML file ``<base>/analytics/report/<analytics.report.file>`` (see :mod:`vocspark.analytics.report`).

The analytics job's tables are required (a missing ``tables/`` folder fails before any write, naming it); drift,
sample, graph and model sections are filled when their tables exist and otherwise say which job to run.
Models: every model of :class:`vocspark.models.registry.ModelRegistry`, at its champion version (what scheduled
inference uses), else its candidate. Tables that grow with the data are cut in Spark before they reach the driver: repeat reviewers (most reviews
first) and the mismatch ranking (best ranks) to ``analytics.top_n`` rows.

Manifest counts: ``read`` = rows of the tables read (after the cuts) = ``written`` (every row is plotted or
listed); ``extra`` has the images, the tables found and missing, and the models shown.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from vocspark import io, runtime
from vocspark.analytics import report as rp
from vocspark.analytics import tables as tb
from vocspark.config import Config
from vocspark.models.registry import CANDIDATE, CHAMPION, ModelRegistry, RegistryError
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "report"
TABLES = (
    "monthly_category_volume", "length_by_category", "length_by_category_year", "length_histogram",
    "category_summary",
    "star_breakdown", "reviews_by_star", "rating_by_month", "helpfulness_by_star", "top_helpful_products",
    "positive_negative", "repeat_reviewers", "volume_by_source", "drift_overlap_period", "drift_overlap_star",
    "sample_months", "sample_categories", "graph_mismatch_ranking",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", default="VoC review analytics", help="report title")


def cut(name: str, df: DataFrame, top_n: int) -> DataFrame:
    """The rows of a table the report shows: growing tables cut to ``top_n`` in Spark, others whole."""
    if name == "repeat_reviewers":
        return df.orderBy(F.desc("reviews"), F.asc("user_id"), F.asc("product_id")).limit(top_n)
    if name == "graph_mismatch_ranking":
        return df.orderBy(F.asc("rank")).limit(top_n)
    if name == "top_helpful_products":
        return df.orderBy(F.asc("rank"))
    return df


def read_models(spark: SparkSession, cfg: Config) -> list[dict]:
    """Name, version (the champion, else the candidate) and metadata of every registered model (small JSON)."""
    registry = ModelRegistry.of(spark, cfg)
    out = []
    for name in registry.names():
        aliases = registry.aliases(name)
        version = aliases[CHAMPION] or aliases[CANDIDATE]
        if version is None:
            continue
        try:
            model = registry.get(name, version)
        except RegistryError as exc:  # an alias naming a version that is gone
            log.warning("report: model %s skipped: %s", name, exc)
            continue
        except ValueError:
            log.warning("report: the metadata of %s/%s is not valid JSON, skipped", name, version)
            continue
        out.append({"name": name, "version": version, "metadata": model.metadata})
    return out


@dataclass(frozen=True)
class Options(runtime.Options):
    title: str = "VoC review analytics"


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    out_uri = tb.analytics_uri(cfg)
    tables_uri = f"{out_uri}/tables"
    report_uri = f"{out_uri}/report/{cfg.typed.analytics.report.file}"
    top_n = cfg.typed.analytics.top_n
    with JobRun(spark, cfg, JOB, options, inputs={"analytics.tables": tables_uri}) as run:
        run.manifest.outputs = {"report": report_uri}
        frames, missing = {}, []
        with run.step("read tables") as step:
            for name in TABLES:
                df = tb.read_table(spark, out_uri, name)
                if df is None:
                    missing.append(name)
                    continue
                frames[name] = cut(name, df, top_n).toPandas()  # small aggregates only (see cut)
            step.rows = sum(len(f) for f in frames.values())
        models = read_models(spark, cfg)
        notes = [f"tables not found (their sections are empty): {', '.join(missing)}"] if missing else []
        with run.step("render"):
            page, n_images = rp.render(frames, models, title=options.title or "VoC review analytics", notes=notes)
            io.write_text(spark, report_uri, page)
        rows = sum(len(f) for f in frames.values())
        run.manifest.read = run.manifest.written = rows
        run.manifest.extra.update(images=n_images, tables={k: len(v) for k, v in frames.items()},
                                  missing_tables=missing, models=[f"{m['name']}/{m['version']}" for m in models],
                                  bytes=len(page.encode("utf-8")))
        log.info("report: %d images from %d tables (%d rows) -> %s", n_images, len(frames), rows, report_uri)
    return run.manifest
