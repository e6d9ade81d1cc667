"""vocspark.schedule: the job sequences come from deploy.definitions (order from the triggers, arguments from jobs
and actions, rendered for a local run), backfill dates follow the configured crons, a backfill stops at the first
failed cycle naming it."""
from __future__ import annotations

import datetime as dt
import types

import pytest

from vocspark import config, schedule
from vocspark.deploy import definitions as D


def test_weekly_sequence_follows_the_triggers_with_their_arguments():
    steps = schedule.sequence(schedule.WEEKLY, "insta", "cat", artifacts="/art")
    assert [s.job for s in steps] == ["ingest", "preprocess", "infer_topics", "infer_classifier", "user_mode",
                                      "load_warehouse"]
    args = {s.job: dict(zip(s.args[::2], s.args[1::2])) for s in steps}
    assert args["ingest"] == {"--last-days": D.LAST_DAYS}
    assert args["infer_topics"] == {"--model": "insta", "--mapping": "/art/conf/topics/insta.yaml", "--last-days": "14"}
    assert args["user_mode"] == {}


def test_monthly_sequence_has_its_own_preprocess_and_local_extra_files():
    steps = schedule.sequence(schedule.MONTHLY, "insta", "cat", artifacts="file:///art/")
    assert [(s.job, s.script) for s in steps] == [("preprocess-monthly", "preprocess"), ("train_topics", "train_topics"),
                                                  ("train_classifier", "train_classifier"), ("promote", "promote")]
    train = dict(zip(steps[2].args[::2], steps[2].args[1::2]))
    # Glue copies conf/classifiers/cat.yaml next to the script and the job names it bare: locally, the file itself
    assert train["--classifier-config"] == "file:///art/conf/classifiers/cat.yaml"
    promote = dict(zip(steps[3].args[::2], steps[3].args[1::2]))
    assert promote == {"--topic-model": "insta", "--mapping": "file:///art/conf/topics/insta.yaml", "--classifier": "cat"}


def test_sequence_is_derived_from_the_definitions(monkeypatch):
    """Changing the triggers changes the sequence: action arguments override the job's, order follows `watch`."""
    weekly = "weekly-inference"
    triggers = [
        D.Trigger("z", weekly, "CONDITIONAL", (D.Action("load_warehouse", {"--months": "2021-01"}),), watch=("user_mode",)),
        D.Trigger("start", weekly, "SCHEDULED", (D.Action("user_mode"),), schedule="${WeeklySchedule}"),
    ]
    monkeypatch.setattr(D, "triggers", lambda: triggers)
    monkeypatch.setattr(D, "jobs", lambda *a: [D.Job("user_mode"), D.Job("load_warehouse", {"--months": "x", "--tables": "t"})])
    steps = schedule.sequence(weekly)
    assert [(s.job, s.args) for s in steps] == [("user_mode", ()),
                                                ("load_warehouse", ("--months", "2021-01", "--tables", "t"))]


def test_a_trigger_that_never_fires_or_an_unrendered_token_fails(monkeypatch):
    weekly = "weekly-inference"
    monkeypatch.setattr(D, "jobs", lambda *a: [D.Job("ingest"), D.Job("user_mode", {"--x": "${Unknown}/y"})])
    monkeypatch.setattr(D, "triggers", lambda: [
        D.Trigger("s", weekly, "SCHEDULED", (D.Action("ingest"),)),
        D.Trigger("c", weekly, "CONDITIONAL", (D.Action("user_mode"),), watch=("preprocess",))])
    with pytest.raises(ValueError, match=r"never fire: c \(watches preprocess\)"):
        schedule.sequence(weekly)
    monkeypatch.setattr(D, "triggers", lambda: [
        D.Trigger("s", weekly, "SCHEDULED", (D.Action("ingest"),)),
        D.Trigger("c", weekly, "CONDITIONAL", (D.Action("user_mode"),), watch=("ingest",))])
    with pytest.raises(ValueError, match=r"--x of job `user_mode` has no local value"):
        schedule.sequence(weekly)


def test_weekly_days_follow_the_cron_weekdays():
    mondays = schedule.weekly_days("cron(0 6 ? * MON *)", dt.date(2021, 3, 1), dt.date(2021, 5, 31))
    assert len(mondays) == 14 and mondays[0] == dt.date(2021, 3, 1) and mondays[-1] == dt.date(2021, 5, 31)
    assert {d.weekday() for d in mondays} == {0}
    assert schedule.weekly_days("cron(0 6 ? * TUE,FRI *)", dt.date(2021, 3, 1), dt.date(2021, 3, 7)) == [
        dt.date(2021, 3, 2), dt.date(2021, 3, 5)]
    assert schedule.weekly_days("cron(0 6 ? * 1 *)", dt.date(2021, 3, 1), dt.date(2021, 3, 7)) == [dt.date(2021, 3, 7)]
    assert schedule.weekly_days("cron(0 6 * * ? *)", dt.date(2021, 3, 2), dt.date(2021, 3, 9)) == [dt.date(2021, 3, 8)]
    with pytest.raises(config.ConfigError, match="not an AWS cron"):
        schedule.weekly_days("rate(7 days)", dt.date(2021, 3, 1), dt.date(2021, 3, 7))


