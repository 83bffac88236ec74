"""The support CLI against moto in-process: clear one-line refusals that change nothing."""

from __future__ import annotations

import io

import pytest

from supportcli.main import main

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    # The CLI defaults the local stage to the moto server; here moto runs in-process.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "")


def run(capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def test_group_and_users(capsys):
    assert (
        run(
            capsys, "group", "create", "east", "--name", "East Practice", "--domain", "east.example"
        )[0]
        == 0
    )
    code, out, _ = run(
        capsys,
        "user",
        "add",
        "east",
        "kim",
        "--email",
        "kim@east.example",
        "--role",
        "admin",
        "--password-stdin",
        stdin="kim-password-1\n",
    )
    assert code == 0 and "Created admin kim in east, with a password" in out
    code, out, _ = run(capsys, "user", "add", "east", "lee")
    assert code == 0 and "without a password" in out
    code, out, _ = run(capsys, "user", "list", "east")
    assert code == 0 and "kim" in out and "lee" in out
    code, out, _ = run(capsys, "group", "show", "east")
    assert code == 0 and '"east.example"' in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("user", "add", "nowhere", "sam"), "There is no practice group 'nowhere'."),
        (("user", "list", "nowhere"), "There is no practice group 'nowhere'."),
        (("group", "show", "nowhere"), "There is no practice group 'nowhere'."),
        (("group", "create", "Not A Slug", "--name", "x"), "cannot be a group slug"),
        (("user", "add", "west", "bad name!"), "cannot be a username"),
        (("user", "add", "west", "sam", "--email", "not-an-email"), "is not an email address"),
        (
            ("group", "set-idp", "west", "--metadata", "/nonexistent.xml"),
            "Cannot read the metadata file",
        ),
    ],
)
def test_bad_input_gets_one_line_and_nonzero_exit(capsys, argv, message):
    assert run(capsys, "group", "create", "west", "--name", "West")[0] == 0
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert message in err and err.count("\n") == 1


def test_duplicate_username_changes_nothing(capsys):
    run(capsys, "group", "create", "west", "--name", "West")
    run(capsys, "user", "add", "west", "sam", "--email", "sam@west.example", "--first-name", "Sam")
    code, _, err = run(
        capsys,
        "user",
        "add",
        "west",
        "sam",
        "--email",
        "other@west.example",
        "--first-name",
        "Impostor",
    )
    assert code == 1 and "already taken" in err
    from chalicelib.services import users

    assert users.get_user("sam").first_name == "Sam"
    assert users.username_for_email("other@west.example") is None


def test_unreadable_metadata_leaves_the_idp_as_it_was(capsys, tmp_path):
    run(capsys, "group", "create", "west", "--name", "West")
    bad = tmp_path / "idp.xml"
    bad.write_text("<EntityDescriptor><broken")
    code, _, err = run(capsys, "group", "set-idp", "west", "--metadata", str(bad))
    assert code == 1 and "could not be read as SAML metadata" in err
    from chalicelib.services import groups

    assert groups.get_group("west").idp is None


def test_unknown_stage(capsys):
    code, _, err = run(capsys, "--stage", "moon", "group", "show", "x")
    assert code == 2 and "Unknown stage 'moon'" in err


def test_bad_attribute_mapping_is_one_line(capsys):
    run(capsys, "group", "create", "west", "--name", "West")
    code, _, err = run(
        capsys,
        "group",
        "set-idp",
        "west",
        "--entity-id",
        "https://idp.example/x",
        "--sso-url",
        "https://idp.example/sso",
        "--map",
        "unique_id",
    )
    assert code == 1 and "--map takes FIELD=ATTRIBUTE" in err and err.count("\n") == 1


def test_unreachable_stage_is_one_line():
    import os
    import subprocess
    import sys

    env = {**os.environ, "AWS_MAX_ATTEMPTS": "1", "AWS_ENDPOINT_URL": ""}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "supportcli",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "group",
            "show",
            "west",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: the local stage's AWS services")
    assert done.stderr.count("\n") == 1
