"""The jobs' --as-of: the command line, else the Glue workflow run's property, else left to the job."""
from __future__ import annotations

import argparse

import pytest

from vocspark import args as args_mod
from vocspark import workflow


class _FakeGlue:
    def __init__(self, props):
        self.props = props
        self.calls = []

    def get_workflow_run_properties(self, Name, RunId):
        self.calls.append((Name, RunId))
        return {"RunProperties": dict(self.props)}


def _parser() -> argparse.ArgumentParser:
    parser = args_mod.base_parser("job", "")
    args_mod.add_month_selection(parser, "score")
    return parser


@pytest.fixture
def glue(monkeypatch):
    fake = _FakeGlue({"as_of": "2021-06-07"})
    monkeypatch.setattr(workflow, "glue_client", lambda region=None: fake)
    return fake


def test_inside_a_workflow_the_run_property_is_the_as_of(glue):
    argv = ["--last-days", "7", "--JOB_NAME", "voc-ingest", "--WORKFLOW_NAME", "weekly", "--WORKFLOW_RUN_ID", "wr_1"]
    args, _ = args_mod.parse(_parser(), argv)
    assert args.as_of == "2021-06-07" and glue.calls == [("weekly", "wr_1")]
    assert args_mod.selected_months(args) == ["2021-05", "2021-06"]


def test_the_command_line_wins_and_outside_a_workflow_nothing_is_set(glue):
    args, _ = args_mod.parse(_parser(), ["--as-of", "2021-01-05", "--JOB_NAME", "j", "--WORKFLOW_NAME", "w", "--WORKFLOW_RUN_ID", "r"])
    assert args.as_of == "2021-01-05" and glue.calls == []
    args, _ = args_mod.parse(_parser(), ["--last-days", "7"])
    assert args.as_of is None and glue.calls == []


def test_a_bad_workflow_property_fails_naming_it(glue):
    glue.props = {"as_of": "June 7th"}
    with pytest.raises(workflow.WorkflowError, match="run property `as_of`"):
        args_mod.parse(_parser(), ["--JOB_NAME", "j", "--WORKFLOW_NAME", "w", "--WORKFLOW_RUN_ID", "r"])


def test_month_before_is_the_last_complete_month_of_a_run_on_the_first():
    assert args_mod.month_before("2021-03-01") == "2021-02"
    assert args_mod.month_before("2021-01-01") == "2020-12"
    assert args_mod.month_before("2021-03-15") == "2021-03"
    with pytest.raises(Exception, match="--as-of: `2021-13-01`"):
        args_mod.month_before("2021-13-01")


def test_a_scheduled_classifier_retrain_trains_on_the_twelve_months_before_its_as_of():
    from vocspark.jobs import train_classifier

    opts = train_classifier.Options(model="m", as_of="2021-03-01")
    assert train_classifier.training_months(opts) == args_mod.month_range("2021-02", 12)
    assert train_classifier.training_months(train_classifier.Options(model="m")) is None
    explicit = train_classifier.Options(model="m", as_of="2021-03-01", until="2020-06", train_months=2)
    assert train_classifier.training_months(explicit) == ["2020-05", "2020-06"]
