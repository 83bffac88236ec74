"""A stage's AWS resources as a plain CloudFormation template, generated from the code.

Everything that has to match the application is read from it rather than written twice:

- the tables come from ``chalicelib.models.TABLE_MODELS``: names from the stage's
  ``TABLE_PREFIX`` + ``Meta.base_name``, keys, attribute definitions and GSIs from pynamodb's
  ``_get_schema()``, and TTL on ``expires_at`` when the model has that attribute;
- queue, secret and sender names from the stage's ``environment_variables`` in
  ``.chalice/config.json`` (``devstack.stages.stage_environment``), resolved through
  ``chalicelib.config.settings`` so defaults apply exactly as they do at run time.

The result is plain CloudFormation (no SAM transform) so moto can deploy it in a test; a later
step merges it into ``chalice package`` output with ``--merge-template`` (see infra/README.md).

    python -m infra.template --stage dev > template.json
    python -m infra.template --all --out-dir /tmp/practice-sso-templates
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from unittest import mock

from chalicelib.config import Settings, settings
from chalicelib.models import TABLE_MODELS
from devstack.stages import stage_environment, stage_names

TTL_ATTRIBUTE = "expires_at"
DLQ_SUFFIX = "-dlq"  # the dead-letter queue's name, as devstack/provision.py creates it
MAX_RECEIVE_COUNT = 5
VISIBILITY_TIMEOUT_SECONDS = 60
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600  # the SQS default, said explicitly
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # the SQS maximum: time to look at what failed
# Stages whose data must survive a mistake: point-in-time recovery and retained resources.
DURABLE_STAGES = frozenset({"staging", "prod"})
PROTECTED_STAGES = frozenset({"prod"})  # DynamoDB deletion protection

SP_KEY_DESCRIPTION = (
    "SAML SP signing/decryption key pair for stage {stage}. Not generated here: ops store "
    'the JSON {{"private_key": PEM, "certificate": PEM}} with the command in infra/README.md.'
)


def stage_settings(stage: str) -> Settings:
    """The stage's settings exactly as the deployed Lambda computes them from its environment."""
    env = stage_environment(stage)
    with mock.patch.dict(os.environ, env, clear=True):
        return settings()


