"""SPEC §3: usernames, emails, group slugs and email domains are unique within a stage, the
checks are atomic (a refused write changes nothing), and a group's users are listed by Query.
"""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, NotFound, ServiceError
from chalicelib.models import UniqueClaim, User
from chalicelib.services import groups, users
from chalicelib.services.users import NewUser


@pytest.fixture
def alpha(aws):
    return groups.create_group("alpha", "Alpha Practice", ["alpha.example"])


def _claims() -> dict[str, str]:
    return {claim.key: claim.owner for claim in UniqueClaim.scan()}


def test_duplicate_username_is_refused_and_changes_nothing(alpha):
    users.create_user(NewUser("alpha", "alice", "alice@alpha.example", "Alice", "Smith"))
    before = _claims()

    with pytest.raises(Conflict) as refused:
        users.create_user(NewUser("alpha", "Alice", "other@alpha.example", "Mallory", "X"))

    assert "username 'alice' is already taken" in refused.value.message
    kept = users.get_user("alice")
    assert (kept.first_name, kept.email) == ("Alice", "alice@alpha.example")
    # The email of the refused attempt was not claimed either (one transaction).
    assert _claims() == before
    assert users.username_for_email("other@alpha.example") is None


def test_duplicate_email_is_refused_whatever_its_case(alpha):
    users.create_user(NewUser("alpha", "alice", "alice@alpha.example", "Alice", "Smith"))

    with pytest.raises(Conflict) as refused:
        users.create_user(NewUser("alpha", "alice2", "  ALICE@Alpha.Example ", "Alice", "Two"))

    assert "alice@alpha.example already belongs to another user" in refused.value.message
    assert users.find_user("alice2") is None
    assert users.get_user("alice").first_name == "Alice"
    assert users.username_for_email("Alice@ALPHA.example") == "alice"


def test_unknown_group_is_refused_and_nothing_is_written(aws):
    with pytest.raises(NotFound) as refused:
        users.create_user(NewUser("nowhere", "bob", "bob@nowhere.example"))

    assert "no practice group 'nowhere'" in refused.value.message
    assert users.find_user("bob") is None
    assert users.username_for_email("bob@nowhere.example") is None


def test_duplicate_group_slug_is_refused_and_its_domains_stay_free(alpha):
    with pytest.raises(Conflict) as refused:
        groups.create_group("alpha", "Impostor", ["impostor.example"])

    assert "slug 'alpha' already exists" in refused.value.message
    assert groups.get_group("alpha").name == "Alpha Practice"
    assert groups.group_for_domain("impostor.example") is None


def test_an_email_domain_belongs_to_one_group_only(alpha):
    with pytest.raises(Conflict) as refused:
        groups.create_group("beta", "Beta Practice", ["beta.example", "ALPHA.example"])

    assert "alpha.example" in refused.value.message
    assert "beta.example" not in refused.value.message  # names only the domain that is taken
    assert groups.find_group("beta") is None
    assert groups.group_for_domain("alpha.example") == "alpha"
    assert groups.group_for_domain("beta.example") is None  # nothing half-written


def test_users_are_listed_per_group_by_index_query_never_scan(alpha, monkeypatch):
    groups.create_group("beta", "Beta Practice")
    users.create_user(NewUser("alpha", "alice"))
    users.create_user(NewUser("alpha", "adam"))
    users.create_user(NewUser("beta", "bella"))

    def no_scan(*args, **kwargs):
        raise AssertionError("listing a group's users must not Scan")

    monkeypatch.setattr(User, "scan", no_scan)
    monkeypatch.setattr(User.by_group, "scan", no_scan)
    queried = []
    real_query = User.by_group.query

    def spy(*args, **kwargs):
        queried.append(args[0] if args else kwargs.get("hash_key"))
        return real_query(*args, **kwargs)

    monkeypatch.setattr(User.by_group, "query", spy)

    assert [u.username for u in users.list_users("alpha")] == ["adam", "alice"]
    assert [u.username for u in users.list_users("beta")] == ["bella"]
    assert users.list_users("gamma") == []
    assert queried == ["alpha", "beta", "gamma"]


BAD_USERS = [
    ("a", None, None, "'a' cannot be a username"),
    ("bad name", None, None, "'bad name' cannot be a username"),
    ("-dash", None, None, "cannot be a username"),
    ("x" * 64, None, None, "cannot be a username"),
    ("carol", "not-an-email", None, "'not-an-email' is not an email address"),
    ("carol", "carol@localhost", None, "is not an email address"),
    ("carol", None, "short", "at least 10 characters"),
]


def test_bad_usernames_emails_and_weak_passwords_get_a_sentence(alpha):
    # One moto world for all cases: provisioning costs more than the checks.
    for username, email, password, complaint in BAD_USERS:
        with pytest.raises(ServiceError) as refused:
            users.create_user(NewUser("alpha", username, email, password=password))
        assert complaint in refused.value.message, (username, email, password)
        assert refused.value.status == 400
    assert list(User.by_group.query("alpha")) == []
    assert users.username_for_email("carol@localhost") is None


def test_unknown_role_is_refused(alpha):
    with pytest.raises(ServiceError) as refused:
        users.create_user(NewUser("alpha", "carol", role="root"))
    assert "Role must be one of admin, staff, support" in refused.value.message
    assert users.find_user("carol") is None


BAD_GROUPS = [
    ("Bad Slug", "Bad", [], "cannot be a group slug"),
    ("-edge", "Bad", [], "cannot be a group slug"),
    ("fine", "   ", [], "needs a name"),
    ("fine", "Fine", ["not a domain"], "is not an email domain"),
    ("fine", "Fine", ["@fine.example"], "is not an email domain"),
]


def test_bad_group_input_gets_a_sentence(aws):
    for slug, name, domains, complaint in BAD_GROUPS:
        with pytest.raises(ServiceError) as refused:
            groups.create_group(slug, name, domains)
        assert complaint in refused.value.message, (slug, name, domains)
    assert groups.find_group("fine") is None
    assert _claims() == {}


def test_a_password_is_stored_hashed_with_argon2id(alpha):
    users.create_user(NewUser("alpha", "dora", password="correct horse battery"))
    stored = User.get("dora").password_hash
    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
