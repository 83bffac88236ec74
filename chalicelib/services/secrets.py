"""Stage secrets from Secrets Manager: the app's token-signing secret and the SP key pair.

Read once per container; no secret lives in the repository or the environment.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from chalicelib.config import settings


@dataclass(frozen=True)
class SpKeyPair:
    private_key: str  # PEM
    certificate: str  # PEM


@functools.lru_cache(maxsize=8)
def _fetch(secret_id: str, region: str) -> str:
    import boto3

    client = boto3.client("secretsmanager", region_name=region)
    return client.get_secret_value(SecretId=secret_id)["SecretString"]


def app_secret() -> str:
    cfg = settings()
    return _fetch(cfg.secret_id, cfg.region)


def sp_key_pair() -> SpKeyPair:
    """The SP's signing/decryption key and certificate, stored as JSON in one secret."""
    cfg = settings()
    data = json.loads(_fetch(cfg.sp_key_secret_id, cfg.region))
    return SpKeyPair(data["private_key"], data["certificate"])


def clear_cache() -> None:
    _fetch.cache_clear()
