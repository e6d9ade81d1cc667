"""The as-of date of a scheduled run: one day per Glue workflow run, whatever day a job of it runs.

Every scheduled job works on the days before its ``--as-of``. The date comes from, in order:

1. ``--as-of`` on the command line (a backfill, a manual rerun): origin ``"command line"``;
2. inside a Glue workflow (Glue passes ``--WORKFLOW_NAME`` and ``--WORKFLOW_RUN_ID`` to every job a workflow
   trigger starts), the workflow run property ``as_of``: origin ``"workflow"``. When it is not set yet, the job
   sets it once from the workflow run's start time (``StartedOn``, as a UTC date) with
   ``put_workflow_run_properties`` (origin ``"workflow start"``); every later job of that run, and a rerun of a
   failed job days later (``resume_workflow_run`` keeps the run id), reads the same value. The value is a pure
   function of the run's start time, so two jobs of one run setting it at the same moment write the same date;
   a value already there is never replaced (an operator may put ``as_of`` on a run to replay a past day);
3. otherwise today (UTC): origin ``"today"``, logged as a warning for a Glue job (a scheduled job outside a
   workflow is not date-exact), at info level for a run by hand.

A workflow whose run properties cannot be read, or whose ``as_of`` is not a date, fails naming the workflow and
the run id: guessing a date would silently shift every window of the run.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any, Callable, Mapping, Sequence

from vocspark.config import ConfigError

log = logging.getLogger(__name__)

AS_OF = "as_of"  # the workflow run property
WORKFLOW_NAME, WORKFLOW_RUN_ID, JOB_NAME = "WORKFLOW_NAME", "WORKFLOW_RUN_ID", "JOB_NAME"
_GLUE_KEYS = (WORKFLOW_NAME, WORKFLOW_RUN_ID, JOB_NAME)

ORIGIN_CLI, ORIGIN_WORKFLOW, ORIGIN_WORKFLOW_START, ORIGIN_TODAY = "command line", "workflow", "workflow start", "today"


class WorkflowError(ConfigError):
    """The workflow run's properties cannot be read or hold an invalid ``as_of``."""


def glue_args_from_argv(argv: Sequence[str]) -> dict[str, str]:
    """``WORKFLOW_NAME``, ``WORKFLOW_RUN_ID`` and ``JOB_NAME`` from a job's raw argv (``--KEY value`` or
    ``--KEY=value``); keys absent from argv are absent from the result. The job's own parser ignores them."""
    out: dict[str, str] = {}
    args = list(argv)
    for i, arg in enumerate(args):
        for key in _GLUE_KEYS:
            flag = f"--{key}"
            if arg == flag and i + 1 < len(args) and not args[i + 1].startswith("--"):
                out[key] = args[i + 1]
            elif arg.startswith(flag + "="):
                out[key] = arg[len(flag) + 1:]
    return out


def glue_client(region: str | None = None):
    """A boto3 Glue client in the job's region (Glue sets ``AWS_REGION``; elsewhere the default chain)."""
    import boto3

    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.client("glue", region_name=region) if region else boto3.client("glue")


def _parse_date(value: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise WorkflowError(f"{what}: `{value}` is not a date yyyy-MM-dd") from None


def _utc_date(moment: Any) -> dt.date:
    """A datetime (aware, or naive meaning UTC) as its UTC calendar date."""
    if not isinstance(moment, dt.datetime):
        raise TypeError(f"not a datetime: {moment!r}")
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(dt.timezone.utc).date()


def resolve_as_of(
    explicit: str | None,
    glue_args: Mapping[str, str],
    glue_client_factory: Callable[[], Any] = glue_client,
    now: dt.datetime | None = None,
) -> tuple[dt.date, str]:
    """The run's as-of date and where it came from (``ORIGIN_*``); see the module docstring for the order.

    ``glue_args``: :func:`glue_args_from_argv` of the job's argv. ``glue_client_factory`` is called only inside
    a workflow. ``now``: the current time (default: now, UTC), used only outside a workflow.
    """
    if explicit:
        return _parse_date(explicit, "--as-of"), ORIGIN_CLI
    name, run_id = glue_args.get(WORKFLOW_NAME), glue_args.get(WORKFLOW_RUN_ID)
    if name and run_id:
        return _from_workflow(glue_client_factory(), name, run_id)
    today = _utc_date(now or dt.datetime.now(dt.timezone.utc))
    if glue_args.get(JOB_NAME):
        log.warning("as-of: Glue job `%s` runs outside a workflow and without --as-of: using today (UTC) %s, "
                    "so a rerun on another day works on other days", glue_args[JOB_NAME], today)
    else:
        log.info("as-of: no --as-of and no workflow: today (UTC) %s", today)
    return today, ORIGIN_TODAY


def _from_workflow(glue: Any, name: str, run_id: str) -> tuple[dt.date, str]:
    where = f"Glue workflow `{name}` run `{run_id}`"
    try:
        props = glue.get_workflow_run_properties(Name=name, RunId=run_id).get("RunProperties") or {}
    except Exception as exc:  # botocore ClientError, no credentials, no network: one line, named
        raise WorkflowError(f"{where}: cannot read the run properties ({_one_line(exc)})") from None
    if props.get(AS_OF):
        as_of = _parse_date(props[AS_OF], f"{where}: run property `{AS_OF}`")
        log.info("as-of: %s from %s", as_of, where)
        return as_of, ORIGIN_WORKFLOW
    try:
        started = glue.get_workflow_run(Name=name, RunId=run_id, IncludeGraph=False)["Run"]["StartedOn"]
        as_of = _utc_date(started)
        glue.put_workflow_run_properties(Name=name, RunId=run_id, RunProperties={AS_OF: as_of.isoformat()})
    except Exception as exc:
        raise WorkflowError(f"{where}: cannot set run property `{AS_OF}` from the run's start time "
                            f"({_one_line(exc)})") from None
    log.info("as-of: %s set on %s from its start time %s", as_of, where, started)
    return as_of, ORIGIN_WORKFLOW_START


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
