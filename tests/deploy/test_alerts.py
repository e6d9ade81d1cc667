"""Failure alerts: an EventBridge rule on Glue job runs of the project's jobs ending FAILED / TIMEOUT / STOPPED
-> the SNS topic, in the template (cfn-lint: test_deploy.py) and applied by the deployer on moto: the rule's
pattern matches exactly those events, its target is the topic, only that rule may publish to it, and a message
published on it reaches a subscriber."""
from __future__ import annotations

import json

import pytest

from vocspark.deploy import aws, definitions as d, template

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:vocspark-alerts"


def glue_event(job: str, state: str) -> dict:
    """A "Glue Job State Change" event as EventBridge delivers it."""
    return {
        "version": "0", "id": "e1", "detail-type": "Glue Job State Change", "source": "aws.glue",
        "account": ACCOUNT, "time": "2021-07-05T07:12:00Z", "region": REGION, "resources": [],
        "detail": {"jobName": job, "severity": "ERROR", "state": state, "jobRunId": "jr_0123",
                   "message": "An error occurred while calling o97.save. Access Denied"},
    }


def route(pattern: str, cases: list[tuple[str, str]], transformer: dict | None = None) -> list[str]:
    """What EventBridge delivers for the (job, state) events of ``cases`` through a rule with ``pattern`` (and the
    target's ``transformer``), by moto's routing (moto has no TestEventPattern and does not deliver to SNS
    targets): the same pattern on a rule of a scratch bus whose target is an SQS queue; the bodies received."""
    events, sqs = boto3.client("events", region_name=REGION), boto3.client("sqs", region_name=REGION)
    bus = f"check-{len(events.list_event_buses()['EventBuses'])}"
    events.create_event_bus(Name=bus)
    queue_url = sqs.create_queue(QueueName=bus)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=bus, EventBusName=bus, EventPattern=pattern)
    target = {"Id": "q", "Arn": queue_arn, **({"InputTransformer": transformer} if transformer else {})}
    events.put_targets(Rule=bus, EventBusName=bus, Targets=[target])
    entries = [{"Source": e["source"], "DetailType": e["detail-type"], "Detail": json.dumps(e["detail"]),
                "EventBusName": bus} for e in (glue_event(job, state) for job, state in cases)]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return bodies
        for m in messages:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def test_template_holds_the_rule_topic_policy_and_optional_subscription(glue_cfg):
    glue_cfg["deploy"]["alerts_email"] = "ops@example.com"
    body = template.build(glue_cfg)
    res = body["Resources"]
    rule = res["GlueJobAlertsRule"]["Properties"]
    assert rule["EventPattern"]["source"] == ["aws.glue"]
    assert rule["EventPattern"]["detail-type"] == ["Glue Job State Change"]
    assert set(rule["EventPattern"]["detail"]["state"]) >= {"FAILED", "TIMEOUT"}
    assert rule["EventPattern"]["detail"]["jobName"] == [{"prefix": {"Fn::Sub": "${NamePrefix}-"}}]
    assert [t["Arn"] for t in rule["Targets"]] == [
        {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${NamePrefix}-alerts"}]
    assert res["AlertsTopic"]["Properties"]["TopicName"] == {"Fn::Sub": "${NamePrefix}-alerts"}
    statement = res["AlertsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert res["AlertsTopicPolicy"]["Properties"]["Topics"] == [{"Ref": "AlertsTopic"}]
    sub = res["AlertsEmailSubscription"]
    assert sub["Condition"] == "HasAlertsEmail" and sub["Properties"]["Protocol"] == "email"
    assert body["Parameters"]["AlertsEmail"]["Default"] == "ops@example.com"
    assert body["Conditions"]["HasAlertsEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlertsEmail"}, ""]}]}
    del glue_cfg["deploy"]["alerts_email"]  # configs without the key: no address, the subscription is off
    assert template.build(glue_cfg)["Parameters"]["AlertsEmail"]["Default"] == ""


def _values(cfg):
    return aws.values(cfg, f"arn:aws:iam::{ACCOUNT}:role/vocspark-glue", ACCOUNT, REGION)


