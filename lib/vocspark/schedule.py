"""The scheduled job sequences, run in-process: what the two Glue workflows run, for a backfill, a rerun or a test.

The sequences are derived from :mod:`vocspark.deploy.definitions` (the one source of what is deployed), never
written out here:

- the order: a workflow's SCHEDULED trigger fires first; then each CONDITIONAL trigger whose watched jobs have
  all run (Glue: all SUCCEEDED), in definition order; a trigger's actions run in the order listed. Running
  one job at a time in that order is one valid schedule of what Glue runs partly in parallel (the topic and
  the classifier inference, the two trainings).
- the arguments of a job: the Glue job's own arguments (``definitions.jobs``) overridden by the trigger
  action's (as Glue does), rendered for a local run: the artifacts URI (``s3://${ArtifactsBucket}/
  ${ArtifactsPrefix}``) becomes ``artifacts`` (default: the project checkout, whose ``conf/`` is what deploy
  uploads), and a bare file name that Glue copies next to the script (``extra_files``) becomes that file under
  ``artifacts``. The common Glue arguments (``--config glue.yaml``, jars, ...) are not used: the cycle runs with
  the given config.
- ``--as-of``: every job whose parser declares ``--as-of`` gets the cycle's date (what the workflow run property
  gives it on Glue, :mod:`vocspark.workflow`); the others (today: ``train_topics``, ``train_classifier``) do not
  take a date, and the cycle records them in ``Cycle.without_as_of``.

A cycle runs its jobs on one SparkSession, each through its ``vocspark.jobs.<script>.run`` with an explicit run id
(``io.new_run_id()``: UTC time + random suffix, so versions trained in a cycle sort by age), and stops at the first
job that raises (:class:`CycleFailed` names the workflow, the as-of and the job). ``$VOCSPARK_ACTOR`` is the
workflow's name meanwhile, so the registry's history says which schedule moved an alias.

Command line (``python -m vocspark.schedule``; ``--config`` and ``--set`` as every job)::

    backfill --from 2021-03-01 --to 2021-05-31 [--monthly]   every weekly cycle in the range, oldest first
    run-week --as-of 2021-03-08                              one weekly cycle
    run-month --as-of 2021-03-01                             one monthly cycle

Backfill dates: a weekly cycle on every day of the range whose weekday is in the day-of-week field of
``deploy.glue.weekly_schedule`` (``cron(0 6 ? * MON *)``: Mondays; a field with no weekday, ``*`` or ``?``,
means Mondays); with ``--monthly`` also a monthly cycle on every day whose day of month is in the
day-of-month field of ``deploy.glue.monthly_schedule`` (``cron(0 3 1 * ? *)``: the 1st), ordered by day, then
by the schedules' hour and minute (the 1st at 03:00 trains before that Monday's 06:00 inference). A backfill
stops at the first failure with one line naming the cycle and the job (exit status 1).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from vocspark import args as args_mod
from vocspark import config as config_mod
from vocspark.deploy import definitions as D

log = logging.getLogger(__name__)

WEEKLY, MONTHLY = "weekly-inference", "monthly-training"
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # AWS cron: 1 = Sunday


# --------------------------------------------------------------------------- sequences from the definitions
@dataclass(frozen=True)
class Step:
    """One job of a workflow: the Glue job name, the ``vocspark.jobs`` module it runs and its arguments."""

    job: str
    script: str
    args: tuple[str, ...]


def workflow_args(job: D.Job, action: D.Action) -> dict[str, str]:
    """The job's arguments as Glue starts it from ``action``: job defaults, then the action's."""
    return {**job.args, **action.args}


def render_local(job: D.Job, values: dict[str, str], artifacts: str) -> tuple[str, ...]:
    """``values`` as argv for a local run (see the module docstring); a deploy token left over is an error."""
    art = artifacts.rstrip("/")
    shipped = {key.rsplit("/", 1)[-1]: f"{art}/{key}" for key in job.extra_files}
    argv: list[str] = []
    for key, value in values.items():
        local = shipped.get(value, value.replace(D.artifacts_uri(), art))
        if D.TOKEN.search(local):
            raise ValueError(f"schedule: argument {key} of job `{job.name}` has no local value: {value}")
        argv += [key, local]
    return tuple(argv)


def sequence(workflow: str, topic_model: str = "instagram", classifier: str = "product_category",
             artifacts: str | None = None) -> list[Step]:
    """The jobs ``workflow`` runs, in one valid order, with their local arguments (module docstring)."""
    art = artifacts or str(config_mod.PROJECT_ROOT)
    jobs = {j.name: j for j in D.jobs(topic_model, classifier)}
    pending = [t for t in D.triggers() if t.workflow == workflow]
    if [t.kind for t in pending].count("SCHEDULED") != 1:
        raise ValueError(f"schedule: workflow `{workflow}` needs exactly one SCHEDULED trigger")
    done: set[str] = set()
    steps: list[Step] = []
    while pending:
        ready = next((t for t in pending if t.kind == "SCHEDULED" or set(t.watch) <= done), None)
        if ready is None:
            names = ", ".join(f"{t.name} (watches {', '.join(t.watch)})" for t in pending)
            raise ValueError(f"schedule: workflow `{workflow}`: triggers that never fire: {names}")
        pending.remove(ready)
        for action in ready.actions:
            job = jobs[action.job]
            steps.append(Step(job.name, job.script_name, render_local(job, workflow_args(job, action), art)))
            done.add(job.name)
    return steps


def settings_sequence(cfg, workflow: str, artifacts: str | None = None) -> list[Step]:
    """:func:`sequence` with the config's scheduled models (``deploy.topic_model``, ``deploy.classifier``)."""
    dep = cfg["deploy"]
    return sequence(workflow, dep["topic_model"], dep["classifier"], artifacts)


