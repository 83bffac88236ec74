"""SSO requests and links (SPEC §1 journey steps 4-6, §3, §4 item 9).

An identity is the pair (group, IdP subject). Confirming it on the SSO page files a
``pending`` request; the group's admin (or support, through the CLI) links it to an active
user of the same group, or rejects it. The guarantees hold by DynamoDB conditions checked in
one transaction, never by reading first:

- only a pending request can be linked or rejected (the identity's condition);
- only to an existing, active user of the request's group (the user's condition);
- each side at most once: the identity leaves ``pending`` and the user gains ``sso_subject``
  in the same transaction, which fails if the user already has one.

Nothing is decided by reading: reads serve to word a refusal in terms a person can act on
and, for ``unlink``, to find which user to clear (the transaction then checks both sides).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError

from chalicelib.clock import now
from chalicelib.errors import Busy, Conflict, Forbidden, NotFound, ServiceError
from chalicelib.models.base import (
    CONDITION_FAILED,
    TRANSACTION_ATTEMPTS,
    cancellation_codes,
    write_transaction,
)
from chalicelib.models.identities import STATUSES, AssertedAttributes, Identity, group_status_key
from chalicelib.models.users import User
from chalicelib.services import activation_queue, audit, sessions, users

NO_REQUEST = "No SSO request for that identity in this group."


# --- reading --------------------------------------------------------------------------------


def list_requests(group_slug: str, status: str = "pending", limit: int = 100) -> list[Identity]:
    """One group's requests in one status, oldest first: a Query on the by-group-status index."""
    if status not in STATUSES:
        raise ServiceError(f"Status must be one of {', '.join(STATUSES)}, not '{status}'.")
    return list(
        Identity.by_group_status.query(
            group_status_key(group_slug, status), scan_index_forward=True, limit=limit
        )
    )


def find_request(group_slug: str, subject: str) -> Identity | None:
    try:
        return Identity.get(group_slug, subject, consistent_read=True)
    except DoesNotExist:
        return None


def get_request(group_slug: str, subject: str) -> Identity:
    identity = find_request(group_slug, subject)
    if identity is None:
        raise NotFound(f"No SSO request for the identity '{subject}' in the group {group_slug}.")
    return identity


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def suggest_users(identity: Identity, candidates: Iterable[User] | None = None) -> list[User]:
    """Users of the identity's group it likely belongs to, best first.

    Only active users without an SSO identity qualify. Same email first, then the same
    username as asserted, then the same first and last name (all case-insensitive).
    ``candidates`` lets a caller listing many requests query the group's users once.
    """
    pool = list(users.list_users(identity.group_slug) if candidates is None else candidates)
    free = [
        u for u in pool if u.group_slug == identity.group_slug and u.active and not u.sso_subject
    ]
    asserted = identity.asserted or AssertedAttributes()
    rules = (
        lambda u: _same(u.email, asserted.email),
        lambda u: _same(u.username, asserted.username),
        lambda u: (
            _same(u.first_name, asserted.first_name) and _same(u.last_name, asserted.last_name)
        ),
    )
    ordered: list[User] = []
    for rule in rules:
        ordered += [u for u in free if rule(u) and u not in ordered]
    return ordered


# --- filing a request -----------------------------------------------------------------------


def create_pending(
    group_slug: str,
    subject: str,
    asserted: AssertedAttributes,
    *,
    client_ip: str | None = None,
) -> Identity:
    """File a pending request for (group, subject), or return the one that exists already.

    The put is conditional on the subject being new in the group, so a double-clicked
    Confirm (or two tabs) files one request; the existing item is returned unchanged,
    whatever its status.
    """
    requested_at = now()
    identity = Identity(
        group_slug,
        subject,
        status="pending",
        group_status=group_status_key(group_slug, "pending"),
        asserted=asserted,
        requested_at=requested_at,
    )
    for _attempt in range(TRANSACTION_ATTEMPTS):
        try:
            identity.save(condition=Identity.subject.does_not_exist())
            break
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            existing = find_request(group_slug, subject)
            if existing is not None:
                return existing
            # It existed a moment ago and is gone (unlinked meanwhile): file it afresh.
    else:
        raise Conflict("Your request could not be filed just now; please confirm again.")
    audit.record(
        "sso.requested",
        "success",
        group_slug=group_slug,
        client_ip=client_ip,
        subject=subject,
        asserted_username=asserted.username or None,
        asserted_email=asserted.email or None,
    )
    return identity


# --- deciding -------------------------------------------------------------------------------


