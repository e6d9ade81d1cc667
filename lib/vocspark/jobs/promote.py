"""promote: make a model's candidate its champion, only when the candidate passes its gate.

Training registers a ``candidate``; scheduled inference reads the ``champion``. This job (the monthly workflow
runs it after training) judges each named model's candidate with :mod:`vocspark.models.promotion` and moves
the champion alias through :class:`vocspark.models.registry.ModelRegistry` when the gate passes:

- ``--topic-model NAME`` (with ``--mapping URI``, default ``topics.<name>.mapping`` or
  ``conf/topics/<name>.yaml``): the mapping must be for exactly the candidate version and decide every cluster
  (a label, or ``unassigned``). A missing or invalid mapping is a failed gate, not an error: the champion stays.
- ``--classifier NAME`` (comma-separated for several): the candidate is compared with the champion on the
  champion's holdout (:func:`vocspark.models.comparison.compare`, report under
  ``reports/promote/<name>/<run_id>/``) and judged by the classifier's ``promotion`` rule; with no champion yet,
  the candidate passes when it has test metrics on a holdout of the minimum size.

A candidate that is already the champion is left alone. A candidate that fails its gate leaves the champion in
place; the manifest (``extra.decisions``) and the log say why, and the job succeeds: a failed gate is a decision,
not a fault. ``--dry-run`` judges without moving anything. The job fails (naming the model, version and rule)
only when it cannot judge: an unknown model or version, a gate metric missing.

Manifest counts are candidate models: read = judged; written = promoted; filtered: ``gate_failed``,
``already_champion``, ``dry_run`` (passed but not moved).
"""
from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from vocspark import io, runtime
from vocspark.config import Config, ConfigError
from vocspark.models import classifier_data as D
from vocspark.models import comparison, promotion, topic_mapping, topics
from vocspark.models.registry import CANDIDATE, CHAMPION, ModelRegistry, RegistryError
from vocspark.runtime import JobRun

log = logging.getLogger(__name__)
JOB = "promote"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--topic-model", default=None, help="topic model to judge (config `topics.<name>`)")
    parser.add_argument("--mapping", default=None, help="mapping YAML of the topic model's candidate "
                        "(default: topics.<name>.mapping or conf/topics/<name>.yaml)")
    parser.add_argument("--classifier", default=None, help="classifier(s) to judge, comma-separated")
    parser.add_argument("--version", default=None, help="judge this version instead of the candidate "
                        "(one model only)")
    parser.add_argument("--dry-run", action="store_true", help="judge, but move no alias")
    parser.add_argument("--as-of", default=None, help="the scheduled run's date (recorded; the gate does not use it)")


@dataclass(frozen=True)
class Options(runtime.Options):
    topic_model: str | None = None
    mapping: str | None = None
    classifier: str | None = None
    version: str | None = None
    dry_run: bool = False
    as_of: str | None = None


def _names(value: str | None) -> list[str]:
    return [n.strip() for n in (value or "").split(",") if n.strip()]


def _candidate(registry: ModelRegistry, name: str, version: str | None) -> str:
    if version:
        if not registry.exists(name, version):
            raise RegistryError(f"promote: model `{name}` has no version `{version}`")
        return version
    return registry.resolve(name, CANDIDATE)


def judge_topic_model(spark: SparkSession, cfg: Config, registry: ModelRegistry, name: str, version: str,
                      mapping_option: str | None) -> promotion.GateResult:
    """The topic gate of ``version``: its mapping read (a missing or invalid one is a failed gate)."""
    k = int(registry.metadata(name, version)["k"])
    uri = topic_mapping.mapping_uri(cfg, name, mapping_option)
    try:
        mapping = topic_mapping.read_mapping(spark, uri)
    except ConfigError as exc:
        return promotion.topic_gate(name, version, k, None, problem=str(exc).splitlines()[0])
    return promotion.topic_gate(name, version, k, mapping)


