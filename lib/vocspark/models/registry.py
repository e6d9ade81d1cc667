"""The model registry: the one place that knows where a model lives and which version plays which role.

Layout under ``<base>/models/<name>/``::

    <version>/                 Spark ML PipelineModel + metadata.json (+ report/): immutable once written
    aliases/<alias>.json       {"version": ..., "at": ..., "reason": ..., "actor": ...}: which version plays a role
    history.jsonl              append-only: one JSON line per registration and per alias move

Rules:

- A version is **committed** when its ``metadata.json`` exists: it is written last, so a training run killed
  half-way leaves a folder without it, which :meth:`ModelRegistry.versions` ignores and the next
  :meth:`ModelRegistry.begin_version` of the same version clears. Writing a committed version again fails
  (:class:`VersionExistsError`): versions are immutable.
- Aliases: ``candidate`` = the newest trained version (set by :meth:`ModelRegistry.register`); ``champion`` =
  what scheduled inference uses, moved only by :meth:`ModelRegistry.promote`. The promotion *policy* (which
  candidate may become champion) belongs to the promote job; this module is the mechanism, and records who
  moved an alias, when and why in ``history.jsonl``.
- A model written before the registry existed has only ``LATEST`` (a file naming one version): it is read as
  both ``candidate`` and ``champion`` until an alias is set.

Object stores cannot append, so the history file is read and rewritten whole on each event; events are rare
(one per training or promotion) and small. Two writers promoting the same model at the same moment can lose
one history line: run promotions from one scheduled workflow.
"""
from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from pyspark.sql import SparkSession

from vocspark import io
from vocspark.config import ConfigError

log = logging.getLogger(__name__)

CANDIDATE, CHAMPION = "candidate", "champion"
ALIASES = (CANDIDATE, CHAMPION)
LEGACY_LATEST = "LATEST"
METADATA = "metadata.json"
HISTORY = "history.jsonl"
ACTOR_ENV = "VOCSPARK_ACTOR"
_RESERVED = {"aliases", LEGACY_LATEST, HISTORY}


class RegistryError(ConfigError):
    """A model, version or alias that does not exist, or an operation the registry refuses."""


class VersionExistsError(RegistryError):
    """A committed version cannot be written again: versions are immutable."""


@dataclass(frozen=True)
class ModelVersion:
    """A committed version: where it lives and its metadata."""

    name: str
    version: str
    uri: str
    metadata: dict[str, Any]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def actor() -> str:
    """Who acts: ``$VOCSPARK_ACTOR`` (set it in schedulers, e.g. the workflow name), else the OS user."""
    try:
        return os.environ.get(ACTOR_ENV) or getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _check_name(kind: str, value: str) -> None:
    if not value or "/" in value or value.startswith((".", "_")) or value in _RESERVED:
        raise RegistryError(f"invalid model {kind} `{value}`")