def _old_item(exc: TransactWriteError, index: int) -> dict[str, Any] | None:
    reasons = exc.cancellation_reasons or []
    reason = reasons[index] if index < len(reasons) else None
    return reason.raw_item if reason is not None else None


def _identity_after_failure(
    exc: TransactWriteError, index: int, group_slug: str, subject: str
) -> Identity | None:
    raw = _old_item(exc, index)
    if raw:
        return Identity.from_raw_data(raw)
    return find_request(group_slug, subject)


def _user_after_failure(exc: TransactWriteError, index: int, username: str) -> User | None:
    raw = _old_item(exc, index)
    if raw:
        return User.from_raw_data(raw)
    return users.find_user(username)


def _not_pending(identity: Identity | None) -> tuple[ServiceError, str]:
    """Why a request that is not pending cannot be decided: (error, audit reason)."""
    if identity is None:
        return NotFound(NO_REQUEST), "no_request"
    if identity.status == "linked":
        who = identity.linked_username or "a user"
        return Conflict(f"This request was already linked to {who}."), "already_linked"
    if identity.status == "rejected":
        by = f" by {identity.decided_by}" if identity.decided_by else ""
        return (
            Conflict(f"This request was declined{by}; a declined request cannot be linked."),
            "rejected",
        )
    return Conflict("This request changed while you decided; reload and try again."), "changed"


def _user_refusal(user: User | None, username: str, group_slug: str) -> tuple[ServiceError, str]:
    """Why a user cannot take an SSO identity in this group: (error, audit reason)."""
    if user is None:
        return NotFound(f"There is no user '{username}'."), "no_user"
    if user.group_slug != group_slug:
        # Never name the other group: the admin of this one has no business knowing it.
        return Forbidden(f"{username} belongs to another practice group."), "other_group"
    if not user.active:
        return Conflict(f"{username} is not active."), "inactive_user"
    if user.sso_subject:
        return (
            Conflict(
                f"{username} is already linked to another SSO identity; unlink that one first."
            ),
            "user_already_linked",
        )
    return Conflict(f"{username} changed while you linked; try again."), "changed"


def _deny(event: str, group_slug: str, actor: str | None, reason: str, **details: Any) -> None:
    audit.record(event, "denied", group_slug=group_slug, actor=actor, reason=reason, **details)


def link(group_slug: str, subject: str, username: str, *, actor: str | None) -> Identity:
    """Link a pending request to an active user of the same group; queue one activation email.

    One transaction: the identity goes from ``pending`` to ``linked`` and the user gains
    ``sso_subject``, or nothing changes. Two simultaneous clicks link once and queue one
    message, because the second transaction finds the identity no longer pending.
    """
    username = username.strip().lower()
    decided_at = now()

    def build(tx) -> None:
        tx.update(
            Identity(group_slug, subject),
            actions=[
                Identity.status.set("linked"),
                Identity.group_status.set(group_status_key(group_slug, "linked")),
                Identity.linked_username.set(username),
                Identity.decided_by.set(actor or "unknown"),
                Identity.decided_at.set(decided_at),
            ],
            condition=Identity.status == "pending",
            return_values="ALL_OLD",
        )
        tx.update(
            User(username),
            actions=[User.sso_subject.set(subject)],
            condition=(User.group_slug == group_slug)
            & (User.active == True)  # noqa: E712 (a DynamoDB condition, not a bool)
            & User.sso_subject.does_not_exist(),
            return_values="ALL_OLD",
        )

    try:
        write_transaction(build)
    except Busy:
        _deny("sso.link", group_slug, actor, "busy", subject=subject, username=username)
        raise
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes and codes[0] == CONDITION_FAILED:
            identity = _identity_after_failure(exc, 0, group_slug, subject)
            error, reason = _not_pending(identity)
        elif len(codes) > 1 and codes[1] == CONDITION_FAILED:
            user = _user_after_failure(exc, 1, username)
            error, reason = _user_refusal(user, username, group_slug)
        else:
            raise
        _deny("sso.link", group_slug, actor, reason, subject=subject, username=username)
        raise error from None

    audit.record(
        "sso.linked",
        "success",
        group_slug=group_slug,
        actor=actor,
        subject=subject,
        username=username,
    )
    _queue_activation(group_slug, username, subject, decided_at, actor=actor)
    return get_request(group_slug, subject)