def judge_classifier(spark: SparkSession, cfg: Config, run: JobRun, registry: ModelRegistry, name: str,
                     version: str) -> tuple[promotion.GateResult, dict[str, Any]]:
    """The classifier gate of ``version`` against the champion (or the first-version rule)."""
    candidate = D.classifier_version(registry, name, version)
    ccfg = D.classifier_config(cfg, name, spark=spark)
    binary = len(candidate.metadata["labels"]) == 2
    rule = promotion.classifier_rule(ccfg.get("promotion"), binary, name, version)
    champion_version = registry.alias(name, CHAMPION)
    if champion_version is None:
        return promotion.first_classifier_gate(name, version, candidate.metadata.get("metrics"), rule), {}
    champion = D.classifier_version(registry, name, champion_version)
    try:
        comparison.check_comparable(champion, candidate)
    except comparison.LabelsDifferError as exc:  # a decision (the champion stays), not a fault
        return promotion.GateResult(name, version, False, promotion.describe(rule), [str(exc)]), {}
    scratch = io.Manifest(JOB, run.run_id)  # the holdout's counts are documents, not candidate models
    result = comparison.compare(spark, cfg, run, champion, candidate, manifest=scratch)
    holdout = {"documents": result["holdout"]["documents"], "report": result["report"],
               "holdout_counts": {"read": scratch.read, "rejected": scratch.rejected, "filtered": scratch.filtered}}
    return promotion.classifier_gate(name, version, result, rule), holdout


def run(spark: SparkSession, cfg: Config, args: argparse.Namespace | Options) -> io.Manifest:
    options = runtime.options_from(args, Options)
    topic_models = _names(options.topic_model)
    classifiers = _names(options.classifier)
    for name in topic_models:
        topics.model_name(cfg, name)  # an unknown topic model fails before Spark work
    if not topic_models and not classifiers:
        raise ConfigError("promote: name a model with --topic-model and/or --classifier")
    if options.version and len(topic_models) + len(classifiers) != 1:
        raise ConfigError("promote: --version needs exactly one model")
    registry = ModelRegistry.of(spark, cfg)
    decisions: list[dict[str, Any]] = []
    with JobRun(spark, cfg, JOB, options) as run:
        work = [("topics", n) for n in topic_models] + [("classifier", n) for n in classifiers]
        for kind, name in work:
            with run.step(f"judge {name}"):
                version = _candidate(registry, name, options.version)
                before = registry.aliases(name)
                run.manifest.read += 1
                if before[CHAMPION] == version:
                    run.manifest.filtered["already_champion"] = run.manifest.filtered.get("already_champion", 0) + 1
                    decisions.append({"model": name, "version": version, "decision": "already champion",
                                      "aliases_before": before, "aliases_after": before})
                    log.info("promote: %s %s is already the champion", name, version)
                    continue
                extra: dict[str, Any] = {}
                if kind == "topics":
                    gate = judge_topic_model(spark, cfg, registry, name, version, options.mapping)
                else:
                    gate, extra = judge_classifier(spark, cfg, run, registry, name, version)
                if not gate.passed:
                    decision = "kept champion"
                    run.manifest.filtered["gate_failed"] = run.manifest.filtered.get("gate_failed", 0) + 1
                    log.warning("promote: %s; champion stays %s", gate.summary(), before[CHAMPION])
                elif options.dry_run:
                    decision = "would promote (dry run)"
                    run.manifest.filtered["dry_run"] = run.manifest.filtered.get("dry_run", 0) + 1
                    log.info("promote (dry run): %s", gate.summary())
                else:
                    registry.promote(name, version, reason=gate.summary(), run_id=run.run_id)
                    decision = "promoted"
                    run.manifest.written += 1
                    log.info("promote: %s; champion %s -> %s", gate.summary(), before[CHAMPION], version)
                decisions.append({**gate.as_dict(), **extra, "decision": decision, "aliases_before": before,
                                  "aliases_after": registry.aliases(name)})
        run.manifest.outputs = {"models": cfg.uri("models")}
        run.manifest.extra["decisions"] = decisions
    return run.manifest