def test_deployer_applies_the_alerts_on_moto(glue_cfg, aws_env):
    glue_cfg["deploy"]["alerts_email"] = "ops@example.com"
    done = aws.ensure_alerts(glue_cfg, _values(glue_cfg), REGION)
    assert done == {"topic": TOPIC_ARN, "rule": "vocspark-glue-job-alerts", "email": "subscribed (confirm from the mail)"}
    events, sns = boto3.client("events", region_name=REGION), boto3.client("sns", region_name=REGION)

    rule = events.describe_rule(Name="vocspark-glue-job-alerts")
    assert rule["State"] == "ENABLED"
    pattern = json.loads(rule["EventPattern"])
    assert pattern == {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"],
                       "detail": {"jobName": [{"prefix": "vocspark-"}], "state": ["FAILED", "TIMEOUT", "STOPPED"]}}
    cases = [("vocspark-ingest", "FAILED"), ("vocspark-promote", "TIMEOUT"), ("vocspark-preprocess-monthly", "STOPPED"),
             ("vocspark-ingest", "SUCCEEDED"), ("vocspark-ingest", "RUNNING"), ("other-ingest", "FAILED")]
    delivered = {(json.loads(b)["detail"]["jobName"], json.loads(b)["detail"]["state"])
                 for b in route(rule["EventPattern"], cases)}
    assert delivered == {("vocspark-ingest", "FAILED"), ("vocspark-promote", "TIMEOUT"),
                                                    ("vocspark-preprocess-monthly", "STOPPED")}

    targets = events.list_targets_by_rule(Rule="vocspark-glue-job-alerts")["Targets"]
    assert [t["Arn"] for t in targets] == [TOPIC_ARN]

    policy = json.loads(sns.get_topic_attributes(TopicArn=TOPIC_ARN)["Attributes"]["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"} and statement["Action"] == "sns:Publish"
    assert statement["Resource"] == TOPIC_ARN
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule["Arn"]}}  # the rule, as created

    subs = sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "ops@example.com")]

    # deploying again changes nothing: one topic, one target, one subscription
    again = aws.ensure_alerts(glue_cfg, _values(glue_cfg), REGION)
    assert again["email"] == "already subscribed"
    assert len(events.list_targets_by_rule(Rule="vocspark-glue-job-alerts")["Targets"]) == 1
    assert len(sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]) == 1
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [TOPIC_ARN]


def test_the_alert_message_reaches_a_subscriber(glue_cfg, aws_env):
    """The rule's input transformer turns the event into one line naming job, state, run and Glue's reason; a
    message published on the topic (as EventBridge does) reaches a subscriber (an SQS queue on moto)."""
    aws.ensure_alerts(glue_cfg, _values(glue_cfg), REGION)
    events, sns, sqs = (boto3.client(s, region_name=REGION) for s in ("events", "sns", "sqs"))
    pattern = events.describe_rule(Name="vocspark-glue-job-alerts")["EventPattern"]
    transformer = events.list_targets_by_rule(Rule="vocspark-glue-job-alerts")["Targets"][0]["InputTransformer"]
    (delivered,) = route(pattern, [("vocspark-load_warehouse", "FAILED")], transformer)
    message = json.loads(delivered)  # the template is a JSON string: SNS gets the text
    assert message.startswith("VoC Spark: Glue job vocspark-load_warehouse FAILED at ")
    assert message.endswith(" (run jr_0123): An error occurred while calling o97.save. Access Denied")

    queue_url = sqs.create_queue(QueueName="ops")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=TOPIC_ARN, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    sns.publish(TopicArn=TOPIC_ARN, Message=message)
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in received] == [message]


def test_deploy_glue_applies_the_alerts_with_the_workflows(glue_cfg, aws_env, ready_models, monkeypatch):
    calls = []
    monkeypatch.setattr(aws, "ensure_alerts", lambda cfg, vals, region, session=None: calls.append(region) or {"x": 1})
    ready_models(glue_cfg)
    done = aws.deploy_glue(glue_cfg, REGION, job_names=["ingest"], with_workflows=True)
    assert calls == [REGION] and done["alerts"] == {"x": 1}
    aws.deploy_glue(glue_cfg, REGION, job_names=["user_mode"], with_workflows=False)  # a single job: no alerts
    assert calls == [REGION]


def test_alert_states_cover_failure_and_timeout():
    assert {"FAILED", "TIMEOUT"} <= set(d.ALERT_STATES) and "SUCCEEDED" not in d.ALERT_STATES
