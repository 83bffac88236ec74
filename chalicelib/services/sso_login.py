"""SP-initiated SSO: start a login, answer the ACS, and the one-time identity confirmation.

The ACS path does at most four DynamoDB calls: read the group, read the identity, read the
linked user (only when linked), then one transaction that answers the AuthnRequest, marks the
assertion seen, writes the session or the confirmation token, and the audit record together.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.clock import now
from chalicelib.config import settings
from chalicelib.errors import NotFound
from chalicelib.models.base import cancellation_codes, transact_write
from chalicelib.models.groups import Group
from chalicelib.models.identities import AssertedAttributes, Identity
from chalicelib.models.security import AuthnRequestRecord, ConfirmationToken, SeenAssertion
from chalicelib.models.users import User
from chalicelib.saml import sp_settings
from chalicelib.saml.reasons import Reason, SamlRejected
from chalicelib.saml.validate import ValidatedAssertion, validate_response
from chalicelib.services import audit, sessions
from chalicelib.web.http import safe_next

AUTHN_REQUEST_TTL = timedelta(minutes=10)
CONFIRM_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class AcsResult:
    """What the ACS decided: ``signed_in``, ``confirm``, ``pending`` or ``rejected``."""

    outcome: str
    group: Group
    redirect_to: str
    session_token: str | None = None
    confirm_token: str | None = None


def group_with_idp(slug: str) -> Group:
    try:
        group = Group.get(slug)
    except DoesNotExist:
        raise NotFound(f"There is no practice group '{slug}'.") from None
    if group.idp is None:
        raise SamlRejected(Reason.NOT_CONFIGURED, f"group {slug} has no IdP")
    return group


def start_login(slug: str, next_path: str | None = None) -> str:
    """The IdP URL to send the browser to; the AuthnRequest ID is stored, one-time, with TTL."""
    from onelogin.saml2.auth import OneLogin_Saml2_Auth

    group = group_with_idp(slug)
    auth = OneLogin_Saml2_Auth(
        sp_settings.request_data(f"/saml/{slug}/login"), old_settings=sp_settings.build(group)
    )
    # Never an empty RelayState: some IdPs drop it and then fail the request's signature.
    url = auth.login(return_to=safe_next(next_path, "") or settings().home_url)
    record = AuthnRequestRecord(
        AuthnRequestRecord.key(auth.get_last_request_id()),
        group_slug=slug,
        expires_at=now() + AUTHN_REQUEST_TTL,
    )
    record.save(condition=AuthnRequestRecord.pk.does_not_exist())
    return url


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _find_identity(slug: str, subject: str) -> Identity | None:
    try:
        return Identity.get(slug, subject)
    except DoesNotExist:
        return None


def _linked_user(identity: Identity, slug: str, subject: str) -> User:
    try:
        user = User.get(identity.linked_username or "")
    except DoesNotExist:
        raise SamlRejected(Reason.ACCOUNT_INACTIVE, "linked user no longer exists") from None
    if not user.active or user.group_slug != slug or user.sso_subject != subject:
        raise SamlRejected(Reason.ACCOUNT_INACTIVE, f"user {user.username} inactive or relinked")
    return user


def _asserted_details(assertion: ValidatedAssertion) -> dict[str, str]:
    """What the IdP asserted, for the admin's diagnostics (only ever from a verified response)."""
    details = {f"asserted_{k}": v for k, v in assertion.asserted.items() if v}
    return {"subject": assertion.subject, **details}


def _record_failure(slug: str, rejected: SamlRejected, client_ip: str, **details: str) -> None:
    audit.record(
        "saml.acs",
        "failure",
        group_slug=slug,
        reason=rejected.reason.code,
        client_ip=client_ip,
        detail=rejected.detail,
        **details,
    )


def handle_acs(
    slug: str, saml_response: str | None, relay_state: str | None, client_ip: str
) -> AcsResult:
    group = group_with_idp(slug)
    try:
        assertion = validate_response(group, saml_response)
    except SamlRejected as rejected:
        _record_failure(slug, rejected, client_ip)
        raise
    identity = _find_identity(slug, assertion.subject)
    user = None
    if identity is not None and identity.status == "linked":
        try:
            user = _linked_user(identity, slug, assertion.subject)
        except SamlRejected as rejected:
            _record_failure(slug, rejected, client_ip, **_asserted_details(assertion))
            raise
    return _commit(group, assertion, identity, user, relay_state, client_ip)


