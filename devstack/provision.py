"""Creates a stage's tables, queues, secret and SES identity on whatever endpoint boto3 uses.

Used by `make run` against the embedded moto server and by tests under ``mock_aws``.
Idempotent: running it again leaves what exists alone.
"""

from __future__ import annotations

import functools
import json
import secrets

import boto3
from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.models import TABLE_MODELS

TTL_ATTRIBUTE = "expires_at"


def create_tables() -> list[str]:
    cfg = settings()
    client = boto3.client("dynamodb", region_name=cfg.region)
    created = []
    for model in TABLE_MODELS:
        if not model.exists():
            model.create_table(wait=True)
            created.append(model.Meta.table_name)
        if TTL_ATTRIBUTE in model.get_attributes():
            client.update_time_to_live(
                TableName=model.Meta.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
            )
    return created


def create_queues() -> dict[str, str]:
    cfg = settings()
    sqs = boto3.client("sqs", region_name=cfg.region)
    dlq_url = sqs.create_queue(QueueName=f"{cfg.activation_queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})
    url = sqs.create_queue(
        QueueName=cfg.activation_queue,
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "60"},
    )["QueueUrl"]
    return {"queue": url, "dead_letter_queue": dlq_url}


def create_app_secret() -> None:
    """A random per-stage signing secret, created once (never stored in the repo)."""
    cfg = settings()
    client = boto3.client("secretsmanager", region_name=cfg.region)
    try:
        client.create_secret(Name=cfg.secret_id, SecretString=secrets.token_urlsafe(48))
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise


@functools.lru_cache(maxsize=4)  # one key per process is plenty for tests and `make run`
def _self_signed_pair(common_name: str) -> dict[str, str]:
    from demo_idp.keys import generate_keypair

    pair = generate_keypair(common_name, days=730)
    return {"private_key": pair.key_pem, "certificate": pair.cert_pem}


def create_sp_key_secret() -> None:
    """A fresh SP signing key pair for this stage unless one exists (deployed stages get
    theirs from infra/ and ops, never from the repository)."""
    cfg = settings()
    client = boto3.client("secretsmanager", region_name=cfg.region)
    try:
        client.describe_secret(SecretId=cfg.sp_key_secret_id)
        return
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
    pair = _self_signed_pair(f"practice-sso {cfg.stage} SP")
    client.create_secret(Name=cfg.sp_key_secret_id, SecretString=json.dumps(pair))


def verify_sender() -> None:
    cfg = settings()
    boto3.client("ses", region_name=cfg.region).verify_email_identity(EmailAddress=cfg.email_sender)


def provision() -> None:
    create_tables()
    create_queues()
    create_app_secret()
    create_sp_key_secret()
    verify_sender()
