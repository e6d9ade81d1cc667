"""The CloudFormation template (``deploy/cloudformation.json``) rendered from :mod:`vocspark.deploy.definitions`.

Regenerate it with ``python -m vocspark.deploy template --config conf/glue.yaml > deploy/cloudformation.json``;
``tests/deploy`` fails when the committed file and the definitions disagree, and runs cfn-lint on it.
"""
from __future__ import annotations

import json
import re
from typing import Any

from vocspark.deploy import definitions as d

PARAMETER_SPECS: dict[str, dict[str, Any]] = {
    "NamePrefix": {"Type": "String", "Description": "prefix of every Glue job, trigger and workflow name",
                   "AllowedPattern": "^[a-z][a-z0-9-]{0,30}$"},
    "DataBucket": {"Type": "String", "Description": "bucket of base_uri (the datasets)"},
    "DataPrefix": {"Type": "String", "Description": "prefix of base_uri inside DataBucket (no slashes at the ends)"},
    "ArtifactsBucket": {"Type": "String", "Description": "bucket of deploy.artifacts_uri (package, scripts, jars, config)"},
    "ArtifactsPrefix": {"Type": "String", "Description": "prefix of deploy.artifacts_uri"},
    "GlueVersion": {"Type": "String", "Description": "Glue version (Spark 3.5, Python 3.11)"},
    "WorkerType": {"Type": "String", "AllowedValues": ["G.1X", "G.2X", "G.4X", "G.8X"]},
    "NumberOfWorkers": {"Type": "Number", "MinValue": 2},
    "TimeoutMinutes": {"Type": "Number", "MinValue": 1},
    "WeeklySchedule": {"Type": "String", "Description": "cron() in UTC of the weekly inference workflow"},
    "MonthlySchedule": {"Type": "String", "Description": "cron() in UTC of the monthly training workflow"},
    "WarehouseSecretArn": {"Type": "String", "Description": "Secrets Manager ARN of the warehouse credentials ('' = none)"},
    "AlertsEmail": {"Type": "String", "Description": "e-mail address subscribed to the Glue job failure alerts ('' = none)"},
}


def logical_id(name: str, kind: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]", name) if part) + kind


def _cfn(obj: Any, secret_condition: bool = False) -> Any:
    """Definitions -> CloudFormation: strings with ``${...}`` become ``Fn::Sub``, :class:`Ref` becomes ``Ref``."""
    if isinstance(obj, d.Ref):
        return {"Ref": obj.name}
    if isinstance(obj, str):
        return {"Fn::Sub": obj} if d.TOKEN.search(obj) else obj
    if isinstance(obj, dict):
        return {k: _cfn(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_cfn(v) for v in obj]
    return obj


def build(cfg: dict) -> dict[str, Any]:
    values = d.parameters(cfg)
    params = {name: {**spec, "Default": values[name]} for name, spec in PARAMETER_SPECS.items()}
    resources: dict[str, Any] = {}
    policy = d.iam_policy(with_secret=False)
    secret_statement = d.iam_policy(with_secret=True)["Statement"][-1]
    policy_cfn = _cfn(policy)
    policy_cfn["Statement"].append({"Fn::If": ["HasWarehouseSecret", _cfn(secret_statement), {"Ref": "AWS::NoValue"}]})
    resources["GlueRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": {"Fn::Sub": "${NamePrefix}-glue"},
            "AssumeRolePolicyDocument": d.GLUE_TRUST_POLICY,
            "Policies": [{"PolicyName": "vocspark-least-privilege", "PolicyDocument": policy_cfn}],
        },
    }
    for job in d.jobs(cfg["deploy"]["topic_model"], cfg["deploy"]["classifier"]):
        resources[logical_id(job.name, "Job")] = {"Type": "AWS::Glue::Job", "Properties": _cfn(d.glue_job(job))}
    for name, description in d.WORKFLOWS.items():
        resources[logical_id(name, "Workflow")] = {
            "Type": "AWS::Glue::Workflow",
            "Properties": {"Name": {"Fn::Sub": f"${{NamePrefix}}-{name}"}, "Description": description,
                           "MaxConcurrentRuns": 1},
        }
    for trigger in d.triggers():
        props = _cfn(d.glue_trigger(trigger))
        depends = [logical_id(trigger.workflow, "Workflow")]
        depends += sorted({logical_id(a.job, "Job") for a in trigger.actions} | {logical_id(j, "Job") for j in trigger.watch})
        resources[logical_id(trigger.name, "Trigger")] = {"Type": "AWS::Glue::Trigger", "DependsOn": depends,
                                                          "Properties": props}
    resources.update(alert_resources())
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "VoC Spark on AWS Glue: jobs, weekly inference and monthly training workflows, failure alerts "
                       "(EventBridge -> SNS), least-privilege role. Generated from lib/vocspark/deploy/definitions.py: "
                       "do not edit by hand.",
        "Parameters": params,
        "Conditions": {"HasWarehouseSecret": {"Fn::Not": [{"Fn::Equals": [{"Ref": "WarehouseSecretArn"}, ""]}]},
                       "HasAlertsEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertsEmail"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "GlueRoleArn": {"Value": {"Fn::GetAtt": ["GlueRole", "Arn"]}},
            **{logical_id(n, "WorkflowName"): {"Value": {"Ref": logical_id(n, "Workflow")}} for n in d.WORKFLOWS},
            "AlertsTopicArn": {"Value": {"Ref": "AlertsTopic"}},
        },
    }


def alert_resources() -> dict[str, Any]:
    """SNS topic, its policy (only the project's rule publishes), the EventBridge rule and the optional e-mail
    subscription: the same definitions the deployer applies (:func:`vocspark.deploy.aws.ensure_alerts`)."""
    rule = _cfn(d.alert_rule())
    rule["Targets"] = [_cfn(d.alert_target())]
    return {
        "AlertsTopic": {"Type": "AWS::SNS::Topic",
                        "Properties": {"TopicName": _cfn(d.ALERTS_TOPIC), "DisplayName": "VoC Spark alerts"}},
        "AlertsTopicPolicy": {"Type": "AWS::SNS::TopicPolicy",
                              "Properties": {"Topics": [{"Ref": "AlertsTopic"}],
                                             "PolicyDocument": _cfn(d.alerts_topic_policy())}},
        "GlueJobAlertsRule": {"Type": "AWS::Events::Rule", "DependsOn": ["AlertsTopic"], "Properties": rule},
        "AlertsEmailSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasAlertsEmail",
                                    "Properties": {"TopicArn": {"Ref": "AlertsTopic"}, "Protocol": "email",
                                                   "Endpoint": {"Ref": "AlertsEmail"}}},
    }


def to_json(cfg: dict) -> str:
    return json.dumps(build(cfg), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
