"""The analyst's mapping for a topic model: cluster id -> label; label -> subject and category.

``conf/topics/<name>.yaml``::

    model: instagram
    model_version: "20210701T000000Z-1a2b3c"   # the model version this mapping was written for
    categories: [praise, complaint, problem]     # severity order, least to most important
    category_names:                              # display names per language (optional)
      pt: {praise: elogio, complaint: reclamação, problem: problema}
    labels:
      entrega_atrasada: {subject: entrega, category: complaint}
    clusters:
      0: entrega_atrasada
      1: unassigned                              # looked at: no label (its comments stay unassigned)
      2: null                                    # not labelled yet (the promotion gate refuses the version)

Loading it for another model version is an error (:class:`MappingVersionError`): cluster ids mean nothing across
versions. ``python -m vocspark.models.topic_mapping skeleton --model NAME [--version V]`` writes a skeleton with
every cluster of a trained model (default: the model's candidate, its newest trained version, in the registry), its size and top terms as comments, for the analyst to fill in.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from vocspark import config as config_mod
from vocspark import io
from vocspark.config import ConfigError, Field, MapOf, validate
from vocspark.models.registry import CANDIDATE, ModelRegistry
from vocspark.session import build_session

UNASSIGNED = "unassigned"
DEFAULT_CATEGORIES = ["praise", "complaint", "problem"]
DEFAULT_CATEGORY_NAMES = {
    "pt": {"praise": "elogio", "complaint": "reclamação", "problem": "problema"},
    "es": {"praise": "elogio", "complaint": "queja", "problem": "problema"},
    "en": {"praise": "praise", "complaint": "complaint", "problem": "problem"},
}

SPEC = {
    "model": Field(str, required=True),
    "model_version": Field(str, required=True),
    "categories": Field(list, default=list(DEFAULT_CATEGORIES), item_type=str),
    "category_names": Field(dict, default={}, item_type=dict),
    "labels": MapOf({"subject": Field(str, required=True), "category": Field(str, required=True)}),
    "clusters": Field(dict, default={}, item_type=(str, type(None))),
    "generated_from": Field(str),  # e.g. "planted truth (demo only)"
}

CLUSTER_LABELS_SCHEMA = T.StructType(
    [
        T.StructField("cluster", T.IntegerType(), False),
        T.StructField("label", T.StringType(), False),
        T.StructField("subject", T.StringType(), False),
        T.StructField("category", T.StringType(), False),
        T.StructField("severity", T.IntegerType(), False),
    ]
)


class MappingVersionError(ConfigError):
    """The mapping was written for another model version."""


@dataclass(frozen=True)
class TopicMapping:
    model: str
    model_version: str
    categories: list[str]
    category_names: dict[str, dict[str, str]]
    labels: dict[str, dict[str, str]]
    clusters: dict[int, str | None]
    origin: str = "mapping"

    def severity(self, category: str) -> int:
        """0 for the least important category, rising with importance."""
        return self.categories.index(category)

    def check_model(self, model: str, version: str, k: int | None = None) -> None:
        if self.model != model:
            raise MappingVersionError(f"{self.origin}: mapping is for model `{self.model}`, not `{model}`")
        if self.model_version != version:
            raise MappingVersionError(
                f"{self.origin}: mapping was written for model version `{self.model_version}`, "
                f"but the model loaded is version `{version}`: regenerate the skeleton and relabel"
            )
        if k is not None:
            outside = sorted(c for c in self.clusters if not 0 <= c < k)
            if outside:
                raise ConfigError(f"{self.origin}: `clusters.{outside[0]}` is not a cluster of a {k}-cluster model")

    def rows(self) -> list[tuple[int, str, str, str, int]]:
        out = []
        for cluster, label in sorted(self.clusters.items()):
            if label is None or label == UNASSIGNED:
                continue
            spec = self.labels[label]
            out.append((cluster, label, spec["subject"], spec["category"], self.severity(spec["category"])))
        return out

    def clusters_df(self, spark: SparkSession) -> DataFrame:
        """(cluster, label, subject, category, severity) for every labelled cluster: small, for a broadcast join."""
        return spark.createDataFrame(self.rows(), CLUSTER_LABELS_SCHEMA)

    def display_name(self, category: str, lang: str) -> str:
        return self.category_names.get(lang, {}).get(category, category)


def parse_mapping(data: Any, origin: str = "mapping") -> TopicMapping:
    raw = validate(data, SPEC, origin=origin)
    categories = raw["categories"]
    if not categories or len(set(categories)) != len(categories):
        raise ConfigError(f"{origin}: `categories` must be a non-empty list without repeats")
    for lang, names in raw["category_names"].items():
        unknown = sorted(set(names) - set(categories))
        if unknown:
            raise ConfigError(f"{origin}: `category_names.{lang}.{unknown[0]}` is not one of `categories`")
    for label, spec in raw["labels"].items():
        if spec["category"] not in categories:
            raise ConfigError(
                f"{origin}: `labels.{label}.category` is `{spec['category']}`, not one of {categories}"
            )
        if label == UNASSIGNED:
            raise ConfigError(f"{origin}: `labels.{UNASSIGNED}` is reserved for comments without a label")
    clusters: dict[int, str | None] = {}
    for key, label in raw["clusters"].items():
        try:
            cluster = int(key)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: `clusters.{key}` must be a cluster id (an integer)") from None
        if label is not None and label != UNASSIGNED and label not in raw["labels"]:
            raise ConfigError(f"{origin}: `clusters.{key}` names label `{label}`, which `labels` does not define")
        clusters[cluster] = label
    names = {lang: dict(n) for lang, n in DEFAULT_CATEGORY_NAMES.items()}
    for lang, n in raw["category_names"].items():
        names.setdefault(lang, {}).update(n)
    return TopicMapping(
        model=raw["model"], model_version=str(raw["model_version"]), categories=categories,
        category_names=names, labels=raw["labels"], clusters=clusters, origin=origin,
    )


def mapping_uri(cfg, name: str, explicit: str | None = None) -> str:
    """``explicit`` (``--mapping``), else ``topics.<name>.mapping``, else ``conf/topics/<name>.yaml``; as a URI
    (local or S3)."""
    path = explicit or cfg["topics"][name]["mapping"] or str(config_mod.PROJECT_ROOT / "conf" / "topics" / f"{name}.yaml")
    return config_mod.to_uri(path, Path.cwd())


def read_mapping(spark: SparkSession, uri: str) -> TopicMapping:
    """Load a mapping from a local path or an S3 URI (so Glue and EMR jobs can keep it next to the data)."""
    if not io.path_exists(spark, uri):
        raise ConfigError(f"topic mapping not found: {uri}")
    try:
        data = yaml.safe_load(io.read_text(spark, uri))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{uri}: not valid YAML: {str(exc).splitlines()[0]}") from None
    return parse_mapping(data, origin=uri)


def skeleton(model: str, version: str, clusters: list[dict[str, Any]], categories: list[str] | None = None) -> str:
    """YAML text for a new mapping: every cluster unlabelled, its size and top terms as a comment.

    ``clusters``: [{"cluster": 0, "size": 123, "top_terms": ["a", "b"], "examples": ["..."]}, ...]
    """
    categories = categories or list(DEFAULT_CATEGORIES)
    lines = [
        f"# Topic mapping for model `{model}` version `{version}`: label each cluster, define each label's",
        "# subject and category. Categories are in severity order (least to most important).",
        f"model: {model}",
        f'model_version: "{version}"',
        f"categories: [{', '.join(categories)}]",
        "category_names:",
        *[f"  {lang}: {{{', '.join(f'{c}: {n}' for c, n in names.items())}}}" for lang, names in DEFAULT_CATEGORY_NAMES.items()],
        "labels: {}",
        "  # example_label: {subject: delivery, category: problem}",
        "clusters:",
    ]
    for entry in sorted(clusters, key=lambda e: e["cluster"]):
        terms = ", ".join(entry.get("top_terms", [])[:8])
        example = (entry.get("examples") or [""])[0].replace("\n", " ")[:80]
        lines.append(f"  {entry['cluster']}: null  # {entry.get('size', 0)} sentences; {terms}; e.g. {example!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``skeleton``: write a mapping skeleton from a trained model's cluster report."""
    parser = argparse.ArgumentParser(prog="topic_mapping", description=main.__doc__)
    parser.add_argument("--config", default=str(config_mod.PROJECT_ROOT / "conf" / "local.yaml"),
                        help="YAML config file (default: conf/local.yaml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set base_uri=/tmp/voc (repeatable)")
    parser.add_argument("command", choices=["skeleton"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--version", default=None, help="model version (default: the candidate, the newest trained)")
    parser.add_argument("--out", default=None, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    cfg = config_mod.load(Path(args.config), dict(config_mod.parse_override(o) for o in args.overrides))
    spark = build_session(cfg, app_name="vocspark-topic-mapping")
    model = ModelRegistry.of(spark, cfg).get(args.model, args.version, alias=CANDIDATE)
    report = json.loads(io.read_text(spark, model.uri + "/report/clusters.json"))
    text = skeleton(args.model, model.version, report["clusters"])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