# --------------------------------------------------------------------------- running a cycle
@dataclass
class StepRun:
    job: str
    run_id: str
    argv: list[str]
    result: Any = None


@dataclass
class Cycle:
    """What a cycle ran: its steps in order (run ids, argv, each job's return value)."""

    workflow: str
    as_of: dt.date
    steps: list[StepRun] = field(default_factory=list)
    without_as_of: list[str] = field(default_factory=list)

    def run_ids(self) -> dict[str, str]:
        return {s.job: s.run_id for s in self.steps}


class CycleFailed(RuntimeError):
    """A job of a cycle raised; the message is one line naming the workflow, the as-of and the job."""

    def __init__(self, cycle: Cycle, job: str, error: BaseException):
        first = str(error).splitlines()[0] if str(error) else ""
        super().__init__(f"{cycle.workflow} cycle as of {cycle.as_of.isoformat()}: job {job} failed: "
                         f"{type(error).__name__}: {first}"[:600])
        self.cycle, self.job, self.error = cycle, job, error


def _parser(script: str):
    module = importlib.import_module(f"vocspark.jobs.{script}")
    parser = args_mod.base_parser(script, module.__doc__ or script)
    module.add_arguments(parser)
    return module, parser


def takes_as_of(parser: argparse.ArgumentParser) -> bool:
    return any("--as-of" in a.option_strings for a in parser._actions)


@contextlib.contextmanager
def _actor(name: str):
    previous = os.environ.get("VOCSPARK_ACTOR")
    os.environ["VOCSPARK_ACTOR"] = name
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("VOCSPARK_ACTOR", None)
        else:
            os.environ["VOCSPARK_ACTOR"] = previous


def run_cycle(spark, cfg, workflow: str, as_of: dt.date | str, artifacts: str | None = None,
              extra_args: dict[str, Sequence[str]] | None = None,
              before_step: Callable[[str, "Cycle"], None] | None = None) -> Cycle:
    """Run ``workflow``'s sequence as of ``as_of``; :class:`CycleFailed` at the first job that raises.
    ``extra_args`` (job name -> argv) is appended to a job's arguments (a rerun with other options);
    ``before_step(job, cycle)`` is called before each job (tests: an analyst's action between two jobs)."""
    from vocspark import io  # pyspark-backed: not needed by the sequence derivation

    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    cycle = Cycle(workflow, day)
    with _actor(f"schedule:{workflow}"):
        for step in settings_sequence(cfg, workflow, artifacts):
            if before_step is not None:
                before_step(step.job, cycle)
            module, parser = _parser(step.script)
            run_id = io.new_run_id()
            argv = [*step.args, *(extra_args or {}).get(step.job, ()), "--run-id", run_id]
            if takes_as_of(parser):
                argv += ["--as-of", day.isoformat()]
            else:
                cycle.without_as_of.append(step.job)
            record = StepRun(step.job, run_id, argv)
            cycle.steps.append(record)
            log.info("schedule: %s as of %s: %s %s", workflow, day, step.job, " ".join(argv))
            try:
                record.result = module.run(spark, cfg, parser.parse_args(argv))
            except Exception as exc:
                raise CycleFailed(cycle, step.job, exc) from exc
    return cycle


def weekly_cycle(spark, cfg, as_of, artifacts: str | None = None, **kw) -> Cycle:
    return run_cycle(spark, cfg, WEEKLY, as_of, artifacts, **kw)


def monthly_cycle(spark, cfg, as_of, artifacts: str | None = None, **kw) -> Cycle:
    return run_cycle(spark, cfg, MONTHLY, as_of, artifacts, **kw)


# --------------------------------------------------------------------------- backfill dates
def _cron_fields(expr: str) -> list[str]:
    match = re.fullmatch(r"\s*cron\((.*)\)\s*", expr)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise config_mod.ConfigError(f"schedule: `{expr}` is not an AWS cron(min hour day-of-month month "
                                     f"day-of-week year) expression")
    return fields


