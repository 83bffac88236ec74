"""infra/template.py: the stage templates lint, deploy into moto and match the pynamodb models.

moto's CloudFormation builds the tables, queues and bucket but ignores TTL, point-in-time
recovery and the bucket's public-access block, and has no Secrets Manager or SES resources
(TOOLCHAIN.md): those are checked by reading the template.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any
from unittest import mock

import pytest

import chalicelib.models as models_package
from chalicelib.models import TABLE_MODELS
from devstack.stages import stage_environment, stage_names
from infra.template import (
    MAX_RECEIVE_COUNT,
    TTL_ATTRIBUTE,
    VISIBILITY_TIMEOUT_SECONDS,
    build_template,
    main,
    render,
    stage_settings,
    table_logical_id,
)

STAGES = stage_names()
REGION = "us-east-1"
# What moto 5.2's CloudFormation skips (with a warning) instead of creating.
MOTO_UNSUPPORTED = {"AWS::SecretsManager::Secret", "AWS::SES::EmailIdentity"}


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template["Resources"].items() if res["Type"] == kind}


def _hash_first(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted((dict(key) for key in keys), key=lambda key: key["KeyType"] != "HASH")


def _attr_set(definitions: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(d["AttributeName"], d["AttributeType"]) for d in definitions}


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, tuple]:
    """Index name → (key schema, projection type, non-key attributes), from either shape."""
    result = {}
    for index in indexes:
        name = index.get("IndexName") or index["index_name"]
        keys = index.get("KeySchema") or index["key_schema"]
        projection = index.get("Projection") or index["projection"]
        result[name] = (
            _hash_first(keys),
            projection["ProjectionType"],
            sorted(projection.get("NonKeyAttributes", [])),
        )
    return result


def _all_models() -> list[Any]:
    from pynamodb.models import Model

    exported = (getattr(models_package, name) for name in models_package.__all__)
    return [obj for obj in exported if isinstance(obj, type) and issubclass(obj, Model)]


# (1) cfn-lint -------------------------------------------------------------------------------


def test_templates_pass_cfn_lint(tmp_path):
    """Every stage's template, in one cfn-lint run (loading the rules is the slow part)."""
    from cfnlint.api import lint_by_config

    paths = []
    for stage in STAGES:
        paths.append(tmp_path / f"{stage}.json")
        paths[-1].write_text(render(build_template(stage)))
    matches = lint_by_config({"templates": [str(p) for p in paths], "regions": [REGION]})
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert not errors, "\n".join(repr(m) for m in errors)
    for match in matches:  # warnings don't fail the build but show in pytest's summary
        warnings.warn(f"cfn-lint: {match!r}", stacklevel=1)


# (2) moto's CloudFormation ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_stack():
    """The dev template deployed into moto once for this module's deployment tests:
    (template, stack outputs, resource types moto skipped)."""
    import boto3
    from moto import mock_aws

    template = build_template("dev")
    with mock_aws(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName="practice-sso-dev", TemplateBody=render(template))
        stack = cloudformation.describe_stacks(StackName="practice-sso-dev")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        skipped = {
            kind
            for w in caught
            for kind in {r["Type"] for r in template["Resources"].values()}
            if f"parse {kind} but it's not supported" in str(w.message)
        }
        yield template, outputs, skipped


def test_moto_only_skips_what_it_cannot_model(dev_stack):
    _template, _outputs, skipped = dev_stack
    assert skipped <= MOTO_UNSUPPORTED


def test_deployed_tables_match_the_pynamodb_models(dev_stack):
    import boto3

    _template, outputs, _skipped = dev_stack
    cfg = stage_settings("dev")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for model in TABLE_MODELS:
        name = cfg.table_name(model.Meta.base_name)
        assert outputs[f"{table_logical_id(model)}Name"] == name
        table = dynamodb.describe_table(TableName=name)["Table"]
        expected = model._get_schema()
        assert table["KeySchema"] == _hash_first(expected["key_schema"]), name
        assert _attr_set(table["AttributeDefinitions"]) == _attr_set(
            expected["attribute_definitions"]
        ), name
        assert _indexes(table.get("GlobalSecondaryIndexes", [])) == _indexes(
            expected["global_secondary_indexes"]
        ), name
        assert _indexes(table.get("LocalSecondaryIndexes", [])) == _indexes(
            expected["local_secondary_indexes"]
        ), name
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"

    # And the models, configured as dev, name only tables the stack created (shared ones too).
    created = set(dynamodb.list_tables()["TableNames"])
    with mock.patch.dict(os.environ, stage_environment("dev")):
        used = {model.__name__: model.Meta.table_name for model in _all_models()}
    assert {name: table for name, table in used.items() if table not in created} == {}


