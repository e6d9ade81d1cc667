"""Load and validate configuration files.

A config is YAML. Validation is strict and fails fast: an unknown key, a value of the wrong type, a missing
required key or a local path that does not exist raises :class:`ConfigError` naming the dotted key (and the
file). Relative paths and a relative ``base_uri`` are resolved against the project root (the folder that
holds ``conf/``), so jobs behave the same whatever the working directory.
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REMOTE_SCHEMES = ("s3", "s3a", "s3n", "hdfs", "gs", "abfs", "abfss")


class ConfigError(ValueError):
    """Invalid configuration; the message names the offending key and file."""


# --------------------------------------------------------------------------- spec language
@dataclass(frozen=True)
class Field:
    """One leaf value: its type(s), default, allowed choices and an optional extra check."""

    types: type | tuple[type, ...]
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] | None = None
    check: Callable[[Any], str | None] | None = None  # returns an error message or None
    item_type: type | tuple[type, ...] | None = None  # for lists and dict values


@dataclass(frozen=True)
class MapOf:
    """A mapping with free keys whose values all follow ``spec``."""

    spec: Any
    required: bool = False


def _type_name(types: type | tuple[type, ...]) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in types)


def _is_instance(value: Any, types: type | tuple[type, ...]) -> bool:
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in types:
        return False  # YAML `yes` must not pass as an int
    if isinstance(value, int) and float in types and int not in types:
        return True
    return isinstance(value, types)


def validate(data: Any, spec: Mapping[str, Any], where: str = "", origin: str = "config") -> dict:
    """Return ``data`` with defaults filled in, or raise ConfigError naming the first bad key."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{origin}: `{where or '<root>'}` must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - set(spec))
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"{origin}: unknown key `{key}` (allowed here: {', '.join(sorted(spec))})")
    out: dict[str, Any] = {}
    for key, sub in spec.items():
        path = f"{where}.{key}" if where else key
        present = key in data and data[key] is not None
        if isinstance(sub, Mapping):
            out[key] = validate(data.get(key), sub, path, origin)
        elif isinstance(sub, MapOf):
            value = data.get(key)
            if value is None:
                if sub.required:
                    raise ConfigError(f"{origin}: missing required key `{path}`")
                value = {}
            if not isinstance(value, Mapping):
                raise ConfigError(f"{origin}: `{path}` must be a mapping, got {type(value).__name__}")
            out[key] = {name: validate(item, sub.spec, f"{path}.{name}", origin) for name, item in value.items()}
        else:
            if not present:
                if sub.required:
                    raise ConfigError(f"{origin}: missing required key `{path}`")
                out[key] = copy.deepcopy(sub.default)
                continue
            value = data[key]
            if not _is_instance(value, sub.types):
                raise ConfigError(
                    f"{origin}: `{path}` must be {_type_name(sub.types)}, got {type(value).__name__} ({value!r})"
                )
            if sub.item_type is not None:
                items = value.values() if isinstance(value, Mapping) else value
                for item in items:
                    if not _is_instance(item, sub.item_type):
                        raise ConfigError(
                            f"{origin}: every item of `{path}` must be {_type_name(sub.item_type)}, got {item!r}"
                        )
            if sub.choices is not None and value not in sub.choices:
                raise ConfigError(f"{origin}: `{path}` must be one of {list(sub.choices)}, got {value!r}")
            if sub.check is not None:
                problem = sub.check(value)
                if problem:
                    raise ConfigError(f"{origin}: `{path}` {problem}")
            out[key] = value
    return out


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be > 0"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "must be >= 0"


def _fraction(value: Any) -> str | None:
    return None if 0 <= value <= 1 else "must be between 0 and 1"


LANGS = ("en", "pt", "es")
SOURCE_KINDS = ("amazon_reviews_tsv", "twitter_firehose_json", "instagram_csv")

SOURCE_SPEC = {
    "kind": Field(str, required=True, choices=SOURCE_KINDS),
    "path": Field(str, required=True),
    "lang": Field(str, choices=LANGS),  # fixed language; None = take it from the record (tweets)
    "langs": Field(list, default=list(LANGS), item_type=str),  # accepted languages for records that carry one
    "marketplaces": Field(list, item_type=str),  # amazon: keep these marketplaces (None = all)
    "keywords": Field(list, item_type=str),  # tweets: keep tweets mentioning any keyword (None = all)
    "enabled": Field(bool, default=True),
}

