"""Deployment: the CloudFormation template is generated from the same definitions the boto3 deployer applies and
passes cfn-lint; the deployer against moto creates every job, workflow and trigger (read back and checked); the
EMR step against moto carries the right spark-submit arguments; the IAM policy stays inside the project. (Alerts
and the champion/mapping refusal: test_alerts.py, test_readiness.py.)"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vocspark import config, jars
from vocspark.deploy import aws, definitions as d, template

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "cloudformation.json"
REGION = "us-east-1"


def test_committed_template_is_generated_from_the_definitions(glue_cfg):
    assert TEMPLATE.read_text() == template.to_json(glue_cfg), (
        "deploy/cloudformation.json is stale: python -m vocspark.deploy template --config conf/glue.yaml "
        "> deploy/cloudformation.json")
    policy = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
    assert policy == json.loads(json.dumps(d.iam_policy(with_secret=True)))


def _cfn_lint(path: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "cfn-lint"
    return subprocess.run([str(exe), str(path)], capture_output=True, text=True, timeout=300)


def test_template_passes_cfn_lint(tmp_path):
    proc = _cfn_lint(TEMPLATE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = json.loads(TEMPLATE.read_text())  # the lint can fail: a trigger with an invalid type
    next(v for v in broken["Resources"].values() if v["Type"] == "AWS::Glue::Trigger")["Properties"]["Type"] = "WEEKLY"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert _cfn_lint(tmp_path / "broken.json").returncode != 0


def test_template_workflows_schedules_and_predicates(glue_cfg):
    body = json.loads(TEMPLATE.read_text())
    res = body["Resources"]
    triggers = {v["Properties"]["Name"]["Fn::Sub"].split("}-", 1)[1]: v["Properties"]
                for v in res.values() if v["Type"] == "AWS::Glue::Trigger"}
    assert triggers["weekly-start"]["Type"] == "SCHEDULED"
    assert triggers["weekly-start"]["Schedule"] == {"Fn::Sub": "${WeeklySchedule}"}
    assert body["Parameters"]["WeeklySchedule"]["Default"] == "cron(0 6 ? * MON *)"
    assert body["Parameters"]["MonthlySchedule"]["Default"] == "cron(0 3 1 * ? *)"
    user_mode = triggers["weekly-user-mode"]
    assert user_mode["Predicate"]["Logical"] == "AND"
    assert [c["JobName"]["Fn::Sub"] for c in user_mode["Predicate"]["Conditions"]] == [
        "${NamePrefix}-infer_topics", "${NamePrefix}-infer_classifier"]
    assert {c["State"] for t in triggers.values() for c in t.get("Predicate", {}).get("Conditions", [])} == {"SUCCEEDED"}
    assert [a["JobName"]["Fn::Sub"] for a in triggers["monthly-start"]["Actions"]] == ["${NamePrefix}-preprocess-monthly"]
    assert [c["JobName"]["Fn::Sub"] for c in triggers["monthly-train"]["Predicate"]["Conditions"]] == [
        "${NamePrefix}-preprocess-monthly"]
    assert [a["JobName"]["Fn::Sub"] for a in triggers["monthly-train"]["Actions"]] == [
        "${NamePrefix}-train_topics", "${NamePrefix}-train_classifier"]
    promote = triggers["monthly-promote"]  # train -> promote, when both candidates were trained
    assert promote["Predicate"]["Logical"] == "AND"
    assert [c["JobName"]["Fn::Sub"] for c in promote["Predicate"]["Conditions"]] == [
        "${NamePrefix}-train_topics", "${NamePrefix}-train_classifier"]
    assert [a["JobName"]["Fn::Sub"] for a in promote["Actions"]] == ["${NamePrefix}-promote"]
    jobs = [v["Properties"] for v in res.values() if v["Type"] == "AWS::Glue::Job"]
    assert len(jobs) == 10 and all(j["GlueVersion"] == {"Fn::Sub": "${GlueVersion}"} for j in jobs)
    names = [j["Name"]["Fn::Sub"] for j in jobs]
    assert len(set(names)) == len(names)
    # the workflows never start one Glue job from both: a monthly run cannot fail a weekly one on concurrency
    started = {w: {a["JobName"]["Fn::Sub"] for t in triggers.values() for a in t["Actions"]
                   if t["WorkflowName"]["Fn::Sub"].endswith(w)} for w in ("weekly-inference", "monthly-training")}
    assert started["weekly-inference"] and started["monthly-training"]
    assert not started["weekly-inference"] & started["monthly-training"]
    monthly_pre = res["PreprocessMonthlyJob"]["Properties"]
    weekly_pre = res["PreprocessJob"]["Properties"]
    assert monthly_pre["Command"] == weekly_pre["Command"]  # the same script, jobs/preprocess.py
    assert monthly_pre["DefaultArguments"] == weekly_pre["DefaultArguments"]
    assert body["Parameters"]["GlueVersion"]["Default"] == "5.1"


def test_policy_is_limited_to_the_project():
    policy = d.iam_policy(with_secret=True)
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    assert {a.split(":")[0] for a in actions} == {"s3", "glue", "logs", "cloudwatch", "secretsmanager"}
    for statement in policy["Statement"]:
        for resource in statement["Resource"]:
            if resource.startswith("arn:${AWS::Partition}:s3:::"):
                bucket_part = resource.split(":::", 1)[1]
                assert bucket_part in ("${DataBucket}", "${ArtifactsBucket}") or "/${" in bucket_part
            elif resource == "*":
                assert statement["Action"] == ["cloudwatch:PutMetricData"] and "Condition" in statement
    reads_s3 = [s for s in policy["Statement"] if "s3:GetObject" in s["Action"]]
    assert all(r.endswith("Prefix}/*") for s in reads_s3 for r in s["Resource"])
    # the jobs read the workflow run, and set its as_of once (vocspark.workflow), on the project's workflows only
    workflow_runs = {"glue:GetWorkflowRun", "glue:GetWorkflowRunProperties", "glue:PutWorkflowRunProperties"}
    (glue_statement,) = [s for s in policy["Statement"] if workflow_runs <= set(s["Action"])]
    assert all(r.endswith(("job/${NamePrefix}-*", "workflow/${NamePrefix}-*")) for r in glue_statement["Resource"])


def test_deployer_creates_every_job_workflow_and_trigger(glue_cfg, aws_env, monkeypatch, ready_models):
    ready_models(glue_cfg)
    done = aws.deploy_glue(glue_cfg, REGION)
    glue = boto3.client("glue", region_name=REGION)
    role = boto3.client("iam", region_name=REGION).get_role(RoleName="vocspark-glue")["Role"]
    role_policy = boto3.client("iam", region_name=REGION).get_role_policy(
        RoleName="vocspark-glue", PolicyName="vocspark-least-privilege")["PolicyDocument"]
    assert "arn:aws:s3:::my-voc-bucket/vocspark/*" in json.dumps(role_policy)
    secret_statement = next(s for s in role_policy["Statement"] if s["Sid"] == "WarehouseSecret")
    assert secret_statement["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:vocspark/warehouse-*"]  # conf/glue.yaml's secret only
    assert set(done["jobs"].values()) == {"created"} and len(done["jobs"]) == 10
    assert done["alerts"]["rule"] == "vocspark-glue-job-alerts"
    assert boto3.client("events", region_name=REGION).list_targets_by_rule(
        Rule="vocspark-glue-job-alerts")["Targets"][0]["Arn"] == done["alerts"]["topic"]

    template_body = template.build(glue_cfg)
    scripts = {"preprocess-monthly": "preprocess"}
    for name in ("ingest", "preprocess", "infer_topics", "infer_classifier", "user_mode", "load_warehouse",
                 "preprocess-monthly", "train_topics", "train_classifier", "promote"):
        job = glue.get_job(JobName=f"vocspark-{name}")["Job"]
        assert job["Role"] == role["Arn"] and job["GlueVersion"] == "5.1"
        script = scripts.get(name, name)
        assert job["Command"]["ScriptLocation"] == f"s3://my-voc-bucket/vocspark-artifacts/jobs/{script}.py"
        args = job["DefaultArguments"]
        assert args["--config"] == "glue.yaml"
        assert args["--extra-py-files"] == "s3://my-voc-bucket/vocspark-artifacts/python/vocspark.zip"
        assert args["--extra-files"].split(",")[0] == "s3://my-voc-bucket/vocspark-artifacts/conf/glue.yaml"
        shipped = [u.rsplit("/", 1)[1] for u in args["--extra-jars"].split(",")]
        assert any(j.startswith("spark-nlp_2.12-") for j in shipped) and any(j.startswith("postgresql-") for j in shipped)
        assert not any(j.startswith(("hadoop-aws", "aws-java-sdk-bundle")) for j in shipped)
        assert job["NumberOfWorkers"] == 10 and job["WorkerType"] == "G.1X"
        # the template holds the same definition, as Fn::Sub tokens
        cfn = template_body["Resources"][template.logical_id(name, "Job")]["Properties"]
        assert cfn["DefaultArguments"]["--config"] == args["--config"]
        assert d.render(cfn["Command"]["ScriptLocation"]["Fn::Sub"], d.parameters(glue_cfg)) == job["Command"]["ScriptLocation"]
    assert glue.get_job(JobName="vocspark-infer_topics")["Job"]["DefaultArguments"]["--mapping"] == \
        "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml"
    promote_args = glue.get_job(JobName="vocspark-promote")["Job"]["DefaultArguments"]
    assert (promote_args["--topic-model"], promote_args["--classifier"], promote_args["--mapping"]) == (
        "instagram", "product_category", "s3://my-voc-bucket/vocspark-artifacts/conf/topics/instagram.yaml")

    workflows = {w: glue.get_workflow(Name=w)["Workflow"] for w in ("vocspark-weekly-inference", "vocspark-monthly-training")}
    assert all(w["Name"] for w in workflows.values())

    def trigger(name):
        return glue.get_trigger(Name=f"vocspark-{name}")["Trigger"]

    start = trigger("weekly-start")
    assert (start["Type"], start["Schedule"], start["WorkflowName"]) == (
        "SCHEDULED", "cron(0 6 ? * MON *)", "vocspark-weekly-inference")
    assert [a["JobName"] for a in start["Actions"]] == ["vocspark-ingest"]
    chain = [("weekly-preprocess", ["vocspark-ingest"], ["vocspark-preprocess"]),
             ("weekly-infer", ["vocspark-preprocess"], ["vocspark-infer_topics", "vocspark-infer_classifier"]),
             ("weekly-user-mode", ["vocspark-infer_topics", "vocspark-infer_classifier"], ["vocspark-user_mode"]),
             ("weekly-load", ["vocspark-user_mode"], ["vocspark-load_warehouse"]),
             ("monthly-train", ["vocspark-preprocess-monthly"], ["vocspark-train_topics", "vocspark-train_classifier"]),
             ("monthly-promote", ["vocspark-train_topics", "vocspark-train_classifier"], ["vocspark-promote"])]
    for name, watched, started in chain:
        t = trigger(name)
        assert t["Type"] == "CONDITIONAL"
        assert [(c["JobName"], c["State"], c["LogicalOperator"]) for c in t["Predicate"]["Conditions"]] == [
            (j, "SUCCEEDED", "EQUALS") for j in watched]
        assert t["Predicate"]["Logical"] == ("AND" if len(watched) > 1 else "ANY")
        assert [a["JobName"] for a in t["Actions"]] == started
    assert start["Actions"][0]["Arguments"] == {"--last-days": "14"}  # ingest: the months the last 14 days touch
    assert trigger("weekly-preprocess")["Actions"][0]["Arguments"] == {"--last-days": "14"}
    assert trigger("weekly-infer")["Actions"][0]["Arguments"] == {"--last-days": "14"}
    assert trigger("weekly-load")["Actions"][0]["Arguments"] == {"--last-days": "14"}
    monthly = trigger("monthly-start")
    assert (monthly["Schedule"], monthly["WorkflowName"]) == ("cron(0 3 1 * ? *)", "vocspark-monthly-training")
    assert [a["JobName"] for a in monthly["Actions"]] == ["vocspark-preprocess-monthly"]
    assert len(glue.get_triggers()["Triggers"]) == 8

    # a second deployment updates in place (moto has no UpdateJob/UpdateTrigger: record the calls)
    calls = []
    real_client = aws._client

    def recording_client(service, region, session=None):
        client = real_client(service, region, session)
        if service == "glue":
            client.update_job = lambda **kw: calls.append(("job", kw["JobName"], kw["JobUpdate"]))
            client.update_trigger = lambda **kw: calls.append(("trigger", kw["Name"], kw["TriggerUpdate"]))
        return client

    monkeypatch.setattr(aws, "_client", recording_client)
    again = aws.deploy_glue(glue_cfg, REGION)
    assert set(again["jobs"].values()) == set(again["triggers"].values()) == {"updated"}
    assert len(glue.get_triggers()["Triggers"]) == 8 and len(glue.list_jobs()["JobNames"]) == 10
    job_update = next(c[2] for c in calls if c[:2] == ("job", "vocspark-ingest"))
    assert job_update["Command"]["ScriptLocation"] == "s3://my-voc-bucket/vocspark-artifacts/jobs/ingest.py"
    assert next(c[2] for c in calls if c[:2] == ("trigger", "vocspark-weekly-start"))["Schedule"] == "cron(0 6 ? * MON *)"


def test_emr_step_arguments_against_moto(aws_env):
    cfg = config.load(ROOT / "conf" / "emr.yaml", check_paths=False)
    emr = boto3.client("emr", region_name=REGION)
    cluster = emr.run_job_flow(Name="voc", ReleaseLabel="emr-7.9.0", Instances={
        "MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 3,
        "KeepJobFlowAliveWhenNoSteps": True}, JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole")["JobFlowId"]
    cfg["deploy"]["emr"]["cluster_id"] = cluster
    step = aws.emr_step(cfg, "user_mode", ["--as-of", "2021-07-01"], "emr.yaml")
    step_id = aws.submit_emr_step(cfg, step, REGION)
    got = emr.describe_step(ClusterId=cluster, StepId=step_id)["Step"]
    assert got["Config"]["Jar"] == "command-runner.jar" and got["ActionOnFailure"] == "CONTINUE"
    args = got["Config"]["Args"]
    art = "s3://my-voc-bucket/vocspark-artifacts"
    assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert args[args.index("--py-files") + 1] == f"{art}/python/vocspark.zip,{art}/python/vocspark-deps.zip"
    assert args[args.index("--files") + 1] == f"{art}/conf/emr.yaml"
    packages = args[args.index("--packages") + 1].split(",")
    assert f"com.johnsnowlabs.nlp:spark-nlp_2.12:{jars.SPARK_NLP_VERSION}" in packages
    assert not any("hadoop-aws" in p for p in packages)  # EMR serves s3:// with EMRFS
    assert f"spark.jars.excludes={jars.excludes_arg()}" in args
    assert args[-5:] == [f"{art}/jobs/user_mode.py", "--config", "emr.yaml", "--as-of", "2021-07-01"]


def test_missing_cluster_and_bad_artifacts_uri_fail_naming_the_key(glue_cfg):
    cfg = config.load(ROOT / "conf" / "emr.yaml", {"deploy.emr.cluster_id": None}, check_paths=False)
    with pytest.raises(ValueError, match=r"deploy\.emr\.cluster_id"):
        aws.submit_emr_step(cfg, {}, REGION)
    glue_cfg["deploy"]["artifacts_uri"] = "/tmp/not-s3"
    with pytest.raises(ValueError, match=r"deploy\.artifacts_uri.*/tmp/not-s3"):
        d.parameters(glue_cfg)


def test_workflow_models_come_from_config(glue_cfg):
    glue_cfg["deploy"]["topic_model"], glue_cfg["deploy"]["classifier"] = "tweets", "needs_support"
    res = template.build(glue_cfg)["Resources"]
    infer = res["InferTopicsJob"]["Properties"]["DefaultArguments"]
    assert infer["--model"] == "tweets"
    assert infer["--mapping"] == {"Fn::Sub": "s3://${ArtifactsBucket}/${ArtifactsPrefix}/conf/topics/tweets.yaml"}
    train = res["TrainClassifierJob"]["Properties"]["DefaultArguments"]
    assert (train["--model"], train["--classifier-config"]) == ("needs_support", "needs_support.yaml")
    assert train["--extra-files"]["Fn::Sub"].endswith("/conf/classifiers/needs_support.yaml")


def test_glue_python_modules_match_setup_pins():
    setup_text = (ROOT / "setup.py").read_text()
    for pin in d.GLUE_PYTHON_MODULES + d.EMR_PY_FILES_MODULES:
        assert f'"{pin}"' in setup_text, f"{pin} is not setup.py's pin"
    assert "snowballstemmer==3.1.1" in d.GLUE_PYTHON_MODULES and "snowballstemmer==3.1.1" in d.EMR_PY_FILES_MODULES


def test_deps_zip_makes_the_stemmers_importable_without_site_packages(tmp_path):
    """EMR's executors import snowballstemmer from the zip on --py-files: a Python without site-packages (-S)
    imports it from the zip alone and stems as the installed library does."""
    from vocspark.deploy.__main__ import build_deps_zip

    deps = build_deps_zip(tmp_path / "deps.zip")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import snowballstemmer; "
            "print(snowballstemmer.__file__); print(snowballstemmer.stemmer('portuguese').stemWord('devoluções'))")
    proc = subprocess.run([sys.executable, "-S", "-c", code, str(deps)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    origin, stem = proc.stdout.split()
    assert origin.startswith(str(deps)) and stem == "devolu"
    without = subprocess.run([sys.executable, "-S", "-c", "import snowballstemmer"], capture_output=True, timeout=60)
    assert without.returncode != 0  # the check above could fail: -S alone does not find it


def test_deps_zip_refuses_a_version_other_than_the_pin(tmp_path, monkeypatch):
    from vocspark.deploy.__main__ import build_deps_zip

    monkeypatch.setattr(d, "EMR_PY_FILES_MODULES", ("snowballstemmer==0.0.1",))
    with pytest.raises(RuntimeError, match=r"snowballstemmer 3\.1\.1 is installed, 0\.0\.1 is pinned"):
        build_deps_zip(tmp_path / "deps.zip")


def test_any_job_script_gets_a_glue_job(glue_cfg, aws_env):
    done = aws.deploy_glue(glue_cfg, REGION, job_names=["generate_demo_data"], with_workflows=False)
    assert done["jobs"] == {"vocspark-generate_demo_data": "created"}
    job = boto3.client("glue", region_name=REGION).get_job(JobName="vocspark-generate_demo_data")["Job"]
    assert job["DefaultArguments"]["--additional-python-modules"] == (
        "spark-nlp==5.5.3,matplotlib==3.9.4,snowballstemmer==3.1.1")
    with pytest.raises(ValueError, match="no job script jobs/nope.py"):
        aws.deploy_glue(glue_cfg, REGION, job_names=["nope"], with_workflows=False)
