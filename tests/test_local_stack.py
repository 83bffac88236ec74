"""The real local stack of `make run`: moto server + chalice local, over HTTP."""

from __future__ import annotations

import json
import socket

import pytest

from tests.support.http import WebClient
from tests.support.stack import start_stack

pytestmark = pytest.mark.stack
PASSWORD = "stack-test-password-1"


def _port_open(url: str) -> bool:
    host, port = url.rsplit("//", 1)[1].split(":")
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


@pytest.fixture(scope="module")
def stack():
    running = start_stack(PASSWORD)
    yield running
    running.stop()


def test_demo_admin_signs_in_with_password(stack):
    banner = "".join(stack.output)
    assert f"{stack.app_url}/login" in banner
    assert "demo.admin" in banner and PASSWORD in banner

    web = WebClient(stack.app_url)
    home = web.sign_in("demo.admin", PASSWORD)
    assert home.status == 200 and home.url.endswith("/home")
    assert "Dana Admin" in home.body and "Demo Clinic" in home.body
    session = json.loads(web.get("/session").body)
    assert session["user"] == "demo.admin" and session["method"] == "password"


def test_wrong_password_is_refused_over_http(stack):
    page = WebClient(stack.app_url).sign_in("demo.admin", "not-the-password")
    assert page.status == 401
    assert "do not match an account" in page.body
    assert "Traceback" not in page.body


def test_cli_creates_a_group_and_a_user_who_can_sign_in(stack):
    created = stack.cli("group", "create", "north-clinic", "--name", "North Clinic")
    assert created.returncode == 0, created.stderr
    added = stack.cli(
        "user",
        "add",
        "north-clinic",
        "jo.bloggs",
        "--email",
        "jo@north.example",
        "--first-name",
        "Jo",
        "--last-name",
        "Bloggs",
        "--password-stdin",
        stdin="jo-password-123\n",
    )
    assert added.returncode == 0, added.stderr

    duplicate = stack.cli(
        "user", "add", "north-clinic", "jo.bloggs", "--password-stdin", stdin="other-password-1\n"
    )
    assert duplicate.returncode == 1
    assert duplicate.stderr.strip() == "error: The username 'jo.bloggs' is already taken."

    listing = json.loads(stack.cli("user", "list", "north-clinic", "--json").stdout)
    assert [u["username"] for u in listing] == ["jo.bloggs"]

    web = WebClient(stack.app_url)
    home = web.sign_in("jo.bloggs", "jo-password-123")
    assert home.status == 200 and "North Clinic" in home.body
    # The duplicate attempt changed nothing: the first password still works, the second not.
    assert WebClient(stack.app_url).sign_in("jo.bloggs", "other-password-1").status == 401


def test_ctrl_c_stops_everything_and_a_second_run_works(stack):
    assert stack.stop() == 0
    assert not _port_open(stack.app_url) and not _port_open(stack.moto_url)

    again = start_stack(PASSWORD)
    try:
        assert WebClient(again.app_url).sign_in("demo.admin", PASSWORD).status == 200
    finally:
        assert again.stop() == 0