TOPICS_SPEC = {
    "sources": Field(list, default=["instagram"], item_type=str),  # which sources' sentences to train on
    "mapping": Field(str),  # analyst mapping file; default conf/topics/<name>.yaml
    "train_months": Field(int, default=12, check=_positive),  # months of sentences before --until to train on
    "word2vec": {
        "vector_size": Field(int, default=100, check=_positive),
        "window": Field(int, default=5, check=_positive),
        "min_count": Field(int, default=5, check=_positive),
        "max_iter": Field(int, default=1, check=_positive),
        "num_partitions": Field(int, default=2, check=_positive),
        "step_size": Field(float, default=0.025, check=_positive),
        "max_sentence_length": Field(int, default=1000, check=_positive),
        "seed": Field(int, default=42),
        # frequent-word subsampling of the training sentences (word2vec's `sample`); 0 = off
        "sample": Field(float, default=0.0, check=_non_negative),
    },
    "kmeans": {
        "k": Field(int, default=120, check=_positive),
        "max_iter": Field(int, default=20, check=_positive),
        "tol": Field(float, default=1e-4, check=_non_negative),
        "init_mode": Field(str, default="k-means||", choices=("k-means||", "random")),
        "init_steps": Field(int, default=2, check=_positive),  # k-means|| rounds
        # train on a random sample of about this many sentences, then assign every sentence; 0 = all
        "train_sample_rows": Field(int, default=200000, check=_non_negative),
        "distance": Field(str, default="cosine", choices=("cosine", "euclidean")),
        "seed": Field(int, default=42),
    },
    "report": {
        "top_terms": Field(int, default=12, check=_positive),
        "examples": Field(int, default=5, check=_positive),
        "silhouette_sample": Field(int, default=20000, check=_positive),
    },
}

SPEC: dict[str, Any] = {
    "profile": Field(str, required=True, choices=("local", "emr", "glue")),
    "base_uri": Field(str, required=True),
    "spark": {
        "master": Field(str),
        "app_name": Field(str, default="vocspark"),
        "log_level": Field(str, default="WARN", choices=("ERROR", "WARN", "INFO", "DEBUG")),
        "conf": Field(dict, default={}, item_type=(str, int, float, bool)),
    },
    "sources": MapOf(SOURCE_SPEC, required=True),
    "ingest": {
        "min_chars": Field(int, default=5, check=_non_negative),  # keep text longer than this
        "max_chars": Field(int, default=5000, check=_positive),  # keep text shorter than this
        "output_partitions_per_month": Field(int, default=1, check=_positive),
    },
    "preprocess": {
        "engine": Field(str, default="arrow", choices=("arrow", "sql", "sparknlp")),
        "stemming": Field(bool, default=False),
        "remove_stopwords": Field(bool, default=True),
        "min_token_chars": Field(int, default=2, check=_positive),
        "output_partitions_per_month": Field(int, default=1, check=_positive),
    },
    "topics": MapOf(TOPICS_SPEC),
    # --- issue 4 (classifiers) top-level keys go below this line
    "classifiers": {
        "conf_dir": Field(str, default="conf/classifiers"),  # conf/classifiers/<name>.yaml, one per use case
    },
    # --- issue 5 (warehouse, deploy) top-level keys go below this line
    # JDBC warehouse (Redshift / PostgreSQL). The password is never in config: it comes from the environment
    # variable `password_env` or from the Secrets Manager secret `secret_id` (JSON with username/password).
    "warehouse": {
        "url": Field(str, check=lambda v: None if v.startswith("jdbc:") and "password" not in v.lower()
                     else "must be a jdbc: URL without a password"),
        "driver": Field(str, default="org.postgresql.Driver"),
        "user": Field(str),  # default: the secret's `username`, else $VOCSPARK_WAREHOUSE_USER
        "password_env": Field(str, default="VOCSPARK_WAREHOUSE_PASSWORD"),
        "secret_id": Field(str),
        "region": Field(str),  # Secrets Manager region (default: the AWS default region)
        "schema": Field(str, default="public"),
        "tables": {
            "predictions": Field(str, default="voc_comment_topics"),
            "user_subjects": Field(str, default="voc_user_subjects"),
        },
        "batch_size": Field(int, default=5000, check=_positive),
        "write_partitions": Field(int, default=4, check=_positive),  # parallel JDBC connections to the staging table
    },
    # Deployment to EMR and Glue (spark-submit.sh --target emr|glue, deploy/).
    "deploy": {
        "region": Field(str, default="us-east-1"),
        "artifacts_uri": Field(str),  # s3://bucket/prefix where the package, job scripts, config and jars go
        "name_prefix": Field(str, default="vocspark"),
        "topic_model": Field(str, default="instagram"),  # --model of infer_topics / train_topics in the workflows
        "classifier": Field(str, default="product_category"),  # --model of infer_classifier / train_classifier
        "emr": {
            "cluster_id": Field(str),
            "deploy_mode": Field(str, default="cluster", choices=("cluster", "client")),
            "action_on_failure": Field(str, default="CONTINUE", choices=("CONTINUE", "CANCEL_AND_WAIT", "TERMINATE_CLUSTER")),
        },
        "glue": {
            "role_arn": Field(str),
            "version": Field(str, default="5.1"),  # Spark 3.5.6, Python 3.11
            "worker_type": Field(str, default="G.1X"),
            "workers": Field(int, default=10, check=_positive),
            "timeout_minutes": Field(int, default=480, check=_positive),
            "weekly_schedule": Field(str, default="cron(0 6 ? * MON *)"),  # UTC
            "monthly_schedule": Field(str, default="cron(0 3 1 * ? *)"),  # UTC
        },
    },
    # --- issue 6 (analytics) top-level keys go below this line
    "analytics": {  # outputs under <base_uri>/<output>/...; see vocspark.analytics
        "output": Field(str, default="analytics"),
        "source": Field(str, default="amazon_reviews"),  # the reviews source of documents_clean
        "percentile_accuracy": Field(int, default=10000, check=_positive),  # percentile_approx accuracy
        "top_n": Field(int, default=20, check=_positive),  # rows of "top" tables (most helpful products)
        "sample": {
            "fraction": Field(float, default=0.01, check=_fraction),  # per month
            "min_category_share": Field(float, default=0.01, check=_fraction),  # drop smaller categories
            "seed": Field(int, default=42),
        },
        "drift": {
            "top_k": Field(int, default=20, check=_positive),
            "period": Field(str, default="year", choices=("year", "quarter", "month")),
            "min_term_count": Field(int, default=2, check=_positive),  # per group, else the term is ignored
        },
        "graph": {
            "model": Field(str, default="product_category"),  # predictions/<model>/ for PREDICTED edges
        },
        "report": {
            "file": Field(str, default="report.html"),
        },
    },
    "demo": {
        "seed": Field(int, default=42),
        "reviews": Field(int, default=20000, check=_non_negative),
        "tweets": Field(int, default=10000, check=_non_negative),
        "comments": Field(int, default=10000, check=_non_negative),
        "start_date": Field(str, default="2021-01-01"),
        "months": Field(int, default=6, check=_positive),
        "malformed_fraction": Field(float, default=0.01, check=_fraction),
        "duplicate_fraction": Field(float, default=0.01, check=_fraction),
    },
}


