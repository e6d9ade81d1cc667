"""The one source of what is deployed: Glue jobs, the two Glue workflows with their triggers, the failure alerts
(EventBridge rule -> SNS topic), the IAM policy and the artifacts' S3 layout. The CloudFormation template (:mod:`vocspark.deploy.template`) and the boto3 deployer
(:mod:`vocspark.deploy.aws`) both render these same definitions.

Values that differ per deployment are written as CloudFormation ``${Name}`` tokens (``${ArtifactsBucket}``,
``${AWS::Region}``, ``${GlueRole.Arn}``...) or :class:`Ref` markers for non-string values. The template keeps
them as ``Fn::Sub`` / ``Ref``; the deployer replaces them with the values from config (:func:`render`).

Workflows (all times UTC):

- weekly inference: SCHEDULED (``deploy.glue.weekly_schedule``) -> ingest; then CONDITIONAL triggers on
  SUCCEEDED: ingest -> preprocess -> infer_topics + infer_classifier (both) -> user_mode -> load_warehouse.
  ingest, preprocess, infer_topics, infer_classifier and load_warehouse work on the whole months the last 14
  days touch (``--last-days 14``: a week's data plus a week of late deliveries, so a record delivered up to 7 days
  after its month ended is still written and scored by the weekly run); user_mode and load_warehouse's subjects
  are as of the run day.
- monthly training: SCHEDULED (``deploy.glue.monthly_schedule``) -> preprocess-monthly (its own Glue job running
  jobs/preprocess.py, so a monthly run overlapping a weekly one cannot fail it on the job's one concurrent run)
  -> train_topics + train_classifier (both write a candidate) -> promote (when both SUCCEEDED: each candidate
  becomes champion only when its gate passes).

Every job of a workflow run works as of the same day: the workflow run property ``as_of``, set once by the first
job from the run's start time (:mod:`vocspark.workflow`).

Alerts: an EventBridge rule on ``aws.glue`` "Glue Job State Change" with a state in :data:`ALERT_STATES` for the
project's jobs (names starting with ``${NamePrefix}-``) publishes to the SNS topic ``${NamePrefix}-alerts``; an
e-mail address (config ``deploy.alerts_email``, optional) is subscribed to it.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from vocspark import jars

# Glue reaches S3 through its own (EMRFS) file system: hadoop-aws and its SDK bundle are not shipped there.
S3A_ARTIFACTS = {"hadoop-aws", "aws-java-sdk-bundle"}
# Python packages of setup.py's RUNTIME that the Glue 5.1 runtime does not provide (pip-installed by Glue at start;
# tests/deploy checks the pins against setup.py): spark-nlp (preprocess engine sparknlp), matplotlib (report),
# snowballstemmer (text.stem, imported by every preprocess engine).
GLUE_PYTHON_MODULES = (f"spark-nlp=={jars.SPARK_NLP_VERSION}", "matplotlib==3.9.4", "snowballstemmer==3.1.1")
# Pure-Python packages of setup.py's RUNTIME shipped to EMR as one zip on --py-files next to the package (so no
# bootstrap action is needed for them; pins checked against setup.py and against the installed version when the
# zip is built): snowballstemmer (text.stem).
EMR_PY_FILES_MODULES = ("snowballstemmer==3.1.1",)
PACKAGE_KEY = "python/vocspark.zip"  # the package zip (spark-submit.sh builds dist/vocspark-<version>.zip)
DEPS_KEY = "python/vocspark-deps.zip"  # EMR_PY_FILES_MODULES as installed (deploy's build_deps_zip)
LAST_DAYS = "14"  # one week of data + one week of late deliveries (see the module docstring)
ALERT_STATES = ("FAILED", "TIMEOUT", "STOPPED")  # Glue job run states that notify (SUCCEEDED does not)


@dataclass(frozen=True)
class Ref:
    """A non-string parameter (template: ``{"Ref": name}``; deployer: the value)."""

    name: str


@dataclass(frozen=True)
class Job:
    name: str  # the Glue job is ${NamePrefix}-<name>; unique
    args: dict[str, str] = field(default_factory=dict)  # job defaults on top of the common ones
    extra_files: tuple[str, ...] = ()  # keys under the artifacts prefix, copied next to the script
    script: str | None = None  # jobs/<script>.py (default: the name)

    @property
    def script_name(self) -> str:
        return self.script or self.name


@dataclass(frozen=True)
class Action:
    job: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    name: str  # suffix after "${NamePrefix}-"
    workflow: str
    kind: str  # SCHEDULED | CONDITIONAL
    actions: tuple[Action, ...]
    schedule: str | None = None  # a ${Parameter} token
    watch: tuple[str, ...] = ()  # jobs that must all have SUCCEEDED (CONDITIONAL)


def job_for(name: str, topic_model: str = "instagram", classifier: str = "product_category") -> Job:
    """The workflow definition of ``name``, or a plain job (defaults only) for any other ``jobs/<name>.py``."""
    known = {j.name: j for j in jobs(topic_model, classifier)}
    return known.get(name) or Job(name)


def topic_mapping_key(model: str) -> str:
    return f"conf/topics/{model}.yaml"


def topic_mapping_uri(model: str) -> str:
    """Where the scheduled jobs read the analyst's mapping of ``model`` (the deployed conf/topics/<model>.yaml)."""
    return f"{artifacts_uri()}/{topic_mapping_key(model)}"