def _queue_activation(
    group_slug: str, username: str, subject: str, linked_at: datetime, *, actor: str | None
) -> str:
    try:
        message_id = activation_queue.enqueue_activation(group_slug, username, subject, linked_at)
    except (BotoCoreError, ClientError) as exc:
        audit.record(
            "sso.activation_queued",
            "failure",
            group_slug=group_slug,
            actor=actor,
            reason=type(exc).__name__,
            subject=subject,
            username=username,
        )
        raise ServiceError(
            f"The request is linked to {username}, but the activation email could not be "
            "queued; queue it again (requeue activation) once the email queue is reachable."
        ) from None
    audit.record(
        "sso.activation_queued",
        "success",
        group_slug=group_slug,
        actor=actor,
        subject=subject,
        username=username,
        message_id=message_id,
        link_id=activation_queue.link_id(group_slug, subject, linked_at),
    )
    return message_id


def requeue_activation(group_slug: str, subject: str, *, actor: str | None) -> str:
    """Queue a linked identity's activation message again (after a failed enqueue).

    The message carries the same ``link_id`` as the first one, so the email consumer sends
    at most one email for the link even if the first message did get through.
    """
    identity = get_request(group_slug, subject)
    if identity.status != "linked" or not identity.linked_username or not identity.decided_at:
        raise Conflict("This request is not linked; there is no activation email to send.")
    return _queue_activation(
        group_slug, identity.linked_username, subject, identity.decided_at, actor=actor
    )


def reject(
    group_slug: str, subject: str, *, actor: str | None, reason: str | None = None
) -> Identity:
    """Decline a pending request; it can no longer be linked."""
    identity = Identity(group_slug, subject)
    try:
        identity.update(
            actions=[
                Identity.status.set("rejected"),
                Identity.group_status.set(group_status_key(group_slug, "rejected")),
                Identity.decided_by.set(actor or "unknown"),
                Identity.decided_at.set(now()),
            ],
            condition=Identity.status == "pending",
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        error, why = _not_pending(find_request(group_slug, subject))
        if why == "rejected":
            error = Conflict("This request was already declined.")
        _deny("sso.reject", group_slug, actor, why, subject=subject)
        raise error from None
    audit.record(
        "sso.rejected",
        "success",
        group_slug=group_slug,
        actor=actor,
        subject=subject,
        note=(reason or "").strip() or None,
    )
    return identity


def unlink(group_slug: str, subject: str, *, actor: str | None) -> None:
    """Undo a link: delete the identity and clear the user's ``sso_subject`` in one transaction.

    The next SSO login with that identity asks the person to confirm again (a new pending
    request). All of the user's sessions are revoked as well, password sessions included:
    sessions do not record which identity they came from, and a clean sign-in is the safe
    outcome of an admin saying "this identity is not that person".
    """
    identity = get_request(group_slug, subject)
    if identity.status != "linked" or not identity.linked_username:
        _deny("sso.unlink", group_slug, actor, f"status_{identity.status}", subject=subject)
        if identity.status == "pending":
            raise Conflict("This request is not linked yet; there is nothing to unlink.")
        raise Conflict("This request was declined; it was never linked.")
    username = identity.linked_username
    still_linked_to_user = (Identity.status == "linked") & (Identity.linked_username == username)
    user_side = "cleared"

    def build(tx) -> None:
        tx.delete(Identity(group_slug, subject), condition=still_linked_to_user)
        tx.update(
            User(username),
            actions=[User.sso_subject.remove()],
            condition=User.sso_subject == subject,
        )

    try:
        write_transaction(build)
    except Busy:
        _deny("sso.unlink", group_slug, actor, "busy", subject=subject)
        raise
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes and codes[0] == CONDITION_FAILED:
            # Someone unlinked (or relinked) it in the meantime.
            _deny("sso.unlink", group_slug, actor, "changed", subject=subject)
            raise Conflict(
                "This identity changed while you unlinked it; reload and check."
            ) from None
        if len(codes) > 1 and codes[1] == CONDITION_FAILED:
            # The user no longer points at this identity (deleted or edited by hand):
            # nothing to clear there, but the identity must still go.
            _delete_identity_only(group_slug, subject, still_linked_to_user, actor)
            user_side = "was not linked"
        else:
            raise
    revoked = sessions.revoke_all_for_user(username)
    audit.record(
        "sso.unlinked",
        "success",
        group_slug=group_slug,
        actor=actor,
        subject=subject,
        username=username,
        user_record=user_side,
        sessions_revoked=str(revoked),
    )


def _delete_identity_only(group_slug: str, subject: str, condition: Any, actor: str | None) -> None:
    try:
        Identity(group_slug, subject).delete(condition=condition)
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        _deny("sso.unlink", group_slug, actor, "changed", subject=subject)
        raise Conflict("This identity changed while you unlinked it; reload and check.") from None