def _commit(
    group: Group,
    assertion: ValidatedAssertion,
    identity: Identity | None,
    user: User | None,
    relay_state: str | None,
    client_ip: str,
) -> AcsResult:
    slug = group.slug
    pending_page = f"/saml/{slug}/pending"
    result: AcsResult
    with_request = assertion.in_response_to is not None
    try:
        with transact_write() as tx:
            if with_request:
                tx.delete(
                    AuthnRequestRecord(AuthnRequestRecord.key(assertion.in_response_to)),
                    condition=AuthnRequestRecord.pk.exists()
                    & (AuthnRequestRecord.group_slug == slug)
                    # DynamoDB's TTL deletes lazily: an expired request must not count.
                    & (AuthnRequestRecord.expires_at > now()),
                )
            tx.save(
                SeenAssertion(
                    SeenAssertion.key(slug, assertion.assertion_id),
                    expires_at=assertion.keep_until,
                ),
                condition=SeenAssertion.pk.does_not_exist(),
            )
            if user is not None:
                token, item = sessions.new_session(user, "saml")
                item.name_id = assertion.name_id
                tx.save(item, condition=sessions.Session.token_hash.does_not_exist())
                target = safe_next(relay_state, settings().home_url)
                result = AcsResult("signed_in", group, target, session_token=token)
                outcome, reason, actor = "success", "signed_in", user.username
            elif identity is None:
                token = secrets.token_urlsafe(32)
                tx.save(
                    ConfirmationToken(
                        ConfirmationToken.key(_hash(token)),
                        group_slug=slug,
                        subject=assertion.subject,
                        asserted=AssertedAttributes(**assertion.asserted),
                        expires_at=now() + CONFIRM_TTL,
                    ),
                    condition=ConfirmationToken.pk.does_not_exist(),
                )
                result = AcsResult("confirm", group, f"/saml/{slug}/confirm", confirm_token=token)
                outcome, reason, actor = "failure", "not_linked", None
            elif identity.status == "rejected":
                result = AcsResult("rejected", group, f"/saml/{slug}/declined")
                outcome, reason, actor = "failure", "rejected", None
            else:
                result = AcsResult("pending", group, pending_page)
                outcome, reason, actor = "failure", "pending", None
            tx.save(
                audit.build_event(
                    "saml.acs",
                    outcome,
                    group_slug=slug,
                    reason=reason,
                    actor=actor,
                    client_ip=client_ip,
                    **_asserted_details(assertion),
                )
            )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        seen_index = 1 if with_request else 0
        if len(codes) > seen_index and codes[seen_index] in (
            "ConditionalCheckFailed",
            "TransactionConflict",  # the same assertion posted twice at once
        ):
            rejected = SamlRejected(Reason.REPLAY, f"assertion {assertion.assertion_id} seen")
        elif with_request and codes and codes[0] == "ConditionalCheckFailed":
            rejected = SamlRejected(
                Reason.UNSOLICITED, "InResponseTo is not an outstanding request of this group"
            )
        else:
            raise
        _record_failure(slug, rejected, client_ip, **_asserted_details(assertion))
        raise rejected from None
    return result


@dataclass(frozen=True)
class PendingConfirmation:
    group: Group
    subject: str
    asserted: AssertedAttributes


def read_confirmation(slug: str, token: str | None) -> PendingConfirmation | None:
    """The identity awaiting confirmation behind this browser's one-time token, if any."""
    if not token or len(token) > 128:
        return None
    try:
        item = ConfirmationToken.get(ConfirmationToken.key(_hash(token)))
    except DoesNotExist:
        return None
    if item.group_slug != slug or item.expires_at <= now():
        return None
    return PendingConfirmation(Group.get(slug), item.subject, item.asserted)


def confirm(slug: str, token: str | None, client_ip: str) -> Identity | None:
    """Turn a confirmation into a pending SSO request; the token works once."""
    from pynamodb.exceptions import DeleteError

    from chalicelib.services import linking

    pending = read_confirmation(slug, token)
    if pending is None or token is None:
        return None
    try:
        ConfirmationToken(ConfirmationToken.key(_hash(token))).delete(
            condition=ConfirmationToken.pk.exists()
        )
    except DeleteError:
        return None  # a second click raced us here: the first one filed the request
    return linking.create_pending(slug, pending.subject, pending.asserted, client_ip=client_ip)
