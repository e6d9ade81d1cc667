"""JobRun: the scaffolding every job shares (run id, input checks, manifest, timed steps, reconciling close).

Use::

    @dataclass(frozen=True)
    class Options(runtime.Options):
        model: str | None = None

    def run(spark, cfg, options: Options) -> io.Manifest:
        with JobRun(spark, cfg, JOB, options, inputs={"sentences": cfg.uri("sentences")}) as run:
            with run.step("read") as step:
                df = ...
                step.rows = df.count()
            run.manifest.read = ...
        return run.manifest

- ``__enter__`` checks the inputs (fails naming the key and URI before anything is written), creates the
  manifest and logs the Spark UI URL.
- ``run.step(name)``: one log line per step with its rows (when the step sets ``rows``) and seconds; each step is
  recorded in ``manifest.extra["steps"]`` and is the Spark job description meanwhile.
- ``__exit__``: on success the manifest is closed (written, then checked: ``read = written + rejected +
  filtered``, :class:`vocspark.io.ReconciliationError` otherwise). On an error the manifest is still written,
  with ``status: failed`` and the error's first line, so an operator sees where a run stopped; the error goes on.

Options are typed: every job declares a frozen dataclass deriving from :class:`Options`, built from the parsed
command line by :func:`options_from` (unknown attributes of the namespace are ignored, missing ones take the
dataclass default), so a job reads ``options.model``, never ``getattr(args, "model", None)``.
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, TypeVar

from pyspark.sql import SparkSession

from vocspark import io

log = logging.getLogger(__name__)

_NOT_OPTIONS = {"JOB_NAME", "config", "overrides"}


@dataclass(frozen=True)
class Options:
    """What every job accepts besides the config: its run id (default: UTC time + random suffix)."""

    run_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


O = TypeVar("O", bound=Options)


def options_from(args: argparse.Namespace | Mapping[str, Any] | Options | None, cls: type[O]) -> O:
    """``cls`` built from an argparse namespace (or a mapping, or options of another class): the fields ``cls``
    declares, each from the attribute of the same name when present, else the field's default."""
    if isinstance(args, cls):
        return args
    if args is None:
        source: Mapping[str, Any] = {}
    elif isinstance(args, Options):
        source = dataclasses.asdict(args)
    elif isinstance(args, Mapping):
        source = args
    else:
        source = vars(args)
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in source.items() if k in names and k not in _NOT_OPTIONS})


@dataclass
class Step:
    """One timed step; set ``rows`` inside the block to have it logged and recorded."""

    name: str
    rows: int | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)


class JobRun:
    """A job run: see the module docstring."""

    def __init__(
        self,
        spark: SparkSession,
        cfg,
        job: str,
        options: Options | None = None,
        inputs: Mapping[str, str] | None = None,
        run_id: str | None = None,
        check_inputs: bool = True,
    ):
        self.spark = spark
        self.cfg = cfg
        self.job = job
        self.options = options or Options()
        self.run_id = run_id or self.options.run_id or io.new_run_id()
        self.inputs = dict(inputs or {})
        self.check_inputs = check_inputs
        self.manifest = io.Manifest(job, self.run_id, args=_args_dict(self.options), inputs=dict(self.inputs))
        self.steps: list[Step] = []
        self._t0 = time.monotonic()

    # ------------------------------------------------------------------ context
    def __enter__(self) -> "JobRun":
        if self.check_inputs and self.inputs:
            io.require_inputs(self.spark, self.inputs)
        ui = self.spark.sparkContext.uiWebUrl
        log.info("%s run %s started%s", self.job, self.run_id, f"; Spark UI {ui}" if ui else "")
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.manifest.extra.setdefault("seconds", round(self.seconds, 3))
        self.manifest.extra["steps"] = [
            {k: v for k, v in dataclasses.asdict(s).items() if v not in (None, {})} for s in self.steps
        ]
        if exc is None:
            self.manifest.close(self.spark, self.cfg.base_uri)
            return False
        try:
            self.manifest.extra["status"] = "failed"
            self.manifest.extra["error"] = f"{exc_type.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:500]
            self.manifest.close(self.spark, self.cfg.base_uri, check=False)
        except Exception as write_error:  # never hide the job's own error behind the manifest's
            log.warning("%s run %s: the failed run's manifest could not be written: %s", self.job, self.run_id,
                        str(write_error).splitlines()[0] if str(write_error) else write_error)
        return False

    @property
    def seconds(self) -> float:
        return time.monotonic() - self._t0

    def require(self, inputs: Mapping[str, str]) -> None:
        """Check more inputs (known only after reading config or a model), adding them to the manifest."""
        io.require_inputs(self.spark, inputs)
        self.manifest.inputs.update(inputs)

    # ------------------------------------------------------------------ steps
    @contextmanager
    def step(self, name: str) -> Iterator[Step]:
        step = Step(name)
        sc = self.spark.sparkContext
        sc.setJobDescription(f"{self.job}: {name}")
        t0 = time.monotonic()
        try:
            yield step
        finally:
            step.seconds = round(time.monotonic() - t0, 3)
            sc.setJobDescription(None)
            self.steps.append(step)
        rows = f" {step.rows} rows" if step.rows is not None else ""
        log.info("%s: %s:%s in %.1fs", self.job, name, rows, step.seconds)


def _args_dict(options: Options) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(options).items() if k not in _NOT_OPTIONS}
