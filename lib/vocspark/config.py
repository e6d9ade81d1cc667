"""Load and validate configuration files, and give a typed, read-only view of them.

A config is YAML. Validation is strict and fails fast: an unknown key, a value of the wrong type, a missing
required key or a local path that does not exist raises :class:`ConfigError` naming the dotted key (and the
file). Relative paths and a relative ``base_uri`` are resolved against the project root (the folder that
holds ``conf/``), so jobs behave the same whatever the working directory.

The validated config is a :class:`Config` (a dict: ``cfg["ingest"]["min_chars"]``); ``cfg.typed`` is the same
content as frozen dataclasses (:class:`Settings`: ``cfg.typed.ingest.min_chars``), built from the validated dict
(so every default is filled and every error is the validator's), with lists as tuples and mappings read-only.
New code reads ``cfg.typed``. The spec (``SPEC``, the validator's language) and the dataclasses are checked
against each other on every load: a key in one and not the other fails naming it.
"""
from __future__ import annotations

import collections.abc
import copy
import dataclasses
import datetime as dt
import functools
import os
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, TypeVar
from urllib.parse import urlparse

import yaml

from vocspark import secrets

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


def _iso_date(value: Any) -> str | None:
    """A calendar date ``yyyy-MM-dd`` (YAML reads an unquoted one as a date; a date-time is refused)."""
    if isinstance(value, dt.datetime):
        return f"must be a date yyyy-MM-dd, got {value!r}"
    if isinstance(value, dt.date):
        return None
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return f"must be a date yyyy-MM-dd, got {value!r}"
    return None if len(str(value)) == 10 else f"must be a date yyyy-MM-dd, got {value!r}"


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
    # plausibility window of a record's date (else rejected `implausible_date`): from `valid_from` (UTC midnight)
    # to the run's "now" (end of its --as-of day, else its UTC start time) plus `max_future_days`, both inclusive
    "valid_from": Field((str, dt.date), default="2000-01-01", check=_iso_date),
    "max_future_days": Field(int, default=1, check=_non_negative),
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
        # no password in any form (password=, PWD=, pwd=, user:secret@host: vocspark.secrets.has_password)
        "url": Field(str, check=lambda v: None if v.startswith("jdbc:") and not secrets.has_password(v)
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
        "staging_max_age_hours": Field(int, default=24, check=_positive),  # load_warehouse drops older <target>_stg_<run>
    },
    # Deployment to EMR and Glue (spark-submit.sh --target emr|glue, deploy/).
    "deploy": {
        "region": Field(str, default="us-east-1"),
        "artifacts_uri": Field(str),  # s3://bucket/prefix where the package, job scripts, config and jars go
        "name_prefix": Field(str, default="vocspark"),
        "topic_model": Field(str, default="instagram"),  # --model of infer_topics / train_topics in the workflows
        "classifier": Field(str, default="product_category"),  # --model of infer_classifier / train_classifier
        "alerts_email": Field(str),  # subscribed to the SNS topic of failed Glue job runs (optional)
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


# --------------------------------------------------------------------------- typed view
K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")


class FrozenMap(Mapping[K, V]):
    """A read-only mapping (picklable, unlike ``types.MappingProxyType``): the typed view's free-keyed maps."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[K, V] | None = None):
        self._data = dict(data or {})

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._data.items(), key=lambda kv: str(kv[0]))))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __getstate__(self):
        return self._data

    def __setstate__(self, state) -> None:
        self._data = state


# One frozen dataclass per section of SPEC, field for field (no defaults here: the validator fills them, so the
# spec stays the one home of defaults, choices and checks). Lists become tuples, free-keyed maps FrozenMaps,
# `float` fields are floats even when the YAML says `1`.
@dataclass(frozen=True)
class SparkConfig:
    master: str | None
    app_name: str
    log_level: str
    conf: Mapping[str, str | int | float | bool]


@dataclass(frozen=True)
class SourceConfig:
    kind: str
    path: str
    lang: str | None  # fixed language; None = the record's own (tweets)
    langs: tuple[str, ...]  # accepted languages for records that carry one
    marketplaces: tuple[str, ...] | None  # amazon: keep these marketplaces (None = all)
    keywords: tuple[str, ...] | None  # tweets: keep tweets mentioning any keyword (None = all)
    enabled: bool
    valid_from: str | dt.date  # earliest plausible record date (yyyy-MM-dd; YAML may give a date)
    max_future_days: int  # latest plausible record date: the run's "now" plus this many days

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "source", origin: str = "config") -> "SourceConfig":
        """A source validated on its own (defaults filled), e.g. in tests: ``SourceConfig.from_dict({"kind":
        "instagram_csv", "path": "raw/ig", "lang": "pt"})``. Paths are taken as given."""
        where = f"sources.{name}"
        return typed_view(cls, validate(data, SOURCE_SPEC, where, origin), where, origin)


@dataclass(frozen=True)
class IngestConfig:
    min_chars: int
    max_chars: int
    output_partitions_per_month: int


@dataclass(frozen=True)
class PreprocessConfig:
    engine: str
    stemming: bool
    remove_stopwords: bool
    min_token_chars: int
    output_partitions_per_month: int


@dataclass(frozen=True)
class Word2VecConfig:
    vector_size: int
    window: int
    min_count: int
    max_iter: int
    num_partitions: int
    step_size: float
    max_sentence_length: int
    seed: int
    sample: float


@dataclass(frozen=True)
class KMeansConfig:
    k: int
    max_iter: int
    tol: float
    init_mode: str
    init_steps: int
    train_sample_rows: int
    distance: str
    seed: int


@dataclass(frozen=True)
class TopicReportConfig:
    top_terms: int
    examples: int
    silhouette_sample: int


@dataclass(frozen=True)
class TopicsConfig:
    sources: tuple[str, ...]
    mapping: str | None
    train_months: int
    word2vec: Word2VecConfig
    kmeans: KMeansConfig
    report: TopicReportConfig


@dataclass(frozen=True)
class ClassifiersConfig:
    conf_dir: str


@dataclass(frozen=True)
class WarehouseTablesConfig:
    predictions: str
    user_subjects: str


@dataclass(frozen=True)
class WarehouseConfig:
    url: str | None
    driver: str
    user: str | None
    password_env: str
    secret_id: str | None
    region: str | None
    schema: str
    tables: WarehouseTablesConfig
    batch_size: int
    write_partitions: int
    staging_max_age_hours: int


@dataclass(frozen=True)
class EmrConfig:
    cluster_id: str | None
    deploy_mode: str
    action_on_failure: str


@dataclass(frozen=True)
class GlueConfig:
    role_arn: str | None
    version: str
    worker_type: str
    workers: int
    timeout_minutes: int
    weekly_schedule: str
    monthly_schedule: str


@dataclass(frozen=True)
class DeployConfig:
    region: str
    artifacts_uri: str | None
    name_prefix: str
    topic_model: str
    classifier: str
    alerts_email: str | None
    emr: EmrConfig
    glue: GlueConfig


@dataclass(frozen=True)
class SampleConfig:
    fraction: float
    min_category_share: float
    seed: int


@dataclass(frozen=True)
class DriftConfig:
    top_k: int
    period: str
    min_term_count: int


@dataclass(frozen=True)
class GraphConfig:
    model: str


@dataclass(frozen=True)
class ReportConfig:
    file: str


@dataclass(frozen=True)
class AnalyticsConfig:
    output: str
    source: str
    percentile_accuracy: int
    top_n: int
    sample: SampleConfig
    drift: DriftConfig
    graph: GraphConfig
    report: ReportConfig


@dataclass(frozen=True)
class DemoConfig:
    seed: int
    reviews: int
    tweets: int
    comments: int
    start_date: str
    months: int
    malformed_fraction: float
    duplicate_fraction: float


@dataclass(frozen=True)
class Settings:
    """The whole validated config, typed (``cfg.typed``)."""

    profile: str
    base_uri: str
    spark: SparkConfig
    sources: Mapping[str, SourceConfig]
    ingest: IngestConfig
    preprocess: PreprocessConfig
    topics: Mapping[str, TopicsConfig]
    classifiers: ClassifiersConfig
    warehouse: WarehouseConfig
    deploy: DeployConfig
    analytics: AnalyticsConfig
    demo: DemoConfig

    def uri(self, *parts: str) -> str:
        """URI of a dataset under the base URI, e.g. ``settings.uri("documents")``."""
        return "/".join([self.base_uri.rstrip("/"), *(p.strip("/") for p in parts)])


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def typed_view(cls: type[D], data: Mapping[str, Any], where: str = "", origin: str = "config") -> D:
    """``data`` (validated: every key present, defaults filled) as the frozen dataclass ``cls``, recursively.

    A key of ``data`` that ``cls`` does not declare, or a field missing from ``data``, is a mismatch between the
    spec and the dataclasses (a programming error): :class:`TypeError` naming the dotted key."""
    fields = [f.name for f in dataclasses.fields(cls)]
    extra = sorted(set(data) - set(fields))
    missing = [f for f in fields if f not in data]
    if extra or missing:
        key = extra[0] if extra else missing[0]
        raise TypeError(
            f"{origin}: the spec and {cls.__name__} disagree on `{f'{where}.{key}' if where else key}` "
            f"({'not a field of ' + cls.__name__ if extra else 'not in the validated config'})"
        )
    hints = _hints(cls)
    return cls(**{name: _typed_value(hints[name], data[name], f"{where}.{name}" if where else name, origin)
                  for name in fields})


def _typed_value(hint: Any, value: Any, where: str, origin: str) -> Any:
    origin_type = typing.get_origin(hint)
    if origin_type in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return _typed_value(non_none[0], value, where, origin)
        return value  # a union of leaf types (spark.conf values): kept as validated
    if dataclasses.is_dataclass(hint):
        return typed_view(hint, value, where, origin)
    if origin_type in (collections.abc.Mapping, dict):
        _, value_hint = typing.get_args(hint)
        return FrozenMap({k: _typed_value(value_hint, v, f"{where}.{k}", origin) for k, v in value.items()})
    if origin_type is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_typed_value(item_hint, v, where, origin) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


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

    @property
    def typed(self) -> "Settings":
        """The config as frozen dataclasses (:class:`Settings`), built from the dict as it is now: read it once
        per job (``settings = cfg.typed``); code that edits the dict (benchmarks, tests) sees its edits."""
        return typed_view(Settings, self, where="", origin=self.origin)


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
    typed_view(Settings, cfg, where="", origin=origin)  # the spec and the dataclasses agree (fails naming the key)
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