def logical_id(name: str, suffix: str = "") -> str:
    """``"sp-signing"`` → ``"SpSigning"``: CloudFormation logical IDs are alphanumeric."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name)) + (
        suffix
    )


def _tags(stage: str) -> list[dict[str, str]]:
    return [
        {"Key": "practice-sso:stage", "Value": stage},
        {"Key": "practice-sso:managed-by", "Value": "infra/template.py"},
    ]


def _stateful(resource: dict[str, Any], stage: str) -> dict[str, Any]:
    """Durable stages keep data when a resource is removed or replaced; the others delete it
    (said explicitly either way, as cfn-lint's I3011 asks)."""
    policy = "Retain" if stage in DURABLE_STAGES else "Delete"
    resource["DeletionPolicy"] = policy
    resource["UpdateReplacePolicy"] = policy
    return resource


def _key_schema(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    """HASH first, as DynamoDB requires (pynamodb lists keys in attribute order)."""
    return sorted((dict(key) for key in keys), key=lambda key: key["KeyType"] != "HASH")


def _index(index_schema: dict[str, Any]) -> dict[str, Any]:
    """A pynamodb index schema as a CloudFormation GSI/LSI (on-demand: no throughput)."""
    projection = {"ProjectionType": index_schema["projection"]["ProjectionType"]}
    if index_schema["projection"].get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = list(index_schema["projection"]["NonKeyAttributes"])
    return {
        "IndexName": index_schema["index_name"],
        "KeySchema": _key_schema(index_schema["key_schema"]),
        "Projection": projection,
    }


def table_resource(model: Any, cfg: Settings) -> dict[str, Any]:
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": cfg.table_name(model.Meta.base_name),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [dict(attr) for attr in schema["attribute_definitions"]],
        "KeySchema": _key_schema(schema["key_schema"]),
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = [
            _index(index) for index in schema["global_secondary_indexes"]
        ]
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = [
            _index(index) for index in schema["local_secondary_indexes"]
        ]
    if TTL_ATTRIBUTE in model.get_attributes():
        properties["TimeToLiveSpecification"] = {
            "AttributeName": model.get_attributes()[TTL_ATTRIBUTE].attr_name,
            "Enabled": True,
        }
    properties["PointInTimeRecoverySpecification"] = {
        "PointInTimeRecoveryEnabled": cfg.stage in DURABLE_STAGES
    }
    properties["SSESpecification"] = {"SSEEnabled": True}
    properties["DeletionProtectionEnabled"] = cfg.stage in PROTECTED_STAGES
    properties["Tags"] = _tags(cfg.stage)
    return _stateful({"Type": "AWS::DynamoDB::Table", "Properties": properties}, cfg.stage)


def table_logical_id(model: Any) -> str:
    return logical_id(model.Meta.base_name, "Table")


def build_template(stage: str) -> dict[str, Any]:
    """The CloudFormation template for one stage of ``.chalice/config.json``."""
    cfg = stage_settings(stage)
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}

    for model in TABLE_MODELS:
        lid = table_logical_id(model)
        if lid in resources:
            raise ValueError(f"Two table models map to {lid}: one model per table in TABLE_MODELS")
        resources[lid] = table_resource(model, cfg)
        outputs[f"{lid}Name"] = {
            "Description": f"DynamoDB table for {model.__name__} ({model.Meta.base_name})",
            "Value": {"Ref": lid},
        }
        outputs[f"{lid}Arn"] = {"Value": {"Fn::GetAtt": [lid, "Arn"]}}

    resources["ActivationDeadLetterQueue"] = _stateful(
        {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{cfg.activation_queue}{DLQ_SUFFIX}",
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
                "Tags": _tags(stage),
            },
        },
        stage,
    )
    resources["ActivationQueue"] = _stateful(
        {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": cfg.activation_queue,
                "VisibilityTimeout": VISIBILITY_TIMEOUT_SECONDS,
                "MessageRetentionPeriod": QUEUE_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["ActivationDeadLetterQueue", "Arn"]},
                    "maxReceiveCount": MAX_RECEIVE_COUNT,
                },
                "Tags": _tags(stage),
            },
        },
        stage,
    )
    for lid in ("ActivationQueue", "ActivationDeadLetterQueue"):
        outputs[f"{lid}Url"] = {"Value": {"Ref": lid}}
        outputs[f"{lid}Arn"] = {"Value": {"Fn::GetAtt": [lid, "Arn"]}}
        outputs[f"{lid}Name"] = {"Value": {"Fn::GetAtt": [lid, "QueueName"]}}

    resources["AppSecret"] = _stateful(
        {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": cfg.secret_id,
                "Description": f"Token-signing secret of practice-sso stage {stage}.",
                "GenerateSecretString": {
                    "PasswordLength": 64,
                    "ExcludePunctuation": True,
                },
                "Tags": _tags(stage),
            },
        },
        stage,
    )
    resources["SpKeySecret"] = _stateful(
        {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": cfg.sp_key_secret_id,
                "Description": SP_KEY_DESCRIPTION.format(stage=stage),
                "Tags": _tags(stage),
            },
        },
        stage,
    )
    outputs["AppSecretArn"] = {"Value": {"Ref": "AppSecret"}}
    outputs["SpKeySecretArn"] = {"Value": {"Ref": "SpKeySecret"}}

    resources["SenderIdentity"] = {
        "Type": "AWS::SES::EmailIdentity",
        "Properties": {"EmailIdentity": cfg.email_sender},
    }
    outputs["SenderIdentity"] = {"Value": {"Ref": "SenderIdentity"}}

    resources["DashboardBucket"] = _stateful(
        {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                # No BucketName: S3 names are global, CloudFormation picks a unique one.
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "Tags": _tags(stage),
            },
        },
        stage,
    )
    outputs["DashboardBucketName"] = {"Value": {"Ref": "DashboardBucket"}}
    outputs["DashboardBucketArn"] = {"Value": {"Fn::GetAtt": ["DashboardBucket", "Arn"]}}

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"practice-sso stage {stage}: tables, activation queue and DLQ, secrets, "
            "SES sender, dashboard bucket (generated by infra/template.py; do not edit)"
        ),
        "Resources": resources,
        "Outputs": outputs,
    }


def render(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.template",
        description="Print a stage's CloudFormation template (JSON) generated from the code.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stage", choices=stage_names(), help="print this stage's template")
    which.add_argument("--all", action="store_true", help="every stage (needs --out-dir)")
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="write <stage>.json files here instead of printing (keep it outside the repo)",
    )
    args = parser.parse_args(argv)
    if args.all and args.out_dir is None:
        parser.error("--all writes one file per stage: give --out-dir")

    stages = stage_names() if args.all else [args.stage]
    if args.out_dir is None:
        sys.stdout.write(render(build_template(stages[0])))
        return 0
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for stage in stages:
        path = args.out_dir / f"{stage}.json"
        path.write_text(render(build_template(stage)))
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