def jobs(topic_model: str = "instagram", classifier: str = "product_category") -> list[Job]:
    """Every Glue job of the workflows (names unique; one Glue job per workflow step, so the workflows never
    compete for one job's concurrent run)."""
    mapping = topic_mapping_uri(topic_model)
    return [
        Job("ingest"),
        Job("preprocess"),
        Job("infer_topics", {"--model": topic_model, "--mapping": mapping}),
        Job("infer_classifier", {"--model": classifier}),
        Job("user_mode"),
        Job("load_warehouse"),
        Job("preprocess-monthly", script="preprocess"),
        Job("train_topics", {"--model": topic_model}),
        Job("train_classifier", {"--model": classifier, "--classifier-config": f"{classifier}.yaml"},
            (f"conf/classifiers/{classifier}.yaml",)),
        # one run gates both candidates (Glue keeps one value per argument, and one job cannot run twice at once)
        Job("promote", {"--topic-model": topic_model, "--mapping": mapping, "--classifier": classifier}),
    ]


def triggers() -> list[Trigger]:
    weekly, monthly = "weekly-inference", "monthly-training"
    last = {"--last-days": LAST_DAYS}
    return [
        Trigger("weekly-start", weekly, "SCHEDULED", (Action("ingest", last),), schedule="${WeeklySchedule}"),
        Trigger("weekly-preprocess", weekly, "CONDITIONAL", (Action("preprocess", last),), watch=("ingest",)),
        Trigger("weekly-infer", weekly, "CONDITIONAL", (Action("infer_topics", last), Action("infer_classifier", last)),
                watch=("preprocess",)),
        Trigger("weekly-user-mode", weekly, "CONDITIONAL", (Action("user_mode"),),
                watch=("infer_topics", "infer_classifier")),
        Trigger("weekly-load", weekly, "CONDITIONAL", (Action("load_warehouse", last),), watch=("user_mode",)),
        Trigger("monthly-start", monthly, "SCHEDULED", (Action("preprocess-monthly"),), schedule="${MonthlySchedule}"),
        Trigger("monthly-train", monthly, "CONDITIONAL", (Action("train_topics"), Action("train_classifier")),
                watch=("preprocess-monthly",)),
        Trigger("monthly-promote", monthly, "CONDITIONAL", (Action("promote"),),
                watch=("train_topics", "train_classifier")),
    ]


WORKFLOWS = {
    "weekly-inference": "Weekly: ingest the new raw data, preprocess, score topics and classifiers, user subjects, warehouse",
    "monthly-training": "Monthly: preprocess, retrain the topic model and the classifier as candidates, promote "
                        "the candidates whose gate passes",
}


def glue_extra_jars() -> list[str]:
    """Jar file names shipped to Glue with ``--extra-jars`` (the fetched cache minus the S3A ones)."""
    names = [p.rsplit("/", 1)[-1] for p in jars.local_jars()]
    return [n for n in names if not any(n.startswith(f"{a}-") for a in S3A_ARTIFACTS)]


def artifacts_uri() -> str:
    return "s3://${ArtifactsBucket}/${ArtifactsPrefix}"


