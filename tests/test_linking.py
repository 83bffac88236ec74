"""SPEC §4 item 9 and §5: linking an SSO request to a user, rejecting and unlinking.

Only a pending request, only to an active user of the same group, each side at most once;
a refusal changes nothing and queues nothing; a double click links once and queues one
activation message.

About the races: in-process moto is not atomic across threads. Its TransactWriteItems
deep-copies the tables, checks and writes without a lock and, when cancelled, puts the whole
copy back, erasing what another thread wrote meanwhile. Without help, two threads linking
were seen (moto 5.2.5, in-process and ``ThreadedMotoServer`` alike, 15-20 rounds each) to
both succeed and queue two messages, or to "succeed" while the rollback of the other erased
the link. DynamoDB executes each request atomically and cancels a transaction that overlaps
another one on the same items (``TransactionConflict``). The ``dynamodb_isolation`` fixture
below gives moto exactly that: every DynamoDB operation runs under one lock, and a
transaction that finds another transaction running is cancelled with TransactionConflict,
as DynamoDB would. The threads still race for real on the client side (pynamodb, botocore,
the service's own code), so a read-then-write implementation would lose these races.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import Conflict, Forbidden, NotFound, ServiceError
from chalicelib.models.identities import AssertedAttributes, Identity
from chalicelib.models.users import User
from chalicelib.services import activation_queue, audit, groups, linking, sessions, users
from chalicelib.services.users import NewUser

ROUNDS = 10


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_queue_cache():
    activation_queue.clear_cache()
    yield
    activation_queue.clear_cache()


@pytest.fixture
def east(aws):
    groups.create_group("east", "East Practice")
    groups.create_group("west", "West Practice")
    users.create_user(NewUser("east", "dr.ada", "ada@east.example", "Ada", "Lovelace"))
    users.create_user(NewUser("east", "bob", "bob@east.example", "Bob", "Builder"))
    users.create_user(NewUser("west", "zed", "zed@west.example", "Zed", "West"))
    return "east"


def asserted(**fields: str) -> AssertedAttributes:
    return AssertedAttributes(**fields)


def pending(subject: str, group: str = "east", **fields: str) -> Identity:
    return linking.create_pending(group, subject, asserted(unique_id=subject, **fields))


def queued() -> list[dict[str, Any]]:
    """Bodies of the messages waiting on the activation queue (received, so counted once)."""
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    bodies = []
    while True:
        got = sqs.receive_message(QueueUrl=activation_queue.queue_url(), MaxNumberOfMessages=10)
        messages = got.get("Messages", [])
        if not messages:
            return bodies
        bodies += [json.loads(m["Body"]) for m in messages]


def snapshot(group: str, subject: str, username: str) -> tuple[Any, Any]:
    """Both items exactly as stored (None where there is no item)."""
    identity = linking.find_request(group, subject)
    user = users.find_user(username)
    return (
        identity.to_simple_dict() if identity else None,
        user.to_simple_dict() if user else None,
    )


def events(group: str, name: str) -> list[Any]:
    return [e for e in audit.for_group(group) if e.event == name]


def deactivate(username: str) -> None:
    User(username).update(actions=[User.active.set(False)])


@pytest.fixture
def dynamodb_isolation(monkeypatch):
    """moto with DynamoDB's isolation: each operation atomic, overlapping transactions cancelled.

    Returns the list of simulated TransactionConflict cancellations (one entry each).
    """
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend

    every_operation = threading.RLock()
    one_transaction = threading.Lock()
    conflicts: list[int] = []

    def atomic(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            with every_operation:
                return method(self, *args, **kwargs)

        return wrapper

    original_transact = DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        if not one_transaction.acquire(blocking=False):
            conflicts.append(1)
            raise TransactionCanceledException(
                [("TransactionConflict", "Transaction is ongoing for the item", None)]
                * len(transact_items)
            )
        try:
            with every_operation:
                return original_transact(self, transact_items)
        finally:
            one_transaction.release()

    for name in ("get_item", "put_item", "update_item", "delete_item", "query", "scan"):
        monkeypatch.setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))
    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
    return conflicts


def race(*calls) -> list[Any]:
    """Run the calls at the same moment in threads; each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the test inspects it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# --- linking --------------------------------------------------------------------------------


