"""Whether the scheduled workflows can run: every scheduled model has a champion, and the topic model's mapping
(the deployed ``conf/topics/<model>.yaml``, what ``infer_topics`` reads) exists, validates and was written for
that champion. ``deploy workflows`` refuses to deploy otherwise (there is no ``--force``): a workflow deployed
without them fails every week at ``infer_topics`` / ``infer_classifier``.

The deployer runs without Spark, so this does not use :class:`vocspark.models.registry.ModelRegistry` (which
reads through a SparkSession): it reads the registry's own files, in the registry's layout, through boto3 for
``s3://`` / ``s3a://`` URIs (credentials and ``AWS_ENDPOINT_URL`` from the default chain) and the local file
system otherwise:

- ``<base>/models/<name>/aliases/champion.json`` (``{"version": ...}``); a model with no alias file at all
  falls back to its legacy ``LATEST`` file, as the registry does;
- ``<base>/models/<name>/<version>/metadata.json`` (the version is committed; ``k`` of a topic model).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlparse

from vocspark.config import ConfigError

log = logging.getLogger(__name__)

Reader = Callable[[str], "str | None"]


class DeployRefused(ConfigError):
    """The workflows would fail if deployed: a scheduled model has no champion or no valid mapping for it."""


def reader(region: str | None = None, session=None, s3_client=None) -> Reader:
    """``read(uri) -> text`` or None when the object/file does not exist; any other failure raises naming the
    URI. S3 clients are built on first use."""
    clients: dict[str, Any] = {}

    def s3():
        if "s3" not in clients:
            if s3_client is not None:
                clients["s3"] = s3_client
            else:
                import boto3

                clients["s3"] = (session or boto3).client("s3", region_name=region)
        return clients["s3"]

    def read(uri: str) -> str | None:
        parsed = urlparse(uri)
        if parsed.scheme in ("s3", "s3a"):
            try:
                body = s3().get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"].read()
            except Exception as exc:
                code = getattr(exc, "response", {}).get("Error", {}).get("Code")
                if code in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise DeployRefused(f"cannot read {uri}: {' '.join(str(exc).split())[:300]}") from None
            return body.decode("utf-8")
        path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)
        return path.read_text(encoding="utf-8") if path.is_file() else None

    return read


def models_uri(cfg: dict) -> str:
    return f"{str(cfg['base_uri']).rstrip('/')}/models"


def champion(read: Reader, models: str, name: str) -> str | None:
    """The version the registry's ``champion`` alias names (legacy ``LATEST`` when the model has no alias)."""
    from vocspark.models.registry import ALIASES, CHAMPION, LEGACY_LATEST

    root = f"{models}/{name}"
    text = read(f"{root}/aliases/{CHAMPION}.json")
    if text is not None:
        try:
            return str(json.loads(text)["version"])
        except (ValueError, KeyError, TypeError):
            raise DeployRefused(f"model `{name}`: {root}/aliases/{CHAMPION}.json is not an alias file "
                                '({"version": ...})') from None
    if any(read(f"{root}/aliases/{alias}.json") is not None for alias in ALIASES if alias != CHAMPION):
        return None
    legacy = read(f"{root}/{LEGACY_LATEST}")
    return (legacy or "").strip() or None


def _model_problem(read: Reader, models: str, name: str) -> tuple[str | None, dict | None, str | None]:
    """(champion version, its metadata, problem)."""
    from vocspark.models.registry import METADATA

    version = champion(read, models, name)
    if version is None:
        return None, None, (f"model `{name}` has no champion under {models}/{name} (train it, then promote a "
                            "candidate)")
    text = read(f"{models}/{name}/{version}/{METADATA}")
    if text is None:
        return version, None, (f"model `{name}` champion `{version}` is not a committed version "
                               f"({models}/{name}/{version}/{METADATA} does not exist)")
    try:
        return version, json.loads(text), None
    except ValueError:
        return version, None, f"model `{name}` champion `{version}`: {METADATA} is not JSON"


def _mapping_problem(read: Reader, name: str, version: str, metadata: dict, mapping_uri: str) -> str | None:
    import yaml

    from vocspark.models.topic_mapping import MappingVersionError, parse_mapping

    text = read(mapping_uri)
    where = f"model `{name}` champion `{version}`"
    if text is None:
        return (f"{where}: no topic mapping at {mapping_uri} (python -m vocspark.models.topic_mapping skeleton "
                f"--model {name} --version {version}, label it, save it as conf/topics/{name}.yaml)")
    try:
        mapping = parse_mapping(yaml.safe_load(text), origin=mapping_uri)
        mapping.check_model(name, version, metadata.get("k"))
    except MappingVersionError as exc:
        return f"{where}: the topic mapping is not for the champion: {' '.join(str(exc).split())}"
    except (ConfigError, yaml.YAMLError) as exc:
        return f"{where}: invalid topic mapping: {' '.join(str(exc).split())}"
    return None


def check_scheduled_models(cfg: dict, mapping_uri: str, read: Reader) -> dict[str, str]:
    """The champion of each scheduled model (``deploy.topic_model``, ``deploy.classifier``); raises
    :class:`DeployRefused` (one line, every problem, each naming the model and version) when a model has no
    committed champion or the topic model's mapping at ``mapping_uri`` is missing, invalid or for another
    version."""
    dep = cfg["deploy"]
    topic_model, classifier = dep["topic_model"], dep["classifier"]
    models = models_uri(cfg)
    problems: list[str] = []
    champions: dict[str, str] = {}
    for name in dict.fromkeys((topic_model, classifier)):
        version, metadata, problem = _model_problem(read, models, name)
        if problem is None and name == topic_model:
            problem = _mapping_problem(read, name, version, metadata, mapping_uri)
        if problem:
            problems.append(problem)
        else:
            champions[name] = version
    if problems:
        raise DeployRefused("refusing to deploy the workflows: " + "; ".join(problems))
    log.info("scheduled models ready: %s; mapping %s", ", ".join(f"{n} champion {v}" for n, v in champions.items()),
             mapping_uri)
    return champions
