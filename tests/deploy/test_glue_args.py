"""Job scripts under Glue: arguments resolved through awsglue.utils.getResolvedOptions, Glue's own arguments
ignored, several --set overrides in one value, and the Glue Job initialised before and committed after the run.
awsglue is not installable from PyPI, so a stand-in with the same interface is put in sys.modules."""
from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

import pytest

from vocspark import args as args_mod

ROOT = Path(__file__).resolve().parents[2]
GLUE_EXTRA = ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--TempDir", "s3://b/tmp/", "--enable-metrics", "true",
              "--job-bookmark-option", "job-bookmark-disable"]


@pytest.fixture
def fake_awsglue(monkeypatch):
    """awsglue.utils.getResolvedOptions as Glue implements it (every listed option required, dests returned) plus
    awsglue.context.GlueContext and awsglue.job.Job recording their calls."""
    calls = {"resolved": [], "job": []}

    def get_resolved_options(argv, options):
        calls["resolved"].append(list(options))
        parser = argparse.ArgumentParser()
        for option in options:
            parser.add_argument("--" + option, required=True)
        parsed, _ = parser.parse_known_args(argv[1:])
        return vars(parsed)

    class GlueContext:
        def __init__(self, sc):
            self.sc = sc

    class Job:
        def __init__(self, context):
            calls["job"].append(("new", type(context).__name__))

        def init(self, name, args):
            calls["job"].append(("init", name, dict(args)))

        def commit(self):
            calls["job"].append(("commit",))

    modules = {"awsglue": types.ModuleType("awsglue"), "awsglue.utils": types.ModuleType("awsglue.utils"),
               "awsglue.context": types.ModuleType("awsglue.context"), "awsglue.job": types.ModuleType("awsglue.job")}
    modules["awsglue.utils"].getResolvedOptions = get_resolved_options
    modules["awsglue.context"].GlueContext = GlueContext
    modules["awsglue.job"].Job = Job
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return calls


def _parser():
    parser = args_mod.base_parser("user_mode", "test")
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--per-comment", action="store_true")
    return parser


def test_glue_arguments_go_through_get_resolved_options(fake_awsglue):
    argv = ["--JOB_NAME", "vocspark-user_mode", "--config", str(ROOT / "conf" / "local.yaml"), "--as-of", "2021-07-01",
            "--per-comment", "", "--set", "ingest.min_chars=7\ningest.max_chars=900", *GLUE_EXTRA]
    args, cfg = args_mod.parse(_parser(), argv)
    assert sorted(fake_awsglue["resolved"][0]) == ["JOB_NAME", "as-of", "config"]
    assert (args.as_of, args.per_comment, args.JOB_NAME) == ("2021-07-01", True, "vocspark-user_mode")
    assert (cfg["ingest"]["min_chars"], cfg["ingest"]["max_chars"]) == (7, 900)  # both overrides of one --set


def test_unknown_arguments_are_errors_outside_glue():
    with pytest.raises(SystemExit):
        args_mod.parse(_parser(), ["--config", str(ROOT / "conf" / "local.yaml"), "--TempDir", "x"])


def test_glue_job_is_initialised_and_committed_around_the_run(spark, fake_awsglue):
    seen = []
    sql_before = {k: spark.conf.get(k) for k in ("spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled",
                                                 "spark.sql.files.maxPartitionBytes")}

    def run(session, cfg, args):
        seen.append(("run", list(fake_awsglue["job"])))

    try:
        code = args_mod.run_job("user_mode", "test", lambda p: p.add_argument("--as-of"), run,
                                ["--JOB_NAME", "vocspark-user_mode", "--config", str(ROOT / "conf" / "local.yaml"),
                                 "--as-of", "2021-07-01", *GLUE_EXTRA])
    finally:  # the session is shared by the suite: put back what the job's config changed
        for key, value in sql_before.items():
            spark.conf.set(key, value)
        spark.sparkContext.setLogLevel("ERROR")
    assert code == 0
    assert seen == [("run", [("new", "GlueContext"), ("init", "vocspark-user_mode", {"JOB_NAME": "vocspark-user_mode"})])]
    assert fake_awsglue["job"][-1] == ("commit",)