def glue_job(job: Job) -> dict[str, Any]:
    """The Glue job definition (CloudFormation ``AWS::Glue::Job`` property names; the deployer maps them)."""
    art = artifacts_uri()
    extra_files = [f"{art}/conf/glue.yaml", *[f"{art}/{key}" for key in job.extra_files]]
    args = {
        "--config": "glue.yaml",  # --extra-files copies it into the script's working directory
        "--extra-files": ",".join(extra_files),
        "--extra-py-files": f"{art}/{PACKAGE_KEY}",
        "--extra-jars": ",".join(f"{art}/jars/{name}" for name in glue_extra_jars()),
        "--additional-python-modules": ",".join(GLUE_PYTHON_MODULES),
        "--TempDir": f"{art}/tmp/",
        "--job-language": "python",
        "--enable-continuous-cloudwatch-log": "true",
        "--enable-metrics": "true",
        **job.args,
    }
    return {
        "Name": f"${{NamePrefix}}-{job.name}",
        "Description": f"VoC Spark {job.name} (jobs/{job.script_name}.py)",
        "Role": "${GlueRole.Arn}",
        "GlueVersion": "${GlueVersion}",
        "Command": {"Name": "glueetl", "ScriptLocation": f"{art}/jobs/{job.script_name}.py", "PythonVersion": "3"},
        "DefaultArguments": args,
        "WorkerType": "${WorkerType}",
        "NumberOfWorkers": Ref("NumberOfWorkers"),
        "Timeout": Ref("TimeoutMinutes"),
        "MaxRetries": 0,
        "ExecutionProperty": {"MaxConcurrentRuns": 1},
    }


def glue_trigger(trigger: Trigger) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Name": f"${{NamePrefix}}-{trigger.name}",
        "WorkflowName": f"${{NamePrefix}}-{trigger.workflow}",
        "Type": trigger.kind,
        "StartOnCreation": True,
        "Actions": [
            {"JobName": f"${{NamePrefix}}-{a.job}", **({"Arguments": dict(a.args)} if a.args else {})}
            for a in trigger.actions
        ],
    }
    if trigger.schedule:
        out["Schedule"] = trigger.schedule
    if trigger.watch:
        out["Predicate"] = {
            "Logical": "AND" if len(trigger.watch) > 1 else "ANY",
            "Conditions": [
                {"LogicalOperator": "EQUALS", "JobName": f"${{NamePrefix}}-{j}", "State": "SUCCEEDED"}
                for j in trigger.watch
            ],
        }
    return out