def test_link_marks_both_sides_and_queues_one_activation_message(east):
    pending("idp-ada", username="ada", email="Ada@East.example", first_name="Ada")

    identity = linking.link("east", "idp-ada", "Dr.Ada", actor="kim")

    assert identity.status == "linked"
    assert identity.group_status == "east#linked"
    assert identity.linked_username == "dr.ada"
    assert identity.decided_by == "kim" and identity.decided_at is not None
    assert users.get_user("dr.ada").sso_subject == "idp-ada"
    assert linking.list_requests("east") == []
    assert [i.subject for i in linking.list_requests("east", "linked")] == ["idp-ada"]

    [message] = queued()
    linked_at = identity.decided_at.isoformat()
    assert message == {
        "type": "activation",
        "group": "east",
        "username": "dr.ada",
        "subject": "idp-ada",
        "linked_at": linked_at,
        "link_id": f"east#idp-ada#{linked_at}",
    }

    [linked] = events("east", "sso.linked")
    assert (linked.outcome, linked.actor) == ("success", "kim")
    assert linked.details.as_dict() == {"subject": "idp-ada", "username": "dr.ada"}
    [queued_event] = events("east", "sso.activation_queued")
    assert queued_event.outcome == "success" and queued_event.details["link_id"].endswith(linked_at)


def _already_linked(group):
    linking.link(group, "idp-1", "dr.ada", actor="kim")
    return "idp-1", "dr.ada"


def _linked_request_to_another_user(group):
    linking.link(group, "idp-1", "dr.ada", actor="kim")
    return "idp-1", "bob"


def _rejected(group):
    linking.reject(group, "idp-1", actor="kim", reason="not one of ours")
    return "idp-1", "dr.ada"


def _user_already_linked(group):
    pending("idp-2")
    linking.link(group, "idp-2", "dr.ada", actor="kim")
    return "idp-1", "dr.ada"


def _inactive(group):
    deactivate("dr.ada")
    return "idp-1", "dr.ada"


