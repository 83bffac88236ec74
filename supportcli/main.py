"""Support and ops tasks against any stage, the running local stack included.

Each command is a thin call into chalicelib's services; a refusal prints one line on
stderr and exits with status 1, having changed nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from devstack.stages import LOCAL_AWS, stage_environment

LOCAL_ENDPOINT = "http://127.0.0.1:5000"


def _use_stage(stage: str, endpoint: str | None) -> None:
    os.environ.update(stage_environment(stage))
    if endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
    if stage == "local":
        os.environ.setdefault("AWS_ENDPOINT_URL", LOCAL_ENDPOINT)
        for key, value in LOCAL_AWS.items():
            os.environ.setdefault(key, value)


def build_parser() -> argparse.ArgumentParser:
    from supportcli import commands

    parser = argparse.ArgumentParser(prog="python -m supportcli", description=__doc__)
    parser.add_argument("--stage", default="local", help="local (default), dev, staging or prod")
    parser.add_argument(
        "--endpoint-url",
        help="AWS endpoint (default for local: the moto server of `make run`, "
        + LOCAL_ENDPOINT
        + ")",
    )
    parser.add_argument(
        "--actor",
        default=os.environ.get("USER", "support"),
        help="who you are, for the audit trail",
    )
    sub = parser.add_subparsers(dest="area", required=True)
    commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _use_stage(args.stage, args.endpoint_url)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    from botocore.exceptions import BotoCoreError, ClientError
    from pynamodb.exceptions import PynamoDBException

    from chalicelib.errors import ServiceError

    try:
        return handler(args)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError, PynamoDBException) as exc:
        print(
            f"error: the {args.stage} stage's AWS services failed or could not be reached: {exc}",
            file=sys.stderr,
        )
        return 1