def _expand(field_: str, names: dict[str, int], low: int, high: int) -> set[int] | None:
    """Values of one cron field (lists, ranges, names); None for ``*`` / ``?`` (any)."""
    if field_ in ("*", "?"):
        return None
    values: set[int] = set()
    for part in field_.split(","):
        ends = [names.get(p.upper(), None) or int(p) for p in part.split("-")]
        if len(ends) == 2:
            values.update(range(ends[0], ends[1] + 1))
        else:
            values.add(ends[0])
    if not values or min(values) < low or max(values) > high:
        raise config_mod.ConfigError(f"schedule: cron field `{field_}` is outside {low}-{high}")
    return values


def _time_of(fields: list[str]) -> tuple[int, int]:
    def first(f: str) -> int:
        return int(re.split(r"[,/-]", f)[0]) if f not in ("*", "?") else 0
    return first(fields[1]), first(fields[0])


def weekly_days(schedule: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in [start, end] whose weekday is in the cron's day-of-week field (none given: Mondays)."""
    dows = _expand(_cron_fields(schedule)[4], _DAYS, 1, 7) or {_DAYS["MON"]}
    return [d for d in _days(start, end) if d.isoweekday() % 7 + 1 in dows]


def monthly_days(schedule: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """Days in [start, end] whose day of month is in the cron's day-of-month field (none given: the 1st)."""
    doms = _expand(_cron_fields(schedule)[2], {}, 1, 31) or {1}
    return [d for d in _days(start, end) if d.day in doms]


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    if end < start:
        raise config_mod.ConfigError(f"schedule: --to {end} is before --from {start}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def backfill_plan(cfg, start: dt.date, end: dt.date, monthly: bool = False) -> list[tuple[str, dt.date]]:
    """(workflow, as-of) of every cycle a backfill of [start, end] runs, in order (module docstring)."""
    glue = cfg["deploy"]["glue"]
    events = [(d, _time_of(_cron_fields(glue["weekly_schedule"])), WEEKLY)
              for d in weekly_days(glue["weekly_schedule"], start, end)]
    if monthly:
        events += [(d, _time_of(_cron_fields(glue["monthly_schedule"])), MONTHLY)
                   for d in monthly_days(glue["monthly_schedule"], start, end)]
    return [(workflow, day) for day, _, workflow in sorted(events)]


def backfill(spark, cfg, start: dt.date, end: dt.date, monthly: bool = False, artifacts: str | None = None,
             runner: Callable[..., Cycle] = run_cycle) -> list[Cycle]:
    """Run every cycle of :func:`backfill_plan` in order; the first failure raises :class:`CycleFailed`."""
    return [runner(spark, cfg, workflow, day, artifacts) for workflow, day in backfill_plan(cfg, start, end, monthly)]


# --------------------------------------------------------------------------- command line
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date yyyy-MM-dd") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m vocspark.schedule", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=str(args_mod.DEFAULT_CONFIG), help="YAML config (default: conf/local.yaml)")
    common.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key (repeatable)")
    common.add_argument("--artifacts", default=None,
                        help="folder or URI holding conf/topics/ and conf/classifiers/ (default: the checkout)")
    sub = parser.add_subparsers(dest="command", required=True)
    fill = sub.add_parser("backfill", parents=[common], help="replay the weekly cycles of a date range in order")
    fill.add_argument("--from", dest="start", type=_date, required=True, help="first day, yyyy-MM-dd")
    fill.add_argument("--to", dest="end", type=_date, required=True, help="last day, yyyy-MM-dd")
    fill.add_argument("--monthly", action="store_true", help="also the monthly training cycles of the range")
    for name, what in (("run-week", "one weekly inference cycle"), ("run-month", "one monthly training cycle")):
        one = sub.add_parser(name, parents=[common], help=what)
        one.add_argument("--as-of", type=_date, required=True, help="the cycle's date, yyyy-MM-dd")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from vocspark.session import build_session

    args_mod.setup_logging()
    args = build_parser().parse_args(argv)
    lines = [line for o in args.overrides for line in str(o).splitlines() if line.strip()]
    cfg = config_mod.load(Path(args.config), dict(config_mod.parse_override(o) for o in lines))
    if args.command == "backfill":
        plan = backfill_plan(cfg, args.start, args.end, args.monthly)
    else:
        plan = [(WEEKLY if args.command == "run-week" else MONTHLY, args.as_of)]
    if not plan:
        print(f"schedule: no cycle between {args.start} and {args.end}", file=sys.stderr)
        return 0
    spark = build_session(cfg, app_name=f"vocspark-schedule-{args.command}")
    args_mod.require_base_bucket(spark, cfg.base_uri)
    for i, (workflow, day) in enumerate(plan, 1):
        try:
            run_cycle(spark, cfg, workflow, day, args.artifacts)
        except CycleFailed as exc:
            print(f"schedule: stopped at cycle {i}/{len(plan)}: {exc}", file=sys.stderr)
            return 1
        log.info("schedule: cycle %d/%d done: %s as of %s", i, len(plan), workflow, day)
    return 0


if __name__ == "__main__":
    sys.exit(main())