class ModelRegistry:
    """Read and write models under ``models_uri`` (``<base>/models``) through :mod:`vocspark.io`."""

    def __init__(self, spark: SparkSession, models_uri: str):
        self.spark = spark
        self.root = models_uri.rstrip("/")

    @classmethod
    def of(cls, spark: SparkSession, cfg) -> "ModelRegistry":
        return cls(spark, cfg.uri("models"))

    # ------------------------------------------------------------------ where things live
    def uri(self, name: str, version: str) -> str:
        return f"{self.root}/{name}/{version}"

    def _alias_uri(self, name: str, alias: str) -> str:
        return f"{self.root}/{name}/aliases/{alias}.json"

    def history_uri(self, name: str) -> str:
        return f"{self.root}/{name}/{HISTORY}"

    # ------------------------------------------------------------------ reading
    def names(self) -> list[str]:
        """Models that have at least one committed version or an alias, sorted."""
        return [e.name for e in io.list_dir(self.spark, self.root) if e.is_dir and self._has_content(e.name)]

    def _has_content(self, name: str) -> bool:
        return bool(self.versions(name)) or any(self.alias(name, a) for a in ALIASES)

    def versions(self, name: str) -> list[str]:
        """Committed versions of ``name`` (those with ``metadata.json``), sorted by name (UTC-time versions sort
        by age)."""
        out = []
        for entry in io.list_dir(self.spark, f"{self.root}/{name}"):
            if entry.is_dir and entry.name not in _RESERVED and io.path_exists(self.spark, f"{entry.uri}/{METADATA}"):
                out.append(entry.name)
        return out

    def exists(self, name: str, version: str) -> bool:
        return io.path_exists(self.spark, f"{self.uri(name, version)}/{METADATA}")

    def metadata(self, name: str, version: str) -> dict[str, Any]:
        uri = f"{self.uri(name, version)}/{METADATA}"
        if not io.path_exists(self.spark, uri):
            raise RegistryError(f"model `{name}` has no version `{version}` ({uri} does not exist)")
        return json.loads(io.read_text(self.spark, uri))

    def get(self, name: str, version: str | None = None, alias: str = CHAMPION) -> ModelVersion:
        """The committed version ``version``, or the one ``alias`` names."""
        version = version or self.resolve(name, alias)
        return ModelVersion(name, version, self.uri(name, version), self.metadata(name, version))

    def alias(self, name: str, alias: str) -> str | None:
        """The version ``alias`` names, or None. A model with no alias yet falls back to its legacy LATEST."""
        uri = self._alias_uri(name, alias)
        if io.path_exists(self.spark, uri):
            return json.loads(io.read_text(self.spark, uri))["version"]
        if not self._has_alias_files(name):
            legacy = f"{self.root}/{name}/{LEGACY_LATEST}"
            if io.path_exists(self.spark, legacy):
                return io.read_text(self.spark, legacy).strip() or None
        return None

    def aliases(self, name: str) -> dict[str, str | None]:
        return {a: self.alias(name, a) for a in ALIASES}

    def resolve(self, name: str, alias: str = CHAMPION) -> str:
        """The version ``alias`` names; fails naming the model and the alias when there is none."""
        version = self.alias(name, alias)
        if version is None:
            raise RegistryError(
                f"model `{name}` has no `{alias}` version under {self.root}/{name} "
                f"(train it{', then promote a candidate' if alias == CHAMPION else ''}, or pass --version)"
            )
        return version

    def history(self, name: str) -> list[dict[str, Any]]:
        uri = self.history_uri(name)
        if not io.path_exists(self.spark, uri):
            return []
        return [json.loads(line) for line in io.read_text(self.spark, uri).splitlines() if line.strip()]

    # ------------------------------------------------------------------ writing
    def begin_version(self, name: str, version: str) -> str:
        """The URI to save a new version's PipelineModel to. Fails when the version is committed; clears what a
        killed run left (a folder without metadata.json)."""
        _check_name("name", name)
        _check_name("version", version)
        if self.exists(name, version):
            raise VersionExistsError(
                f"model `{name}` version `{version}` already exists at {self.uri(name, version)}: versions are "
                "immutable, train under a new --version"
            )
        uri = self.uri(name, version)
        if io.path_exists(self.spark, uri):
            log.warning("registry: clearing %s, left without metadata.json by an unfinished run", uri)
            io.delete(self.spark, uri)
        return uri

    def register(self, name: str, version: str, metadata: dict[str, Any], reason: str = "trained",
                 run_id: str | None = None, first_champion_reason: str | None = None) -> ModelVersion:
        """Commit ``version`` (write its metadata.json, last) and make it the ``candidate``.

        A model whose champion was a legacy ``LATEST`` keeps that version as an explicit champion (the first alias
        written ends the fallback). With ``first_champion_reason``, a model with no champion at all gets this
        version as champion (nothing to compare it with); an existing champion is never moved here."""
        if self.exists(name, version):
            raise VersionExistsError(f"model `{name}` version `{version}` is already registered")
        champion = self.alias(name, CHAMPION)
        legacy = champion is not None and not self._has_alias_files(name)
        uri = self.uri(name, version)
        io.write_text(self.spark, f"{uri}/{METADATA}", json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        self._record(name, {"event": "registered", "version": version, "reason": reason, "run_id": run_id})
        if legacy and self.exists(name, champion):
            self.set_alias(name, CHAMPION, champion, reason="legacy LATEST version kept as champion", run_id=run_id)
        self.set_alias(name, CANDIDATE, version, reason=reason, run_id=run_id)
        if champion is None and first_champion_reason:
            self.promote(name, version, reason=first_champion_reason, run_id=run_id)
        return ModelVersion(name, version, uri, metadata)

    def _has_alias_files(self, name: str) -> bool:
        return any(io.path_exists(self.spark, self._alias_uri(name, a)) for a in ALIASES)

    def set_alias(self, name: str, alias: str, version: str, reason: str, run_id: str | None = None) -> str | None:
        """Point ``alias`` at a committed ``version``; returns the version it named before."""
        if alias not in ALIASES:
            raise RegistryError(f"unknown alias `{alias}` (have: {', '.join(ALIASES)})")
        if not self.exists(name, version):
            raise RegistryError(f"model `{name}` has no version `{version}` to make `{alias}`")
        previous = self.alias(name, alias)
        body = {"version": version, "at": _now(), "reason": reason, "actor": actor(), "run_id": run_id}
        io.write_text(self.spark, self._alias_uri(name, alias), json.dumps(body) + "\n")
        self._record(name, {"event": "alias", "alias": alias, "version": version, "previous": previous,
                            "reason": reason, "run_id": run_id})
        return previous

    def promote(self, name: str, version: str, to: str = CHAMPION, reason: str = "",
                run_id: str | None = None) -> str | None:
        """Make ``version`` the ``to`` alias (default champion), recording who, why and when. Returns the
        version it replaces. A reason is required: the history is what an auditor reads."""
        if not reason.strip():
            raise RegistryError(f"promote `{name}` `{version}` to {to}: a reason is required")
        previous = self.set_alias(name, to, version, reason=reason, run_id=run_id)
        log.info("registry: %s %s -> %s (was %s): %s", name, to, version, previous, reason)
        return previous

    def _record(self, name: str, event: dict[str, Any]) -> None:
        line = json.dumps({"at": _now(), "actor": actor(), **event}, ensure_ascii=False, default=str) + "\n"
        uri = self.history_uri(name)
        old = io.read_text(self.spark, uri) if io.path_exists(self.spark, uri) else ""
        io.write_text(self.spark, uri, old + line)
