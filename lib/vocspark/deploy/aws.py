"""boto3 side of deployment: upload the artifacts, create or update the Glue jobs, workflows and triggers and the
failure alerts (EventBridge rule -> SNS topic), and submit EMR steps. Workflows are deployed only when the
scheduled models are ready (:mod:`vocspark.deploy.readiness`). Everything it creates comes from :mod:`vocspark.deploy.definitions` (the template renders the
same definitions).

boto3 finds credentials through the default provider chain and honours ``AWS_ENDPOINT_URL`` (the tests point it
at a local moto server); nothing here reads a credential from config.
"""
from __future__ import annotations

import json
import logging
import shlex
from pathlib import Path
from typing import Any, Sequence

from vocspark import __version__, jars
from vocspark.config import PROJECT_ROOT
from vocspark.deploy import definitions as d
from vocspark.deploy import readiness

log = logging.getLogger(__name__)


def _client(service: str, region: str, session=None):
    import boto3

    return (session or boto3).client(service, region_name=region)


# --------------------------------------------------------------------------- artifacts
def artifact_files(zip_path: Path, config_path: Path, job: str | None = None, glue: bool = False,
                   deps_zip: Path | None = None) -> dict[str, Path]:
    """S3 key (under the artifacts prefix) -> local file: the package, the job scripts, the config, the topic
    mappings and classifier configs present, for Glue the jars, and the pure-Python dependencies' zip when given
    (EMR's ``--py-files``)."""
    root = PROJECT_ROOT
    files = {d.PACKAGE_KEY: zip_path, f"conf/{config_path.name}": config_path}
    if deps_zip is not None:
        files[d.DEPS_KEY] = deps_zip
    scripts = [root / "jobs" / f"{job}.py"] if job else sorted((root / "jobs").glob("*.py"))
    files.update({f"jobs/{p.name}": p for p in scripts})
    for folder in ("topics", "classifiers"):
        files.update({f"conf/{folder}/{p.name}": p for p in sorted((root / "conf" / folder).glob("*.yaml"))})
    if glue:
        wanted = set(d.glue_extra_jars())
        files.update({f"jars/{Path(p).name}": Path(p) for p in jars.local_jars() if Path(p).name in wanted})
    missing = [str(p) for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"artifacts missing: {', '.join(missing)}")
    return files


def upload(files: dict[str, Path], artifacts_uri: str, region: str, session=None) -> list[str]:
    """Upload ``files`` under ``artifacts_uri``; fails fast naming the bucket when it does not exist."""
    bucket, prefix = d.split_s3(artifacts_uri, "deploy.artifacts_uri")
    s3 = _client("s3", region, session)
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as exc:
        raise RuntimeError(f"`deploy.artifacts_uri`: bucket {bucket!r} is not reachable: {exc}") from None
    out = []
    for key, path in files.items():
        full = f"{prefix}/{key}" if prefix else key
        s3.upload_file(str(path), bucket, full)
        out.append(f"s3://{bucket}/{full}")
    log.info("uploaded %d artifacts to s3://%s/%s", len(out), bucket, prefix)
    return out


# --------------------------------------------------------------------------- Glue
def values(cfg: dict, role_arn: str, account: str, region: str) -> dict[str, Any]:
    vals = d.parameters(cfg)
    secret = cfg.get("warehouse", {}).get("secret_id") or ""
    if secret and not secret.startswith("arn:"):  # a secret name: its ARN ends with a random 6-character suffix
        secret = f"arn:aws:secretsmanager:{region}:{account}:secret:{secret}-*"
    vals.update({"GlueRole.Arn": role_arn, "AWS::Region": region, "AWS::AccountId": account,
                 "AWS::Partition": "aws", "WarehouseSecretArn": secret})
    return vals


def ensure_role(cfg: dict, region: str, session=None) -> str:
    """``deploy.glue.role_arn``, or the role ``<prefix>-glue`` with the least-privilege policy (created or
    its policy replaced)."""
    if cfg["deploy"]["glue"]["role_arn"]:
        return cfg["deploy"]["glue"]["role_arn"]
    iam = _client("iam", region, session)
    name = f"{cfg['deploy']['name_prefix']}-glue"
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(d.GLUE_TRUST_POLICY))["Role"]["Arn"]
    account = arn.split(":")[4]
    policy = d.render(d.iam_policy(with_secret=bool(cfg.get("warehouse", {}).get("secret_id"))),
                      values(cfg, arn, account, region))
    iam.put_role_policy(RoleName=name, PolicyName="vocspark-least-privilege", PolicyDocument=json.dumps(policy))
    return arn