def test_deployed_queue_redrives_to_the_dead_letter_queue(dev_stack):
    import boto3

    _template, outputs, _skipped = dev_stack
    cfg = stage_settings("dev")
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=cfg.activation_queue)["QueueUrl"]
    assert outputs["ActivationQueueUrl"] == url
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert outputs["ActivationQueueArn"] == attributes["QueueArn"]
    dlq_url = sqs.get_queue_url(QueueName=f"{cfg.activation_queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq_arn
    assert int(redrive["maxReceiveCount"]) == MAX_RECEIVE_COUNT == 5
    assert int(attributes["VisibilityTimeout"]) == VISIBILITY_TIMEOUT_SECONDS == 60
    assert attributes["SqsManagedSseEnabled"] == "true"

    # The redrive works: a message received five times moves to the dead-letter queue.
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    for _ in range(MAX_RECEIVE_COUNT):
        got = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
        assert got.get("Messages")
    assert not sqs.receive_message(QueueUrl=url).get("Messages")
    assert sqs.receive_message(QueueUrl=dlq_url).get("Messages")


# (3) what moto ignores, read from the template ------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_tables_carry_ttl_encryption_and_stage_protection(stage):
    template = build_template(stage)
    tables = _resources(template, "AWS::DynamoDB::Table")
    assert set(tables) == {table_logical_id(m) for m in TABLE_MODELS}
    durable = stage in {"staging", "prod"}
    for model in TABLE_MODELS:
        resource = tables[table_logical_id(model)]
        props = resource["Properties"]
        if TTL_ATTRIBUTE in model.get_attributes():
            assert props["TimeToLiveSpecification"] == {
                "AttributeName": TTL_ATTRIBUTE,
                "Enabled": True,
            }
        else:
            assert "TimeToLiveSpecification" not in props
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": durable}
        assert props["DeletionProtectionEnabled"] is (stage == "prod")
        assert resource["DeletionPolicy"] == ("Retain" if durable else "Delete")
    with_ttl = {m.Meta.base_name for m in TABLE_MODELS if TTL_ATTRIBUTE in m.get_attributes()}
    assert {"sessions", "security"} <= with_ttl


def test_prod_has_point_in_time_recovery_and_deletion_protection():
    for resource in _resources(build_template("prod"), "AWS::DynamoDB::Table").values():
        props = resource["Properties"]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["DeletionProtectionEnabled"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_bucket_secrets_sender_and_queues(stage):
    template = build_template(stage)
    env = stage_environment(stage)
    assert "Transform" not in template  # plain CloudFormation: moto can deploy it

    (bucket,) = _resources(template, "AWS::S3::Bucket").values()
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert "WebsiteConfiguration" not in bucket["Properties"]

    secrets = _resources(template, "AWS::SecretsManager::Secret")
    by_name = {res["Properties"]["Name"]: res["Properties"] for res in secrets.values()}
    assert set(by_name) == {env["APP_SECRET_ID"], env["SP_KEY_SECRET_ID"]}
    assert "GenerateSecretString" in by_name[env["APP_SECRET_ID"]]
    sp_key = by_name[env["SP_KEY_SECRET_ID"]]
    assert "SecretString" not in sp_key and "GenerateSecretString" not in sp_key
    assert "infra/README.md" in sp_key["Description"]
    for props in by_name.values():
        assert "SecretString" not in props  # no secret value in the template
    assert "PRIVATE KEY" not in render(template)

    (sender,) = _resources(template, "AWS::SES::EmailIdentity").values()
    assert sender["Properties"]["EmailIdentity"] == env["EMAIL_SENDER"]

    queues = _resources(template, "AWS::SQS::Queue")
    assert {q["Properties"]["QueueName"] for q in queues.values()} == {
        env["ACTIVATION_QUEUE"],
        f"{env['ACTIVATION_QUEUE']}-dlq",
    }
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())


def test_every_model_fits_the_table_it_shares():
    """Models outside TABLE_MODELS (the security table's tenants) need the same keys."""
    template = build_template("dev")
    tables = {
        res["Properties"]["TableName"]: res["Properties"]
        for res in _resources(template, "AWS::DynamoDB::Table").values()
    }
    cfg = stage_settings("dev")
    for model in _all_models():
        props = tables[cfg.table_name(model.Meta.base_name)]
        schema = model._get_schema()
        assert props["KeySchema"] == _hash_first(schema["key_schema"]), model.__name__
        assert _indexes(props.get("GlobalSecondaryIndexes", [])) == _indexes(
            schema["global_secondary_indexes"]
        ), model.__name__
        if TTL_ATTRIBUTE in model.get_attributes():
            assert props["TimeToLiveSpecification"]["AttributeName"] == TTL_ATTRIBUTE


# (4) stages don't collide ---------------------------------------------------------------------


def test_stages_use_distinct_names():
    seen: dict[str, str] = {}
    for stage in STAGES:
        template = build_template(stage)
        names = [
            res["Properties"][key]
            for res in template["Resources"].values()
            for key in ("TableName", "QueueName", "Name")
            if key in res.get("Properties", {})
        ]
        assert len(names) == len(set(names)), stage
        for name in names:
            assert name not in seen, f"{name} is in both {seen.get(name)} and {stage}"
            seen[name] = stage
    table_names = [
        res["Properties"]["TableName"]
        for stage in STAGES
        for res in _resources(build_template(stage), "AWS::DynamoDB::Table").values()
    ]
    assert len(table_names) == len(set(table_names)) == len(STAGES) * len(TABLE_MODELS)


# the command line -----------------------------------------------------------------------------


def test_main_prints_a_stage_and_writes_only_where_told(tmp_path, capsys):
    assert main(["--stage", "dev"]) == 0
    assert json.loads(capsys.readouterr().out) == build_template("dev")
    with pytest.raises(SystemExit):
        main(["--all"])  # no default place to write: nothing lands in the repo
    capsys.readouterr()
    assert main(["--all", "--out-dir", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{s}.json" for s in STAGES)
    assert json.loads((tmp_path / "prod.json").read_text()) == build_template("prod")
