"""compare_models: champion and challenger versions of one classifier on the same labelled holdout, offline.

Versions: ``--champion`` (default: the registry's ``champion`` alias) and ``--challenger`` (default: the
``candidate`` alias, the newest trained version); the two must differ. The job recommends; it does not move an
alias (the ``promote`` job does, through the same comparison). The rules (holdout, paired tests, traffic split,
recommendation) are :mod:`vocspark.models.comparison`'s.

Writes ``reports/compare_models/<model>/<run_id>/comparison.{json,md}``. Manifest as evaluate's.
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass

from pyspark.sql import SparkSession

from vocspark import args as args_mod
from vocspark import runtime
from vocspark.config import Config
from vocspark.models import classifier_data as D
from vocspark.models import comparison
from vocspark.models.registry import CANDIDATE, CHAMPION, ModelRegistry
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "compare_models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="classifier name (models/<name>/)")
    parser.add_argument("--champion", default=None, help="champion version (default: the registry's champion)")
    parser.add_argument("--challenger", default=None, help="challenger version (default: the registry's candidate)")
    parser.add_argument("--months", default=None, help="comma-separated months (default: the champion's training months)")
    parser.add_argument("--dataset", default="test", choices=("test", "all"), help="test split or every labelled doc")
    parser.add_argument("--labels", default=None, help="labels dataset URI (default: the champion's)")
    parser.add_argument("--challenger-share", type=float, default=None, help="traffic share of the challenger")


@dataclass(frozen=True)
class Options(runtime.Options):
    model: str | None = None
    champion: str | None = None
    challenger: str | None = None
    months: str | None = None
    dataset: str = "test"
    labels: str | None = None
    challenger_share: float | None = None


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> dict:
    options = runtime.options_from(args, Options)
    registry = ModelRegistry.of(spark, cfg)
    champion = D.classifier_version(registry, options.model, options.champion, CHAMPION)
    challenger = D.classifier_version(registry, options.model, options.challenger, CANDIDATE)
    comparison.check_comparable(champion, challenger)
    months = args_mod.selected_months(options)
    inputs = {"documents_clean": cfg.uri("documents_clean"), "champion": champion.uri, "challenger": challenger.uri}
    with JobRun(spark, cfg, JOB, options, inputs=inputs) as run:
        result = comparison.compare(spark, cfg, run, champion, challenger, months=months, dataset=options.dataset,
                                    labels=options.labels, challenger_share=options.challenger_share)
        run.manifest.outputs["report"] = result["report"]
        run.manifest.extra.update({"champion": result["champion"], "challenger": result["challenger"],
                                   "recommendation": result["recommendation"], "deltas": result["deltas"],
                                   "mcnemar": result["mcnemar"]})
    log.info("compare_models: %s %s vs %s on %d documents: %s (McNemar p=%.4g) -> %s", options.model,
             result["champion"], result["challenger"], result["holdout"]["documents"], result["recommendation"],
             result["mcnemar"]["p_value"], result["report"])
    return result
