"""Argument parsing that works under spark-submit, locally and under AWS Glue.

Every job takes ``--config`` (a YAML file, default ``conf/local.yaml``) and any number of ``--set key=value``
overrides, plus its own options. Under Glue (``awsglue`` importable or ``--JOB_NAME`` present) the extra
arguments Glue adds (``--JOB_ID``, ``--JOB_RUN_ID``, ``--TempDir``, ``--enable-...``) are ignored; anywhere
else an unknown argument is an error. Glue passes every value as ``--key value``; where ``awsglue`` can be
imported the values are resolved with ``awsglue.utils.getResolvedOptions`` (for the options the job declares
and that are present), then parsed by the same argparse parser. Glue keeps one value per key, so several
config overrides arrive as one ``--set`` value with one ``key=value`` per line.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import re
import sys
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlparse

from vocspark import config as config_mod
from vocspark import workflow

log = logging.getLogger(__name__)
# In a source checkout the default is the checkout's conf/local.yaml; from a zip or wheel, conf/local.yaml
# relative to the working directory (clusters always pass --config).
_CHECKOUT_CONFIG = config_mod.PROJECT_ROOT / "conf" / "local.yaml"
DEFAULT_CONFIG = _CHECKOUT_CONFIG if _CHECKOUT_CONFIG.is_file() else Path("conf") / "local.yaml"


def running_on_glue(argv: Sequence[str]) -> bool:
    if "--JOB_NAME" in argv:
        return True
    try:
        import awsglue  # noqa: F401
    except ImportError:
        return False
    return True  # pragma: no cover


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="YAML config file (default: conf/local.yaml)")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a config key, e.g. --set base_uri=/tmp/voc (repeatable)",
    )
    parser.add_argument("--run-id", default=None, help="run id for manifests (default: UTC time + random suffix)")
    parser.add_argument("--JOB_NAME", default=None, help=argparse.SUPPRESS)
    return parser


def parse(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None
) -> tuple[argparse.Namespace, config_mod.Config]:
    """Parse ``argv`` and load the config it names (with overrides)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if running_on_glue(argv):
        args, extra = parser.parse_known_args(glue_resolved_argv(parser, argv))
        if extra:
            log.info("ignoring arguments added by Glue: %s", " ".join(extra))
    else:
        args = parser.parse_args(argv)
    lines = [line for o in args.overrides for line in str(o).splitlines() if line.strip()]
    overrides = dict(config_mod.parse_override(o) for o in lines)
    cfg = config_mod.load(Path(args.config), overrides)
    resolve_as_of(args, argv)
    return args, cfg


def resolve_as_of(args: argparse.Namespace, argv: Sequence[str]) -> None:
    """Date-exact scheduled runs: a job with ``--as-of`` takes it from the command line, else, inside a Glue
    workflow run, from the run's ``as_of`` property (set once per workflow run from its start time, so a rerun on
    another day keeps the day: :mod:`vocspark.workflow`). Outside a workflow an absent ``--as-of`` stays absent
    (the job's own default, today UTC)."""
    if not hasattr(args, "as_of"):
        return
    as_of, origin = workflow.resolve_as_of(args.as_of, workflow.glue_args_from_argv(argv), lambda: workflow.glue_client())
    if origin != workflow.ORIGIN_TODAY:
        args.as_of = as_of.isoformat()
        log.info("as-of %s (from the %s)", args.as_of, origin)