def iam_policy(with_secret: bool) -> dict[str, Any]:
    """Least privilege for the Glue jobs: the project's data and artifacts prefixes, its own Glue jobs, its
    CloudWatch log groups and metrics, and (when set) the warehouse secret."""
    data = "arn:${AWS::Partition}:s3:::${DataBucket}"
    art = "arn:${AWS::Partition}:s3:::${ArtifactsBucket}"
    statements: list[dict[str, Any]] = [
        {"Sid": "ListProjectPrefixes", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
         "Resource": [data], "Condition": {"StringLike": {"s3:prefix": ["${DataPrefix}", "${DataPrefix}/*"]}}},
        {"Sid": "ListArtifacts", "Effect": "Allow", "Action": ["s3:ListBucket"],
         "Resource": [art], "Condition": {"StringLike": {"s3:prefix": ["${ArtifactsPrefix}", "${ArtifactsPrefix}/*"]}}},
        {"Sid": "ReadWriteData", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts"],
         "Resource": [f"{data}/${{DataPrefix}}/*"]},
        {"Sid": "ReadArtifacts", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{art}/${{ArtifactsPrefix}}/*"]},
        {"Sid": "GlueTempDir", "Effect": "Allow", "Action": ["s3:PutObject", "s3:DeleteObject"],
         "Resource": [f"{art}/${{ArtifactsPrefix}}/tmp/*"]},
        {"Sid": "OwnGlueJobs", "Effect": "Allow",
         "Action": ["glue:GetJob", "glue:GetJobRun", "glue:GetJobBookmark", "glue:GetWorkflowRun",
                    "glue:GetWorkflowRunProperties", "glue:PutWorkflowRunProperties"],
         "Resource": ["arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:job/${NamePrefix}-*",
                      "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:workflow/${NamePrefix}-*"]},
        {"Sid": "GlueLogs", "Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": ["arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws-glue/*"]},
        {"Sid": "GlueMetrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": ["*"],
         "Condition": {"StringEquals": {"cloudwatch:namespace": "Glue"}}},
    ]
    if with_secret:
        statements.append({"Sid": "WarehouseSecret", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": ["${WarehouseSecretArn}"]})
    return {"Version": "2012-10-17", "Statement": statements}


# --------------------------------------------------------------------------- failure alerts
ALERTS_TOPIC = "${NamePrefix}-alerts"
ALERTS_RULE = "${NamePrefix}-glue-job-alerts"
ALERTS_TOPIC_ARN = f"arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{ALERTS_TOPIC}"
ALERTS_RULE_ARN = f"arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{ALERTS_RULE}"


def alert_event_pattern() -> dict[str, Any]:
    """Glue job runs of the project's jobs (``${NamePrefix}-*``) ending in one of :data:`ALERT_STATES`."""
    return {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": [{"prefix": "${NamePrefix}-"}], "state": list(ALERT_STATES)},
    }


def alert_rule() -> dict[str, Any]:
    """The EventBridge rule (``AWS::Events::Rule`` property names; the deployer maps them to PutRule)."""
    return {
        "Name": ALERTS_RULE,
        "Description": f"VoC Spark: a Glue job run {'/'.join(ALERT_STATES)} -> SNS {ALERTS_TOPIC}",
        "EventPattern": alert_event_pattern(),
        "State": "ENABLED",
    }


def alert_target() -> dict[str, Any]:
    """The rule's one target: the topic, with a one-line message naming the job, state, run and Glue's reason."""
    return {
        "Id": "alerts-topic",
        "Arn": ALERTS_TOPIC_ARN,
        "InputTransformer": {
            "InputPathsMap": {"job": "$.detail.jobName", "state": "$.detail.state", "run": "$.detail.jobRunId",
                              "message": "$.detail.message", "time": "$.time"},
            "InputTemplate": '"VoC Spark: Glue job <job> <state> at <time> (run <run>): <message>"',
        },
    }


def alerts_topic_policy() -> dict[str, Any]:
    """Only the project's rule may publish to the topic (through EventBridge)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "GlueJobAlertsRulePublishes", "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"}, "Action": "sns:Publish", "Resource": ALERTS_TOPIC_ARN,
            "Condition": {"ArnEquals": {"aws:SourceArn": ALERTS_RULE_ARN}},
        }],
    }


GLUE_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


# --------------------------------------------------------------------------- parameters and rendering
def split_s3(uri: str, key: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix); an error naming the config key otherwise."""
    parsed = urlparse(uri or "")
    if parsed.scheme not in ("s3", "s3a") or not parsed.netloc:
        raise ValueError(f"`{key}` must be an s3://bucket/prefix URI, got {uri!r}")
    return parsed.netloc, parsed.path.strip("/")


def parameters(cfg: dict) -> dict[str, Any]:
    """Parameter values from a config (the template's defaults; the deployer's values)."""
    dep = cfg["deploy"]
    data_bucket, data_prefix = split_s3(cfg["base_uri"], "base_uri")
    art_bucket, art_prefix = split_s3(dep["artifacts_uri"] or "", "deploy.artifacts_uri")
    return {
        "NamePrefix": dep["name_prefix"],
        "DataBucket": data_bucket,
        "DataPrefix": data_prefix,
        "ArtifactsBucket": art_bucket,
        "ArtifactsPrefix": art_prefix,
        "GlueVersion": dep["glue"]["version"],
        "WorkerType": dep["glue"]["worker_type"],
        "NumberOfWorkers": dep["glue"]["workers"],
        "TimeoutMinutes": dep["glue"]["timeout_minutes"],
        "WeeklySchedule": dep["glue"]["weekly_schedule"],
        "MonthlySchedule": dep["glue"]["monthly_schedule"],
        "WarehouseSecretArn": "",
        "AlertsEmail": alerts_email(cfg),
    }


def alerts_email(cfg: dict) -> str:
    """``deploy.alerts_email`` ('' when unset; read defensively: older configs do not have the key)."""
    return str((cfg.get("deploy") or {}).get("alerts_email") or "")


TOKEN = re.compile(r"\$\{([A-Za-z0-9:.]+)\}")


def render(obj: Any, values: dict[str, Any]) -> Any:
    """Replace ``${Name}`` tokens and :class:`Ref` markers with ``values`` (an unknown name is an error)."""
    if isinstance(obj, Ref):
        return values[obj.name]
    if isinstance(obj, str):
        def sub(match: re.Match) -> str:
            if match.group(1) not in values:
                raise KeyError(f"no value for ${{{match.group(1)}}}")
            return str(values[match.group(1)])
        return TOKEN.sub(sub, obj)
    if isinstance(obj, dict):
        return {k: render(v, values) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [render(v, values) for v in obj]
    return copy.deepcopy(obj)
