"""Puts activation messages on the stage's SQS queue (SPEC §5); the email consumer reads them.

One message per link. Its ``link_id`` is stable for a link (group, subject and the moment it
was linked), so the consumer can send one email per link whatever the redeliveries, and a
re-queued message for the same link is recognised as the same email.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import datetime
from typing import Any

from chalicelib.config import settings

MESSAGE_TYPE = "activation"


def link_id(group_slug: str, subject: str, linked_at: datetime) -> str:
    return f"{group_slug}#{subject}#{linked_at.isoformat()}"


def activation_message(
    group_slug: str, username: str, subject: str, linked_at: datetime
) -> dict[str, str]:
    return {
        "type": MESSAGE_TYPE,
        "group": group_slug,
        "username": username,
        "subject": subject,
        "linked_at": linked_at.isoformat(),
        "link_id": link_id(group_slug, subject, linked_at),
    }


def _endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL") or ""


@functools.lru_cache(maxsize=8)
def _client(region: str, endpoint: str) -> Any:
    import boto3

    return boto3.client("sqs", region_name=region, endpoint_url=endpoint or None)


@functools.lru_cache(maxsize=16)
def _queue_url(name: str, region: str, endpoint: str) -> str:
    return _client(region, endpoint).get_queue_url(QueueName=name)["QueueUrl"]


def clear_cache() -> None:
    """Forget cached clients and queue URLs (tests that switch endpoints call this)."""
    _queue_url.cache_clear()
    _client.cache_clear()


def queue_url() -> str:
    cfg = settings()
    return _queue_url(cfg.activation_queue, cfg.region, _endpoint())


def enqueue_activation(group_slug: str, username: str, subject: str, linked_at: datetime) -> str:
    """Send one activation message to the stage's queue; returns its SQS MessageId."""
    cfg = settings()
    endpoint = _endpoint()
    body = activation_message(group_slug, username, subject, linked_at)
    response = _client(cfg.region, endpoint).send_message(
        QueueUrl=_queue_url(cfg.activation_queue, cfg.region, endpoint),
        MessageBody=json.dumps(body, sort_keys=True),
    )
    return response["MessageId"]
