"""The stage's application secret (signing CSRF and other tokens), from Secrets Manager.

Read once per container: the secret never lives in the repository or the environment.
"""

from __future__ import annotations

import functools

from chalicelib.config import settings


@functools.lru_cache(maxsize=4)
def _fetch(secret_id: str, region: str) -> str:
    import boto3

    client = boto3.client("secretsmanager", region_name=region)
    return client.get_secret_value(SecretId=secret_id)["SecretString"]


def app_secret() -> str:
    cfg = settings()
    return _fetch(cfg.secret_id, cfg.region)


def clear_cache() -> None:
    _fetch.cache_clear()
