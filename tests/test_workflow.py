"""The as-of date of a scheduled run (vocspark.workflow) on moto's Glue: set once per workflow run from its start
time, the same on every later job and on a rerun days later; --as-of wins; outside a workflow, today (UTC)."""
from __future__ import annotations

import datetime as dt
import logging

import pytest

from vocspark import workflow

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

REGION = "us-east-1"
WF = "vocspark-weekly-inference"


@pytest.fixture
def glue(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto.mock_aws():
        client = boto3.client("glue", region_name=REGION)
        client.create_workflow(Name=WF)
        yield client


def _start_run(glue, started_on: dt.datetime | None = None) -> str:
    """A workflow run; with ``started_on``, moto's start time is set to it (moto stamps "now")."""
    run_id = glue.start_workflow_run(Name=WF)["RunId"]
    if started_on is not None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.glue.models import glue_backends

        glue_backends[DEFAULT_ACCOUNT_ID][REGION].workflows[WF].runs[run_id].started_on = started_on
    return run_id


def _at(day: str, hour: int = 12) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=dt.timezone.utc)


def test_first_job_sets_the_day_once_and_every_later_job_reads_it(glue):
    run_id = _start_run(glue, dt.datetime(2021, 7, 5, 6, 0))  # Monday 06:00 UTC, the weekly schedule
    args = {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run_id, "JOB_NAME": "vocspark-ingest"}
    first = workflow.resolve_as_of(None, args, lambda: glue, now=_at("2021-07-05", 7))
    assert first == (dt.date(2021, 7, 5), workflow.ORIGIN_WORKFLOW_START)
    props = glue.get_workflow_run_properties(Name=WF, RunId=run_id)["RunProperties"]
    assert props == {"as_of": "2021-07-05"}
    # user_mode the next day, and a rerun of a failed load_warehouse a week later: the same day
    for day in ("2021-07-06", "2021-07-13"):
        later = workflow.resolve_as_of(None, {**args, "JOB_NAME": "vocspark-user_mode"}, lambda: glue, now=_at(day))
        assert later == (dt.date(2021, 7, 5), workflow.ORIGIN_WORKFLOW)


def test_start_time_is_taken_as_a_utc_date(glue):
    brt = dt.timezone(dt.timedelta(hours=-3))
    run_id = _start_run(glue, dt.datetime(2021, 7, 4, 22, 30, tzinfo=brt))  # 2021-07-05 01:30 UTC
    args = {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run_id}
    assert workflow.resolve_as_of(None, args, lambda: glue, now=_at("2030-01-01"))[0] == dt.date(2021, 7, 5)


def test_a_property_put_by_the_operator_is_kept(glue):
    """A backfill through the workflow: the operator starts a run with as_of set; no job replaces it."""
    run_id = glue.start_workflow_run(Name=WF, RunProperties={"as_of": "2021-03-01"})["RunId"]
    args = {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run_id}
    assert workflow.resolve_as_of(None, args, lambda: glue, now=_at("2030-01-01")) == (
        dt.date(2021, 3, 1), workflow.ORIGIN_WORKFLOW)
    assert glue.get_workflow_run_properties(Name=WF, RunId=run_id)["RunProperties"]["as_of"] == "2021-03-01"


def test_two_runs_of_one_workflow_keep_their_own_days(glue):
    monday = _start_run(glue, dt.datetime(2021, 7, 5, 6, 0))
    next_monday = _start_run(glue, dt.datetime(2021, 7, 12, 6, 0))
    got = {run: workflow.resolve_as_of(None, {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run}, lambda: glue)[0]
           for run in (next_monday, monday)}
    assert got == {monday: dt.date(2021, 7, 5), next_monday: dt.date(2021, 7, 12)}


def test_explicit_as_of_wins_and_touches_nothing(glue):
    run_id = _start_run(glue, dt.datetime(2021, 7, 5, 6, 0))
    args = {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run_id}

    def no_client():
        raise AssertionError("the workflow is not read when --as-of is given")

    assert workflow.resolve_as_of("2021-06-28", args, no_client) == (dt.date(2021, 6, 28), workflow.ORIGIN_CLI)
    assert glue.get_workflow_run_properties(Name=WF, RunId=run_id)["RunProperties"] == {}
    with pytest.raises(workflow.WorkflowError, match=r"--as-of: `28/06/2021` is not a date"):
        workflow.resolve_as_of("28/06/2021", args, no_client)


def test_outside_a_workflow_today_utc(caplog):
    def no_client():
        raise AssertionError("no workflow, no Glue call")

    late_evening_brt = dt.datetime(2021, 7, 4, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    with caplog.at_level(logging.INFO, logger="vocspark.workflow"):
        assert workflow.resolve_as_of(None, {}, no_client, now=late_evening_brt) == (
            dt.date(2021, 7, 5), workflow.ORIGIN_TODAY)
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="vocspark.workflow"):
        got = workflow.resolve_as_of(None, {"JOB_NAME": "vocspark-ingest"}, no_client, now=_at("2021-07-06"))
    assert got == (dt.date(2021, 7, 6), workflow.ORIGIN_TODAY)
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert "vocspark-ingest" in warning.getMessage() and "outside a workflow" in warning.getMessage()
    # a workflow name without a run id is not a workflow run
    assert workflow.resolve_as_of(None, {"WORKFLOW_NAME": WF}, no_client, now=_at("2021-07-06"))[1] == "today"


def test_unparseable_as_of_property_fails_naming_it(glue):
    run_id = glue.start_workflow_run(Name=WF, RunProperties={"as_of": "last monday"})["RunId"]
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.resolve_as_of(None, {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": run_id}, lambda: glue)
    message = str(err.value)
    assert "\n" not in message
    assert f"`{WF}`" in message and f"`{run_id}`" in message and "`as_of`" in message and "`last monday`" in message


def test_unreadable_properties_fail_naming_the_workflow_and_run(glue):
    with pytest.raises(workflow.WorkflowError) as err:
        workflow.resolve_as_of(None, {"WORKFLOW_NAME": "vocspark-nope", "WORKFLOW_RUN_ID": "wr_123"}, lambda: glue)
    message = str(err.value)
    assert "\n" not in message
    assert "`vocspark-nope`" in message and "`wr_123`" in message and "cannot read the run properties" in message
    assert "EntityNotFound" in message


def test_glue_args_from_argv_both_spellings():
    argv = ["--config", "glue.yaml", "--WORKFLOW_NAME", WF, "--WORKFLOW_RUN_ID=wr_abc", "--JOB_NAME", "vocspark-ingest",
            "--last-days", "7"]
    assert workflow.glue_args_from_argv(argv) == {"WORKFLOW_NAME": WF, "WORKFLOW_RUN_ID": "wr_abc",
                                                  "JOB_NAME": "vocspark-ingest"}
    assert workflow.glue_args_from_argv(["--WORKFLOW_NAME=a=b", "--as-of", "2021-07-05"]) == {"WORKFLOW_NAME": "a=b"}
    assert workflow.glue_args_from_argv(["--WORKFLOW_NAME", "--WORKFLOW_RUN_ID", "x"]) == {"WORKFLOW_RUN_ID": "x"}
    assert workflow.glue_args_from_argv([]) == {}
