"""Server-side sessions and the Chalice authorizer over them (SPEC §1 "Signed in", §4 item 7).

How the authorizer is exercised: ``chalice.test.Client`` (and ``chalice local``) do run
built-in authorizers, but their local API Gateway always reads the token from the
``Authorization`` header, whatever ``header=`` the authorizer declares, and answers 401 by
itself when that header is missing. API Gateway proper passes the declared ``Cookie`` header.
So the HTTP tests hand the cookie string to the local gateway as ``Authorization`` (what API
Gateway's identity source does with the Cookie header), the declared header and TTL are
checked on the authorizer's configuration, and the authorizer function is also called directly
with the TOKEN event API Gateway sends.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from chalicelib.clock import now
from chalicelib.models import Group, Session
from chalicelib.routes import authorizer
from chalicelib.services import sessions
from tests.support import PASSWORD, add_user, seed_alpha, sign_in
from tests.support.browser import Browser

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/api/GET/api/whoami"


@pytest.fixture
def signed_in(client):
    """A browser signed in as alice, and her raw session token."""
    seed_alpha()
    browser = Browser(client)
    sign_in(browser, "alice", PASSWORD)
    assert browser.status == 303
    return browser, browser.cookies["pss_session"]


def _whoami(browser: Browser, cookie_header: str | None):
    headers = {"Cookie": cookie_header} if cookie_header is not None else {}
    if cookie_header is not None:
        headers["Authorization"] = cookie_header  # the local gateway's only token source
    return browser.get("/api/whoami", headers=headers)


def _authorize(cookie_header: str) -> dict:
    event = {"type": "TOKEN", "authorizationToken": cookie_header, "methodArn": METHOD_ARN}
    return authorizer.session_authorizer(event, None)


def _allowed(result: dict) -> bool:
    return any(
        statement["Effect"] == "Allow" and statement.get("Resource")
        for statement in result["policyDocument"]["Statement"]
    )


# -- storage ----------------------------------------------------------------------------------


def test_the_session_table_holds_only_a_hash_of_the_cookie(signed_in):
    _, token = signed_in
    keys = [item.token_hash for item in Session.scan()]
    assert keys == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in keys
    stored = Session.get(keys[0])
    assert token not in json.dumps(stored.serialize())


def test_expired_session_is_refused(signed_in):
    browser, token = signed_in
    item = Session.get(sessions.token_hash(token))
    item.update(actions=[Session.expires_at.set(now() - timedelta(seconds=1))])

    browser.get("/session")
    assert browser.status == 401
    browser.get("/home")
    assert browser.status == 303
    assert _whoami(browser, f"pss_session={token}").status_code == 403


def test_overlong_or_absent_tokens_are_refused_without_a_database_call(aws, monkeypatch):
    def no_database(*args, **kwargs):
        raise AssertionError("looked up a token that could not be one")

    monkeypatch.setattr(Session, "get", no_database)
    assert sessions.lookup("x" * 129) is None
    assert sessions.lookup("") is None
    assert sessions.lookup(None) is None


def test_an_unknown_token_of_normal_length_is_refused(aws):
    assert sessions.lookup("x" * 43) is None


def test_a_password_session_ends_when_its_group_switches_to_sso_only(signed_in):
    _, token = signed_in
    assert sessions.lookup(token) is not None
    Group.get("alpha").update(actions=[Group.force_sso.set(True)])
    assert sessions.lookup(token) is None


def test_revoking_every_session_of_a_user(signed_in, client):
    browser, _ = signed_in
    second = Browser(client)
    sign_in(second, "alice", PASSWORD)

    assert sessions.revoke_all_for_user("alice") == 2

    browser.get("/session")
    assert browser.status == 401
    second.get("/session")
    assert second.status == 401


def test_a_session_carries_the_role_at_sign_in(client):
    seed_alpha()
    add_user("alpha", "ada", "ada@alpha.example", role="admin")
    browser = Browser(client)
    sign_in(browser, "ada", PASSWORD)
    browser.get("/session")
    assert browser.json["role"] == "admin"


# -- the authorizer ---------------------------------------------------------------------------


def test_authorizer_is_declared_on_the_cookie_header_without_caching():
    config = authorizer.session_authorizer.config
    assert config.header == "Cookie"
    # A cached allow would keep a revoked or SSO-only-barred session alive for the TTL.
    assert config.ttl_seconds == 0


def test_whoami_with_a_valid_session(signed_in):
    browser, token = signed_in
    response = _whoami(browser, f"pss_csrf=abc; pss_session={token}")

    assert response.status_code == 200
    body = response.json_body
    assert {k: body[k] for k in ("user", "group", "role", "method")} == {
        "user": "alice",
        "group": "alpha",
        "role": "staff",
        "method": "password",
    }
    assert body["expires_at"]


def test_whoami_without_or_with_a_revoked_session_leaks_nothing(signed_in):
    browser, token = signed_in
    no_cookie = browser.get("/api/whoami", headers={"Cookie": ""})
    assert no_cookie.status_code == 401  # the gateway answers before any route runs
    garbage = _whoami(browser, "pss_session=not-a-session")
    assert garbage.status_code == 403

    sessions.revoke(token)
    revoked = _whoami(browser, f"pss_session={token}")

    assert revoked.status_code == 403
    for response in (no_cookie, garbage, revoked):
        text = response.body.decode()
        assert "alice" not in text and "alpha" not in text


def test_authorizer_called_as_api_gateway_calls_it(signed_in):
    _, token = signed_in

    allowed = _authorize(f"theme=dark; pss_session={token}; pss_csrf=x")
    assert _allowed(allowed)
    assert allowed["principalId"] == "alice"
    assert allowed["context"]["user"] == "alice"
    assert allowed["context"]["group"] == "alpha"
    assert allowed["context"]["role"] == "staff"
    assert all(isinstance(v, str) for v in allowed["context"].values())  # API GW needs scalars

    for header in ("", "pss_session=", "pss_session=" + "x" * 200, 'broken="', "other=1"):
        refused = _authorize(header)
        assert not _allowed(refused), header
        assert refused["principalId"] == "anonymous"
        assert refused["context"] == {}

    sessions.revoke(token)
    refused = _authorize(f"pss_session={token}")
    assert not _allowed(refused)
    assert refused["context"] == {}