# --------------------------------------------------------------------------- loaded config
class Config(dict):
    """A validated config: a plain dict plus where it came from and helpers to build URIs."""

    path: Path | None = None

    @property
    def base_uri(self) -> str:
        return self["base_uri"]

    def uri(self, *parts: str) -> str:
        """URI of a dataset under the base URI, e.g. ``cfg.uri("documents")``."""
        return "/".join([self.base_uri.rstrip("/"), *(p.strip("/") for p in parts)])

    def source_uri(self, name: str) -> str:
        try:
            return self["sources"][name]["path"]
        except KeyError:
            raise ConfigError(f"{self.origin}: unknown source `sources.{name}` (have: {', '.join(self['sources'])})")

    @property
    def origin(self) -> str:
        return str(self.path) if self.path else "config"


def is_remote(uri: str) -> bool:
    return urlparse(uri).scheme in REMOTE_SCHEMES


def to_uri(value: str, root: Path = PROJECT_ROOT) -> str:
    """``s3://...`` and ``file:///...`` stay as they are; other strings are local paths made absolute."""
    scheme = urlparse(value).scheme
    if scheme in REMOTE_SCHEMES or scheme == "file":
        return value.rstrip("/") if value != "file:///" else value
    if scheme:
        raise ConfigError(f"unsupported URI scheme `{scheme}` in {value!r}")
    path = Path(os.path.expandvars(value)).expanduser()
    if not path.is_absolute():
        path = root / path
    return path.resolve().as_uri()


def local_path(uri: str) -> Path | None:
    """The local filesystem path of a ``file:`` URI, or None for a remote URI."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(parsed.path)
    if not parsed.scheme:
        return Path(uri)
    return None


def resolve(data: dict, root: Path = PROJECT_ROOT, origin: str = "config", check_paths: bool = True) -> Config:
    cfg = Config(validate(data, SPEC, origin=origin))
    try:
        cfg["base_uri"] = to_uri(cfg["base_uri"], root)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: `base_uri` {exc}") from None
    for name, src in cfg["sources"].items():
        key = f"sources.{name}.path"
        try:
            src["path"] = to_uri(src["path"].replace("${base_uri}", cfg["base_uri"]), root)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: `{key}` {exc}") from None
    if cfg["ingest"]["min_chars"] >= cfg["ingest"]["max_chars"]:
        raise ConfigError(f"{origin}: `ingest.min_chars` must be smaller than `ingest.max_chars`")
    if check_paths:
        base_local = local_path(cfg["base_uri"])
        if base_local is not None and not base_local.parent.exists():
            raise ConfigError(f"{origin}: `base_uri` parent folder does not exist: {base_local.parent}")
    return cfg


def load(path: str | os.PathLike, overrides: Mapping[str, Any] | None = None, check_paths: bool = True) -> Config:
    """Load a YAML config file, apply dotted-key ``overrides`` (e.g. {"base_uri": "/tmp/x"}), validate."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    with path.open(encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    for dotted, value in (overrides or {}).items():
        set_dotted(data, dotted, value)
    root = path.resolve().parent.parent if path.resolve().parent.name == "conf" else path.resolve().parent
    cfg = resolve(data, root=root, origin=str(path), check_paths=check_paths)
    cfg.path = path
    return cfg


def set_dotted(data: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override `{dotted}`: `{key}` is not a mapping")
    node[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``key.sub=value`` with the value parsed as YAML (so numbers and booleans get their types)."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like key.sub=value")
    key, raw = text.split("=", 1)
    return key.strip(), yaml.safe_load(raw)
