"""The support CLI's `sso` area against moto in-process: list, link, reject, unlink."""

from __future__ import annotations

import json

import pytest

from chalicelib.models.identities import AssertedAttributes
from chalicelib.services import activation_queue, groups, linking, users
from chalicelib.services.users import NewUser
from supportcli.main import main


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    # The CLI defaults the local stage to the moto server; here moto runs in-process.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")
    activation_queue.clear_cache()
    yield
    activation_queue.clear_cache()


@pytest.fixture
def east(aws):
    groups.create_group("east", "East Practice")
    groups.create_group("west", "West Practice")
    users.create_user(NewUser("east", "dr.ada", "ada@east.example", "Ada", "Lovelace"))
    users.create_user(NewUser("west", "zed", "zed@west.example", "Zed", "West"))
    linking.create_pending(
        "east",
        "idp-ada",
        AssertedAttributes(
            unique_id="idp-ada",
            username="ada",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@east.example",
        ),
    )
    linking.create_pending("east", "idp-x", AssertedAttributes(email="x@elsewhere.example"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["--actor", "sam", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def messages() -> int:
    import boto3

    sqs = boto3.client("sqs", region_name="us-east-1")
    got = sqs.receive_message(QueueUrl=activation_queue.queue_url(), MaxNumberOfMessages=10)
    return len(got.get("Messages", []))


def test_requests_lists_pending_with_suggestions(east, capsys):
    code, out, _ = run(capsys, "sso", "requests", "east")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("SUBJECT") and "SUGGESTED USERS" in lines[0]
    [ada] = [line for line in lines if line.startswith("idp-ada")]
    assert "Ada Lovelace" in ada and "ada@east.example" in ada and ada.endswith("dr.ada")
    [other] = [line for line in lines if line.startswith("idp-x")]
    assert other.endswith(" -")

    code, out, _ = run(capsys, "sso", "requests", "east", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["subject"] for r in rows] == ["idp-ada", "idp-x"]
    assert rows[0]["suggested_users"] == ["dr.ada"]
    assert rows[0]["asserted"]["username"] == "ada" and rows[0]["status"] == "pending"

    code, out, _ = run(capsys, "sso", "requests", "west")
    assert (code, out) == (0, "No pending SSO requests in west.\n")


def test_link_reject_and_unlink(east, capsys):
    code, out, _ = run(capsys, "sso", "link", "east", "idp-ada", "dr.ada")
    assert code == 0
    assert out == "Linked idp-ada to dr.ada in east; the activation email is queued.\n"
    assert users.get_user("dr.ada").sso_subject == "idp-ada"
    assert messages() == 1
    assert linking.get_request("east", "idp-ada").decided_by == "sam"

    code, out, _ = run(capsys, "sso", "requests", "east", "--status", "linked")
    assert code == 0 and "dr.ada by sam" in out

    code, out, _ = run(capsys, "sso", "reject", "east", "idp-x", "--reason", "unknown")
    assert (code, out) == (0, "Declined the SSO request of idp-x in east.\n")
    assert linking.get_request("east", "idp-x").status == "rejected"

    code, out, _ = run(capsys, "sso", "unlink", "east", "idp-ada")
    assert code == 0 and out.startswith("Unlinked idp-ada in east;") and out.count("\n") == 1
    assert linking.find_request("east", "idp-ada") is None
    assert users.get_user("dr.ada").sso_subject is None

    code, out, _ = run(capsys, "sso", "requests", "east", "--json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("sso", "link", "east", "idp-ada", "zed"), "zed belongs to another practice group."),
        (("sso", "link", "east", "idp-nobody", "dr.ada"), "No SSO request for that identity"),
        (("sso", "link", "east", "idp-ada", "ghost"), "There is no user 'ghost'."),
        (("sso", "unlink", "east", "idp-ada"), "not linked yet"),
        (("sso", "requests", "nowhere"), "There is no practice group 'nowhere'."),
        (("sso", "requeue-activation", "east", "idp-ada"), "not linked"),
    ],
)
def test_refusals_print_one_line_and_exit_1(east, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert "west" not in err.lower()
    assert linking.get_request("east", "idp-ada").status == "pending"
    assert users.get_user("dr.ada").sso_subject is None
    assert messages() == 0


def test_linking_twice_is_refused(east, capsys):
    assert run(capsys, "sso", "link", "east", "idp-ada", "dr.ada")[0] == 0
    code, _, err = run(capsys, "sso", "link", "east", "idp-ada", "dr.ada")
    assert (code, err) == (1, "error: This request was already linked to dr.ada.\n")
    assert messages() == 1
