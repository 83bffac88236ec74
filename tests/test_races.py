"""SPEC §3: uniqueness holds "including two writers racing" because it rests on conditional
writes in one transaction, not on reading first. The same goes for the per-user sign-in limit
(SPEC §4 item 13) under a burst of parallel guesses.

Where these races run, and why: in-process ``mock_aws`` is not atomic across threads. Its
TransactWriteItems deep-copies the tables, checks and writes with no lock, and on a cancelled
transaction restores the *whole* table from that copy; two racing threads there were seen
(moto 5.2.5) to fail with "dictionary changed size during iteration" and to erase the
winner's freshly written user. ``ThreadedMotoServer`` runs the same code in one thread per
request, so it has the same hazard. DynamoDB itself executes each request atomically; so the
races below run against moto's server app behind a *single-threaded* werkzeug server on a free
127.0.0.1 port: every request is atomic, as in DynamoDB, while the two writers really run at
once on the client side (a read-then-write implementation loses these races). What moto does
not reproduce is DynamoDB's ``TransactionConflict`` cancellation when two transactions touch an
item at the same moment; the services retry on it, tested with a simulated conflict at the end.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib import models
from chalicelib.errors import Conflict, TooManyAttempts
from chalicelib.models import base
from chalicelib.services import audit, groups, password_login, rate_limit, users
from chalicelib.services.users import NewUser

ROUNDS = 20
GUESSED = "the right password, at last"


class SerialMotoServer:
    """moto's server app, answering one request at a time (each request atomic)."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._server = make_server(
            "127.0.0.1",
            port,
            DomainDispatcherApplication(create_backend_app),
            threaded=False,
            request_handler=MotoRequestHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.reset()

    def reset(self) -> None:
        # The server shares moto's in-process backends: start and leave them empty.
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        self.reset()
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture(scope="class")
def dynamodb_server():
    """The stage's tables on a serial moto server; pynamodb and boto3 pointed at it.

    One server for the races of ``TestRacingWriters`` (each test uses its own names), torn
    down with the class; everything patched here is restored, so later tests (and the rest of
    the suite) use ``mock_aws`` again.
    """
    from devstack import provision

    server = SerialMotoServer()
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", server.url)
        for proxy in ("HTTP_PROXY", "http_proxy"):
            patch.delenv(proxy, raising=False)
        # pynamodb caches a connection per model class, and the services one per region for
        # transactions: start from none so they pick up the endpoint.
        for model in (
            *models.TABLE_MODELS,
            models.RateCounter,
            models.SeenAssertion,
            models.ConfirmationToken,
        ):
            patch.setattr(model, "_connection", None)
        patch.setattr(base, "_connections", {})
        try:
            provision.create_tables()
            yield server
        finally:
            server.stop()