def glue_resolved_argv(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """``argv`` with the values of the parser's options resolved by ``awsglue.utils.getResolvedOptions`` (the
    options present, so none is required); flags and ``--set`` (repeatable) are taken as given. Without
    ``awsglue`` (tests, ``--JOB_NAME`` passed locally) ``argv`` is returned unchanged."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return list(argv)
    present = set(argv)
    valued, kept = [], []
    for action in parser._actions:
        for opt in action.option_strings:
            if not opt.startswith("--") or opt not in present:
                continue
            if action.nargs == 0:
                kept.append(opt)
            elif opt == "--set":
                kept += [x for i, a in enumerate(argv[:-1]) if a == "--set" for x in (a, argv[i + 1])]
            else:
                valued.append(opt[2:])
    resolved = getResolvedOptions(["script", *argv], valued)
    out: list[str] = []
    for name in valued:
        value = resolved[name] if name in resolved else resolved[name.replace("-", "_")]
        out += [f"--{name}", value]
    return out + kept


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)


def run_job(
    prog: str,
    description: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[..., object],
    argv: Sequence[str] | None = None,
) -> int:
    """The body of every ``jobs/<job>.py``: parse, build the session, call ``run(spark, cfg, args)``."""
    from vocspark.session import build_session

    setup_logging()
    parser = base_parser(prog, description)
    add_arguments(parser)
    args, cfg = parse(parser, argv)
    spark = build_session(cfg, app_name=f"vocspark-{prog}")
    require_base_bucket(spark, cfg.base_uri)
    glue_job = _glue_job_init(spark, args)
    run(spark, cfg, args)
    if glue_job is not None:  # pragma: no cover - only on Glue
        glue_job.commit()
    return 0


class MissingBucketError(FileNotFoundError):
    """The bucket of ``base_uri`` does not exist or cannot be listed; raised before the job reads anything."""


def require_base_bucket(spark, base_uri: str) -> None:
    """Fail fast, naming it, when the bucket of a remote ``base_uri`` does not exist or cannot be listed (S3A does
    not probe buckets when it starts, so without this a job would only fail at its first write). The base prefix
    itself is listed (the IAM policy allows listing only under it); a prefix not created yet is fine."""
    parsed = urlparse(base_uri)
    if parsed.scheme not in config_mod.REMOTE_SCHEMES or not parsed.netloc:
        return
    from vocspark import io  # io imports pyspark, which `vocspark.deploy` (importing this module) does not need

    problem = io.probe_base(spark, base_uri)
    if problem is not None:
        raise MissingBucketError(
            f"`base_uri` bucket `{parsed.netloc}` ({base_uri}) does not exist or cannot be listed: {problem[:300]}"
        )


def _glue_job_init(spark, args):  # pragma: no cover - only on Glue
    if not args.JOB_NAME:
        return None
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
    except ImportError:
        return None
    job = Job(GlueContext(spark.sparkContext))
    job.init(args.JOB_NAME, {"JOB_NAME": args.JOB_NAME})
    return job


# --------------------------------------------------------------------------- month selection
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def add_month_selection(parser: argparse.ArgumentParser, what: str) -> None:
    """``--months a,b`` or ``--last-days N`` (the whole months the last N days before ``--as-of`` touch)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--months", default=None, help=f"comma-separated months yyyy-MM to {what} (default: all)")
    group.add_argument("--last-days", type=int, default=None,
                       help=f"{what} the whole months that the last N days touch (weekly runs)")
    parser.add_argument("--as-of", default=None, help="end day of --last-days, yyyy-MM-dd (default: today, UTC)")


def months_touched(last_days: int, as_of: dt.date) -> list[str]:
    """The months (yyyy-MM, oldest first) of the days ``[as_of - last_days, as_of]``, UTC calendar days."""
    if last_days < 0:
        raise config_mod.ConfigError(f"--last-days must be 0 or more, got {last_days}")
    start = as_of - dt.timedelta(days=last_days)
    months, year, month = [], start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_range(until: str, months: int) -> list[str]:
    """The ``months`` months ending with ``until`` (yyyy-MM), oldest first."""
    if not re.match(MONTH_PATTERN, str(until)):
        raise config_mod.ConfigError(f"`{until}` is not a month yyyy-MM")
    year, month = (int(x) for x in until.split("-"))
    out = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out[::-1]


def month_before(as_of: str) -> str:
    """The month (yyyy-MM) of the day before ``as_of`` (yyyy-MM-dd): the last complete month of a run on the 1st,
    the last training month of a scheduled retrain."""
    try:
        day = dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise config_mod.ConfigError(f"--as-of: `{as_of}` is not a date yyyy-MM-dd") from None
    return (day - dt.timedelta(days=1)).strftime("%Y-%m")


def selected_months(args: argparse.Namespace) -> list[str] | None:
    """The months ``args`` selects (``--months`` or ``--last-days``/``--as-of``), None for all; bad values fail
    naming the option."""
    months_arg = getattr(args, "months", None)
    if months_arg:
        months = [m.strip() for m in str(months_arg).split(",") if m.strip()]
        for month in months:
            if not re.match(MONTH_PATTERN, month):
                raise config_mod.ConfigError(f"--months: `{month}` is not a month yyyy-MM")
        return months or None
    last_days = getattr(args, "last_days", None)
    if last_days is None:
        return None
    as_of_arg = getattr(args, "as_of", None)
    try:
        as_of = dt.date.fromisoformat(as_of_arg) if as_of_arg else dt.datetime.now(dt.timezone.utc).date()
    except ValueError:
        raise config_mod.ConfigError(f"--as-of: `{as_of_arg}` is not a date yyyy-MM-dd") from None
    return months_touched(int(last_days), as_of)