def _job_request(job_def: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation job properties -> CreateJob/UpdateJob fields (the same names, except the Timeout type)."""
    return {k: v for k, v in job_def.items() if k != "Name"}


def upsert_job(glue, job_def: dict[str, Any]) -> str:
    name = job_def["Name"]
    try:
        glue.get_job(JobName=name)
    except glue.exceptions.EntityNotFoundException:
        glue.create_job(Name=name, **_job_request(job_def))
        return "created"
    glue.update_job(JobName=name, JobUpdate=_job_request(job_def))
    return "updated"


def upsert_trigger(glue, trig: dict[str, Any]) -> str:
    name = trig["Name"]
    try:
        glue.get_trigger(Name=name)
    except glue.exceptions.EntityNotFoundException:
        glue.create_trigger(**trig)
        return "created"
    update = {k: v for k, v in trig.items() if k in ("Schedule", "Actions", "Predicate", "Description")}
    glue.update_trigger(Name=name, TriggerUpdate=update)
    return "updated"


def deployed_mapping_uri(cfg: dict) -> str:
    """The topic mapping the scheduled jobs read: ``<artifacts>/conf/topics/<topic_model>.yaml``."""
    return d.render(d.topic_mapping_uri(cfg["deploy"]["topic_model"]), d.parameters(cfg))


def mapping_to_deploy(cfg: dict) -> str:
    """The mapping the workflows will read once the artifacts are uploaded: the checkout's
    ``conf/topics/<model>.yaml`` when present (it is uploaded), else the one already deployed."""
    local = PROJECT_ROOT / d.topic_mapping_key(cfg["deploy"]["topic_model"])
    return str(local) if local.is_file() else deployed_mapping_uri(cfg)


def check_scheduled_models(cfg: dict, region: str | None = None, session=None,
                           mapping_uri: str | None = None) -> dict[str, str]:
    """:func:`vocspark.deploy.readiness.check_scheduled_models` through boto3 (S3) or the local file system;
    ``mapping_uri`` defaults to the deployed mapping."""
    read = readiness.reader(region or cfg["deploy"]["region"], session)
    return readiness.check_scheduled_models(cfg, mapping_uri or deployed_mapping_uri(cfg), read)


def ensure_alerts(cfg: dict, vals: dict[str, Any], region: str, session=None) -> dict[str, Any]:
    """The SNS topic (created or found), its policy, the EventBridge rule and its target (put: created or
    replaced), and the e-mail subscription of ``deploy.alerts_email`` when set and not subscribed yet (SNS
    sends a confirmation mail; an address removed from config stays subscribed until unsubscribed)."""
    sns, events = _client("sns", region, session), _client("events", region, session)
    topic_arn = sns.create_topic(Name=d.render(d.ALERTS_TOPIC, vals))["TopicArn"]  # idempotent
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy",
                             AttributeValue=json.dumps(d.render(d.alerts_topic_policy(), vals)))
    rule = d.render(d.alert_rule(), vals)
    events.put_rule(Name=rule["Name"], EventPattern=json.dumps(rule["EventPattern"]), State=rule["State"],
                    Description=rule["Description"])
    target = {**d.render(d.alert_target(), vals), "Arn": topic_arn}
    events.put_targets(Rule=rule["Name"], Targets=[target])
    out: dict[str, Any] = {"topic": topic_arn, "rule": rule["Name"], "email": None}
    email = d.alerts_email(cfg)
    if email:
        subscribed = any(s["Protocol"] == "email" and s["Endpoint"] == email
                         for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"])
        if not subscribed:
            sns.subscribe(TopicArn=topic_arn, Protocol="email", Endpoint=email)
        out["email"] = "already subscribed" if subscribed else "subscribed (confirm from the mail)"
    return out


def deploy_glue(cfg: dict, region: str | None = None, session=None, job_names: Sequence[str] | None = None,
                with_workflows: bool = True) -> dict[str, Any]:
    """Create or update the Glue jobs (all, or ``job_names``) and, with ``with_workflows``, both workflows, their
    triggers and the failure alerts: only when the scheduled models are ready (:func:`check_scheduled_models`
    on the deployed mapping; :class:`vocspark.deploy.readiness.DeployRefused` before anything is created
    otherwise). Returns what was done per resource."""
    region = region or cfg["deploy"]["region"]
    if with_workflows:
        check_scheduled_models(cfg, region, session)
    role_arn = ensure_role(cfg, region, session)
    account = role_arn.split(":")[4]
    vals = values(cfg, role_arn, account, region)
    glue = _client("glue", region, session)
    done: dict[str, Any] = {"jobs": {}, "workflows": {}, "triggers": {}}
    models = (cfg["deploy"]["topic_model"], cfg["deploy"]["classifier"])
    for name in job_names or [j.name for j in d.jobs(*models)]:
        job = d.job_for(name, *models)
        if not (PROJECT_ROOT / "jobs" / f"{job.script_name}.py").is_file():
            raise ValueError(f"no job script jobs/{job.script_name}.py")
        job_def = d.render(d.glue_job(job), vals)
        done["jobs"][job_def["Name"]] = upsert_job(glue, job_def)
    if with_workflows:
        for name, description in d.WORKFLOWS.items():
            full = d.render(f"${{NamePrefix}}-{name}", vals)
            try:
                glue.get_workflow(Name=full)
                glue.update_workflow(Name=full, Description=description, MaxConcurrentRuns=1)
                done["workflows"][full] = "updated"
            except glue.exceptions.EntityNotFoundException:
                glue.create_workflow(Name=full, Description=description, MaxConcurrentRuns=1)
                done["workflows"][full] = "created"
        for trigger in d.triggers():
            trig = d.render(d.glue_trigger(trigger), vals)
            done["triggers"][trig["Name"]] = upsert_trigger(glue, trig)
        done["alerts"] = ensure_alerts(cfg, vals, region, session)
    log.info("glue deployment: %s", json.dumps(done))
    return done


# --------------------------------------------------------------------------- EMR
def emr_step(cfg: dict, job: str, job_args: Sequence[str], config_name: str) -> dict[str, Any]:
    """An EMR step running ``jobs/<job>.py`` with spark-submit through ``command-runner.jar``: the package and
    the zip of its pure-Python dependencies (``d.EMR_PY_FILES_MODULES``) on ``--py-files``, the config on
    ``--files`` (read by the driver from its working directory), the JVM dependencies with ``--packages`` (EMR's
    own EMRFS serves s3://, so hadoop-aws is not added)."""
    art = d.render(d.artifacts_uri(), d.parameters(cfg))
    packages = ",".join(a.coordinate for a in jars.JARS if a.artifact not in d.S3A_ARTIFACTS)
    args = [
        "spark-submit", "--deploy-mode", cfg["deploy"]["emr"]["deploy_mode"],
        "--name", f"vocspark-{job}",
        "--packages", packages,
        "--conf", f"spark.jars.excludes={jars.excludes_arg()}",
        "--conf", "spark.sql.sources.partitionOverwriteMode=dynamic",
        "--conf", "spark.sql.session.timeZone=UTC",
        "--py-files", f"{art}/{d.PACKAGE_KEY},{art}/{d.DEPS_KEY}",
        "--files", f"{art}/conf/{config_name}",
        f"{art}/jobs/{job}.py",
        "--config", config_name,
        *job_args,
    ]
    return {
        "Name": f"vocspark {job} {__version__}: {shlex.join(job_args)}"[:256],
        "ActionOnFailure": cfg["deploy"]["emr"]["action_on_failure"],
        "HadoopJarStep": {"Jar": "command-runner.jar", "Args": args},
    }


def submit_emr_step(cfg: dict, step: dict[str, Any], region: str | None = None, session=None) -> str:
    cluster = cfg["deploy"]["emr"]["cluster_id"]
    if not cluster:
        raise ValueError("missing required key `deploy.emr.cluster_id` (the EMR cluster to add the step to)")
    emr = _client("emr", region or cfg["deploy"]["region"], session)
    step_id = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[step])["StepIds"][0]
    log.info("EMR step %s added to %s", step_id, cluster)
    return step_id
