"""Stage configuration, read from the environment in one place.

Chalice sets a stage's ``environment_variables`` for Lambda at start, but the test client
applies them only around each request, so every value here is read when asked for, never at
import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Settings:
    stage: str
    table_prefix: str
    activation_queue: str
    secret_id: str
    sp_key_secret_id: str
    public_base_url: str
    home_url: str
    dashboard_origin: str
    email_sender: str
    session_hours: int
    cookie_secure: bool
    region: str

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def table_name(self, base: str) -> str:
        return f"{self.table_prefix}{base}"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def settings() -> Settings:
    stage = _env("STAGE", "local")
    return Settings(
        stage=stage,
        table_prefix=_env("TABLE_PREFIX", f"practice-sso-{stage}-"),
        activation_queue=_env("ACTIVATION_QUEUE", f"practice-sso-{stage}-activation"),
        secret_id=_env("APP_SECRET_ID", f"practice-sso/{stage}/app"),
        sp_key_secret_id=_env("SP_KEY_SECRET_ID", f"practice-sso/{stage}/sp-signing"),
        public_base_url=_env("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        home_url=_env("HOME_URL", "/home"),
        dashboard_origin=_env("DASHBOARD_ORIGIN", "http://127.0.0.1:8000"),
        email_sender=_env("EMAIL_SENDER", "no-reply@practice-sso.local"),
        session_hours=int(_env("SESSION_HOURS", "8")),
        cookie_secure=_env("COOKIE_SECURE", "false" if stage == "local" else "true") == "true",
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", DEFAULT_REGION)),
    )