REFUSALS = {
    "already linked": (_already_linked, Conflict, "This request was already linked to dr.ada."),
    "already linked, other user": (
        _linked_request_to_another_user,
        Conflict,
        "This request was already linked to dr.ada.",
    ),
    "rejected": (_rejected, Conflict, "This request was declined by kim;"),
    "unknown request": (
        lambda g: ("idp-nobody", "dr.ada"),
        NotFound,
        "No SSO request for that identity in this group.",
    ),
    "user of another group": (
        lambda g: ("idp-1", "zed"),
        Forbidden,
        "zed belongs to another practice group.",
    ),
    "inactive user": (_inactive, Conflict, "dr.ada is not active."),
    "user linked to another identity": (
        _user_already_linked,
        Conflict,
        "dr.ada is already linked to another SSO identity; unlink that one first.",
    ),
    "unknown user": (lambda g: ("idp-1", "ghost"), NotFound, "There is no user 'ghost'."),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_link_changes_nothing_and_queues_nothing(east, case):
    prepare, error, message = REFUSALS[case]
    pending("idp-1")
    subject, username = prepare("east")
    queued()  # drop what the preparation queued
    before = snapshot("east", subject, username)
    denials_before = len(events("east", "sso.link"))

    with pytest.raises(error) as refused:
        linking.link("east", subject, username, actor="kim")

    assert message in refused.value.message
    assert "West" not in refused.value.message and "west" not in refused.value.message
    assert snapshot("east", subject, username) == before
    assert queued() == []
    denials = events("east", "sso.link")
    assert len(denials) == denials_before + 1
    assert denials[0].outcome == "denied" and denials[0].reason
    assert denials[0].details["username"] == username


def test_double_click_links_once_and_queues_one_message(east, dynamodb_isolation):
    for round_ in range(ROUNDS):
        username = f"user{round_}"
        users.create_user(NewUser("east", username))
        pending(f"idp-{round_}")

        results = race(
            lambda s=f"idp-{round_}", u=username: linking.link("east", s, u, actor="kim"),
            lambda s=f"idp-{round_}", u=username: linking.link("east", s, u, actor="kim"),
        )

        linked = [r for r in results if isinstance(r, Identity)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(linked) == 1 and len(refused) == 1, results
        assert refused[0].message == f"This request was already linked to {username}."
        assert users.get_user(username).sso_subject == f"idp-{round_}"
        assert linking.get_request("east", f"idp-{round_}").status == "linked"
        assert [m["username"] for m in queued()] == [username]
    assert len(events("east", "sso.linked")) == ROUNDS


def test_two_requests_raced_onto_one_user_link_only_one(east, dynamodb_isolation):
    for round_ in range(ROUNDS):
        username = f"user{round_}"
        users.create_user(NewUser("east", username))
        first, second = f"idp-{round_}-a", f"idp-{round_}-b"
        pending(first)
        pending(second)

        results = race(
            lambda s=first, u=username: linking.link("east", s, u, actor="kim"),
            lambda s=second, u=username: linking.link("east", s, u, actor="lee"),
        )

        linked = [r for r in results if isinstance(r, Identity)]
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(linked) == 1 and len(refused) == 1, results
        assert "already linked to another SSO identity" in refused[0].message
        winner = linked[0].subject
        loser = second if winner == first else first
        assert users.get_user(username).sso_subject == winner
        assert linking.get_request("east", loser).status == "pending"
        assert [m["subject"] for m in queued()] == [winner]


def _conflict_once(monkeypatch, times: int) -> list[int]:
    """Make the next ``times`` transactions fail as DynamoDB does when two overlap."""
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    seen: list[int] = []

    def transact_write_items(self, transact_items):
        if len(seen) < times:
            seen.append(1)
            raise TransactionCanceledException(
                [("TransactionConflict", "Transaction is ongoing for the item", None)]
                * len(transact_items)
            )
        return original(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
    return seen


def test_a_transaction_conflict_is_retried(east, monkeypatch):
    pending("idp-1")
    seen = _conflict_once(monkeypatch, times=1)

    linking.link("east", "idp-1", "dr.ada", actor="kim")

    assert seen == [1]
    assert users.get_user("dr.ada").sso_subject == "idp-1"
    assert len(queued()) == 1


def test_a_persistent_conflict_is_refused_as_busy_and_changes_nothing(east, monkeypatch):
    pending("idp-1")
    before = snapshot("east", "idp-1", "dr.ada")
    _conflict_once(monkeypatch, times=linking.TRANSACTION_ATTEMPTS)

    with pytest.raises(Conflict) as refused:
        linking.link("east", "idp-1", "dr.ada", actor="kim")

    assert "try again in a moment" in refused.value.message
    assert snapshot("east", "idp-1", "dr.ada") == before
    assert queued() == []


def test_a_failed_enqueue_says_so_and_can_be_requeued_with_the_same_link_id(east, monkeypatch):
    pending("idp-1")

    def unreachable(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "Send")

    monkeypatch.setattr(activation_queue, "enqueue_activation", unreachable)
    with pytest.raises(ServiceError) as refused:
        linking.link("east", "idp-1", "dr.ada", actor="kim")
    assert "linked to dr.ada, but the activation email could not be queued" in (
        refused.value.message
    )
    identity = linking.get_request("east", "idp-1")
    assert identity.status == "linked"
    [failure] = events("east", "sso.activation_queued")
    assert failure.outcome == "failure"
    monkeypatch.undo()

    linking.requeue_activation("east", "idp-1", actor="kim")

    [message] = queued()
    assert message["link_id"] == f"east#idp-1#{identity.decided_at.isoformat()}"


def test_requeue_needs_a_linked_request(east):
    pending("idp-1")
    with pytest.raises(Conflict, match="not linked"):
        linking.requeue_activation("east", "idp-1", actor="kim")
    assert queued() == []


# --- rejecting and unlinking ----------------------------------------------------------------


def test_reject_then_link_is_refused(east):
    pending("idp-1")

    identity = linking.reject("east", "idp-1", actor="kim", reason="unknown person")

    assert (identity.status, identity.group_status, identity.decided_by) == (
        "rejected",
        "east#rejected",
        "kim",
    )
    [rejected] = events("east", "sso.rejected")
    assert rejected.details["note"] == "unknown person"
    assert [i.subject for i in linking.list_requests("east", "rejected")] == ["idp-1"]
    with pytest.raises(Conflict, match="declined"):
        linking.link("east", "idp-1", "dr.ada", actor="kim")
    assert users.get_user("dr.ada").sso_subject is None
    with pytest.raises(Conflict, match="already declined"):
        linking.reject("east", "idp-1", actor="kim")
    with pytest.raises(NotFound, match="No SSO request"):
        linking.reject("east", "idp-nobody", actor="kim")
    assert queued() == []


def test_a_linked_request_cannot_be_rejected(east):
    pending("idp-1")
    linking.link("east", "idp-1", "dr.ada", actor="kim")
    before = snapshot("east", "idp-1", "dr.ada")

    with pytest.raises(Conflict, match=r"already linked to dr\.ada"):
        linking.reject("east", "idp-1", actor="kim")

    assert snapshot("east", "idp-1", "dr.ada") == before
    assert events("east", "sso.reject")[0].outcome == "denied"


def test_unlink_then_the_identity_can_be_requested_and_linked_again(east):
    first = pending("idp-1")
    linking.link("east", "idp-1", "dr.ada", actor="kim")
    token, _ = sessions.create_session(users.get_user("dr.ada"), "saml")
    assert sessions.lookup(token) is not None

    linking.unlink("east", "idp-1", actor="kim")

    assert linking.find_request("east", "idp-1") is None
    assert users.get_user("dr.ada").sso_subject is None
    assert sessions.lookup(token) is None
    [unlinked] = events("east", "sso.unlinked")
    assert unlinked.details["username"] == "dr.ada"
    assert unlinked.details["sessions_revoked"] == "1"

    again = pending("idp-1")
    assert again.status == "pending" and again.requested_at > first.requested_at
    assert [i.subject for i in linking.list_requests("east")] == ["idp-1"]
    linking.link("east", "idp-1", "dr.ada", actor="kim")
    assert users.get_user("dr.ada").sso_subject == "idp-1"

    messages = queued()
    assert [m["subject"] for m in messages] == ["idp-1", "idp-1"]
    assert messages[0]["link_id"] != messages[1]["link_id"]


def test_unlink_refusals(east):
    pending("idp-1")
    with pytest.raises(Conflict, match="not linked yet"):
        linking.unlink("east", "idp-1", actor="kim")
    with pytest.raises(NotFound, match="No SSO request"):
        linking.unlink("east", "idp-nobody", actor="kim")
    linking.reject("east", "idp-1", actor="kim")
    with pytest.raises(Conflict, match="never linked"):
        linking.unlink("east", "idp-1", actor="kim")
    assert linking.get_request("east", "idp-1").status == "rejected"


def test_unlink_removes_an_identity_whose_user_no_longer_points_at_it(east):
    pending("idp-1")
    linking.link("east", "idp-1", "dr.ada", actor="kim")
    User("dr.ada").update(actions=[User.sso_subject.remove()])  # edited by hand

    linking.unlink("east", "idp-1", actor="kim")

    assert linking.find_request("east", "idp-1") is None
    assert events("east", "sso.unlinked")[0].details["user_record"] == "was not linked"


# --- requests -------------------------------------------------------------------------------


def test_list_requests_is_a_query_of_one_group_oldest_first(east, monkeypatch):
    from moto.dynamodb.models import DynamoDBBackend

    for subject in ("idp-1", "idp-2", "idp-3", "idp-4"):
        pending(subject)
    pending("idp-w", group="west")
    linking.link("east", "idp-3", "dr.ada", actor="kim")
    linking.reject("east", "idp-4", actor="kim")

    def no_scan(*args, **kwargs):
        raise AssertionError("listing requests must not Scan")

    monkeypatch.setattr(Identity, "scan", no_scan)
    monkeypatch.setattr(DynamoDBBackend, "scan", no_scan)

    assert [i.subject for i in linking.list_requests("east")] == ["idp-1", "idp-2"]
    assert [i.subject for i in linking.list_requests("east", "linked")] == ["idp-3"]
    assert [i.subject for i in linking.list_requests("east", "rejected")] == ["idp-4"]
    assert [i.subject for i in linking.list_requests("west")] == ["idp-w"]
    assert [i.subject for i in linking.list_requests("east", limit=1)] == ["idp-1"]
    assert linking.list_requests("nowhere") == []
    with pytest.raises(ServiceError, match="Status must be one of"):
        linking.list_requests("east", "approved")


def test_create_pending_twice_files_one_request(east):
    first = pending("idp-1", username="ada", email="ada@east.example")
    second = linking.create_pending("east", "idp-1", asserted(username="someone-else"))

    assert second.to_simple_dict() == first.to_simple_dict()
    assert second.asserted.username == "ada"
    assert [i.subject for i in Identity.query("east")] == ["idp-1"]
    [requested] = events("east", "sso.requested")
    assert requested.details["subject"] == "idp-1"


def test_create_pending_after_a_decision_returns_the_decision_unchanged(east):
    pending("idp-1")
    linking.link("east", "idp-1", "dr.ada", actor="kim")
    before = snapshot("east", "idp-1", "dr.ada")

    again = pending("idp-1")

    assert again.status == "linked"
    assert snapshot("east", "idp-1", "dr.ada") == before
    assert len(events("east", "sso.requested")) == 1


def test_concurrent_confirms_file_one_request(east, dynamodb_isolation):
    results = race(*[lambda: pending("idp-1", username="ada") for _ in range(3)])

    assert all(isinstance(r, Identity) for r in results), results
    assert len({r.requested_at for r in results}) == 1
    assert len(events("east", "sso.requested")) == 1


def test_get_request(east):
    pending("idp-1")
    assert linking.get_request("east", "idp-1").status == "pending"
    with pytest.raises(NotFound, match="No SSO request for the identity 'idp-1'"):
        linking.get_request("west", "idp-1")


def test_suggestions_prefer_email_then_username_then_name(east):
    users.create_user(NewUser("east", "alovelace", "other@east.example", "ADA", "lovelace"))
    users.create_user(NewUser("east", "ada", None, "Someone", "Else"))
    users.create_user(NewUser("east", "gone", "gone@east.example", "Ada", "Lovelace"))
    deactivate("gone")
    users.create_user(NewUser("east", "taken", "taken@east.example", "Ada", "Lovelace"))
    pending("idp-taken")
    linking.link("east", "idp-taken", "taken", actor="kim")
    identity = pending(
        "idp-1", username="ada", email="ADA@east.example", first_name="Ada", last_name="Lovelace"
    )

    suggested = [u.username for u in linking.suggest_users(identity)]

    # dr.ada: same email (and name); ada: same username; alovelace: same name only.
    # "gone" is inactive, "taken" already has an identity, "zed" is in another group.
    assert suggested == ["dr.ada", "ada", "alovelace"]
    nobody = pending("idp-2", email="nobody@east.example")
    assert linking.suggest_users(nobody) == []
