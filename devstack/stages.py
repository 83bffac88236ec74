"""Reads a stage's environment variables from .chalice/config.json (the one source of truth)."""

from __future__ import annotations

import json
import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = PROJECT_ROOT / ".chalice" / "config.json"
LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def stage_names() -> list[str]:
    return list(json.loads(CONFIG_PATH.read_text())["stages"])


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads(CONFIG_PATH.read_text())
    if stage not in config["stages"]:
        known = ", ".join(config["stages"])
        raise KeyError(f"Unknown stage '{stage}'; the stages are {known}.")
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def apply_stage(stage: str) -> dict[str, str]:
    """Put a stage's variables into this process's environment and return them."""
    env = stage_environment(stage)
    os.environ.update(env)
    return env
