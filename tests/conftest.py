"""Shared fixtures: every test runs against moto in-process, never against AWS."""

from __future__ import annotations

import os

import pytest

from devstack.stages import LOCAL_AWS, apply_stage

# Tests use mock_aws; an endpoint URL would send boto3 past it (TOOLCHAIN.md).
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.update(LOCAL_AWS)
# The same values the Chalice test client applies around each request for stage "local".
apply_stage("local")


@pytest.fixture
def aws():
    """A fresh moto world with the stage provisioned."""
    from moto import mock_aws

    from chalicelib.services import secrets
    from devstack import provision

    with mock_aws():
        secrets.clear_cache()
        provision.provision()
        yield
    secrets.clear_cache()


@pytest.fixture
def client(aws):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local") as test_client:
        yield test_client