def race(action: Callable[[int], Any], writers: int = 2) -> list[tuple[str, Any]]:
    """Run ``action(i)`` in ``writers`` threads released together; ("ok"|"error", value)."""
    barrier = threading.Barrier(writers)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * writers

    def run(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = ("ok", action(index))
        except Exception as exc:  # the test inspects whatever happened
            outcomes[index] = ("error", exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def one_winner(outcomes: list[tuple[str, Any]], words: str) -> int:
    """Exactly one writer succeeded and every other got a Conflict saying ``words``."""
    winners = [i for i, (kind, _) in enumerate(outcomes) if kind == "ok"]
    assert len(winners) == 1, outcomes
    for i, (kind, value) in enumerate(outcomes):
        if i != winners[0]:
            assert kind == "error" and isinstance(value, Conflict), outcomes
            assert words in value.message, value.message
    return winners[0]


class TestRacingWriters:
    """Two (or five) writers at the same moment, 20 rounds each: exactly one wins."""

    def test_two_writers_create_the_same_username(self, dynamodb_server):
        groups.create_group("race-names", "Racing usernames")
        for n in range(ROUNDS):
            name = f"same{n}"
            outcomes = race(
                lambda i, name=name: users.create_user(
                    NewUser("race-names", name, f"{name}-{i}@a.example", first_name=f"writer{i}")
                )
            )
            winner = one_winner(outcomes, "is already taken")
            stored = users.get_user(name)
            assert stored.first_name == f"writer{winner}"
            assert users.username_for_email(f"{name}-{winner}@a.example") == name
            assert users.username_for_email(f"{name}-{1 - winner}@a.example") is None

    def test_two_writers_use_the_same_email_for_different_usernames(self, dynamodb_server):
        groups.create_group("race-emails", "Racing emails")
        for n in range(ROUNDS):
            email = f"shared{n}@a.example"
            outcomes = race(
                lambda i, n=n, email=email: users.create_user(
                    NewUser("race-emails", f"u{n}-{i}", email)
                )
            )
            winner = one_winner(outcomes, "already belongs to another user")
            assert users.username_for_email(email) == f"u{n}-{winner}"
            assert users.find_user(f"u{n}-{winner}") is not None
            assert users.find_user(f"u{n}-{1 - winner}") is None

    def test_two_groups_claim_one_email_domain(self, dynamodb_server):
        for n in range(ROUNDS):
            domain = f"contested{n}.example"
            outcomes = race(
                lambda i, n=n, domain=domain: groups.create_group(f"g{n}-{i}", "Group", [domain])
            )
            winner = one_winner(outcomes, domain)
            assert groups.group_for_domain(domain) == f"g{n}-{winner}"
            assert groups.find_group(f"g{n}-{1 - winner}") is None

    def test_five_writers_one_username(self, dynamodb_server):
        groups.create_group("race-crowd", "Racing crowd")
        for n in range(5):
            outcomes = race(
                lambda i, n=n: users.create_user(
                    NewUser("race-crowd", f"crowd{n}", f"c{n}-{i}@a.example")
                ),
                writers=5,
            )
            one_winner(outcomes, "is already taken")
            assert [u.username for u in users.list_users("race-crowd")].count(f"crowd{n}") == 1

    def test_a_burst_of_guesses_gets_no_more_than_the_limit(self, dynamodb_server):
        """Eight wrong passwords for one user at the same moment (Lambda runs them in
        parallel): at most MAX_PER_USER reach the password check, the rest are refused."""
        groups.create_group("race-guess", "Racing guesses")
        users.create_user(NewUser("race-guess", "target", password=GUESSED))
        writers = rate_limit.MAX_PER_USER + 3

        outcomes = race(
            lambda i: password_login.sign_in("target", f"guess number {i}!", f"10.0.0.{i}"),
            writers=writers,
        )

        codes = sorted(type(value).__name__ for _, value in outcomes)
        checked = codes.count("WrongCredentials")
        assert checked <= rate_limit.MAX_PER_USER, codes
        assert codes.count("TooManyAttempts") == writers - checked, codes
        with pytest.raises(TooManyAttempts):  # and the right password is refused now too
            password_login.sign_in("target", GUESSED, "10.0.1.1")
        guesses = [e for e in audit.for_group("race-guess") if e.event == "login.password"]
        assert len(guesses) == checked


# -- DynamoDB's TransactionConflict, which moto never produces --------------------------------


def _conflict_next_transaction(monkeypatch) -> list[int]:
    """The next TransactWriteItems is cancelled as DynamoDB cancels it when another transaction
    holds one of its items; later calls run normally. Returns the calls made."""
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend

    assert "AWS_ENDPOINT_URL" not in os.environ  # in-process mock_aws, not the race server
    real = DynamoDBBackend.transact_write_items
    calls: list[int] = []

    def flaky(self, transact_items):
        calls.append(len(transact_items))
        if len(calls) == 1:
            reasons = [(None, None, None)] * len(transact_items)
            reasons[-1] = ("TransactionConflict", "Transaction is ongoing for the item", None)
            raise TransactionCanceledException(reasons)
        return real(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", flaky)
    return calls


def test_a_transaction_conflict_is_retried_for_a_new_user(aws, monkeypatch):
    groups.create_group("alpha", "Alpha Practice")
    calls = _conflict_next_transaction(monkeypatch)

    user = users.create_user(NewUser("alpha", "tess", "tess@alpha.example"))

    assert user.username == "tess"
    assert calls == [3, 3]
    assert users.username_for_email("tess@alpha.example") == "tess"


def test_a_transaction_conflict_is_retried_for_a_new_group(aws, monkeypatch):
    calls = _conflict_next_transaction(monkeypatch)

    group = groups.create_group("beta", "Beta Practice", ["beta.example"])

    assert group.slug == "beta"
    assert calls == [2, 2]
    assert groups.group_for_domain("beta.example") == "beta"