def test_backfill_plan_orders_monthly_before_weekly_on_the_same_day_by_hour():
    cfg = config.resolve({"profile": "local", "base_uri": "/tmp/x", "sources": {}})
    plan = schedule.backfill_plan(cfg, dt.date(2021, 2, 1), dt.date(2021, 3, 8), monthly=True)
    assert plan[:3] == [(schedule.MONTHLY, dt.date(2021, 2, 1)), (schedule.WEEKLY, dt.date(2021, 2, 1)),
                        (schedule.WEEKLY, dt.date(2021, 2, 8))]
    assert plan[-2:] == [(schedule.WEEKLY, dt.date(2021, 3, 1)), (schedule.WEEKLY, dt.date(2021, 3, 8))]
    assert plan.index((schedule.MONTHLY, dt.date(2021, 3, 1))) == len(plan) - 3
    assert [w for w, _ in schedule.backfill_plan(cfg, dt.date(2021, 2, 1), dt.date(2021, 3, 8))] == [schedule.WEEKLY] * 6
    late = config.resolve({"profile": "local", "base_uri": "/tmp/x", "sources": {},
                           "deploy": {"glue": {"monthly_schedule": "cron(0 23 1 * ? *)"}}})
    assert schedule.backfill_plan(late, dt.date(2021, 2, 1), dt.date(2021, 2, 1), monthly=True) == [
        (schedule.WEEKLY, dt.date(2021, 2, 1)), (schedule.MONTHLY, dt.date(2021, 2, 1))]


def test_backfill_stops_at_the_first_failed_cycle_naming_it(monkeypatch, capsys):
    ran = []

    def fake_run_cycle(spark, cfg, workflow, day, artifacts=None, **kw):
        cycle = schedule.Cycle(workflow, day)
        ran.append(day)
        if day == dt.date(2021, 3, 15):
            raise schedule.CycleFailed(cycle, "infer_topics", RuntimeError("no mapping for version v2\nmore"))
        return cycle

    monkeypatch.setattr(schedule, "run_cycle", fake_run_cycle)
    monkeypatch.setattr("vocspark.session.build_session", lambda cfg, app_name: types.SimpleNamespace())
    rc = schedule.main(["backfill", "--set", "base_uri=/tmp/x", "--from", "2021-03-01", "--to", "2021-03-31"])
    assert rc == 1 and ran == [dt.date(2021, 3, 1), dt.date(2021, 3, 8), dt.date(2021, 3, 15)]
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("schedule: stopped at cycle 3/5: weekly-inference cycle as of 2021-03-15: job infer_topics "
                       "failed: RuntimeError: no mapping for version v2")


def test_run_cycle_passes_as_of_only_to_jobs_that_take_it_and_names_the_failing_job(monkeypatch):
    calls = []

    def fake_parser(script):
        import argparse

        parser = argparse.ArgumentParser()
        parser.add_argument("--run-id")
        parser.add_argument("--model")
        parser.add_argument("--mapping")
        parser.add_argument("--classifier-config")
        parser.add_argument("--topic-model")
        parser.add_argument("--classifier")
        if not script.startswith("train"):
            parser.add_argument("--as-of")

        def run(spark, cfg, ns):
            calls.append((script, getattr(ns, "as_of", "-")))
            if script == "promote":
                raise ValueError("gate metric missing")
            return script
        return types.SimpleNamespace(run=run), parser

    monkeypatch.setattr(schedule, "_parser", fake_parser)
    cfg = config.resolve({"profile": "local", "base_uri": "/tmp/x", "sources": {}})
    with pytest.raises(schedule.CycleFailed, match=r"^monthly-training cycle as of 2021-04-01: job promote failed: "
                                                   r"ValueError: gate metric missing$") as info:
        schedule.monthly_cycle(None, cfg, "2021-04-01")
    assert calls == [("preprocess", "2021-04-01"), ("train_topics", "-"), ("train_classifier", "-"),
                     ("promote", "2021-04-01")]
    assert info.value.cycle.without_as_of == ["train_topics", "train_classifier"]
