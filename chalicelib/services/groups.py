"""Practice groups: create, read, and keep their verified email domains unique."""

from __future__ import annotations

import re

from pynamodb.exceptions import DoesNotExist, TransactWriteError

from chalicelib.clock import now
from chalicelib.errors import Conflict, NotFound, ServiceError
from chalicelib.models.base import CONDITION_FAILED, cancellation_codes, write_transaction
from chalicelib.models.groups import Group, IdpSettings
from chalicelib.models.uniques import UniqueClaim
from chalicelib.services import audit

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _check_slug(slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise ServiceError(
            f"'{slug}' cannot be a group slug: use lowercase letters, digits and hyphens "
            "(it appears in the group's SAML URLs)."
        )


def normalise_domain(domain: str) -> str:
    value = domain.strip().lower()
    if not DOMAIN_RE.match(value):
        raise ServiceError(f"'{domain}' is not an email domain such as example.org.")
    return value


def get_group(slug: str) -> Group:
    try:
        return Group.get(slug)
    except DoesNotExist:
        raise NotFound(f"There is no practice group '{slug}'.") from None


def find_group(slug: str) -> Group | None:
    try:
        return Group.get(slug)
    except DoesNotExist:
        return None


def create_group(
    slug: str, name: str, domains: list[str] | None = None, *, actor: str | None = None
) -> Group:
    slug = slug.strip().lower()
    _check_slug(slug)
    if not name.strip():
        raise ServiceError("A group needs a name that people will recognise.")
    clean_domains = sorted({normalise_domain(d) for d in domains or []})
    group = Group(slug, name=name.strip(), email_domains=clean_domains, created_at=now())

    def build(tx) -> None:
        tx.save(group, condition=Group.slug.does_not_exist())
        for domain in clean_domains:
            claim = UniqueClaim(UniqueClaim.domain(domain), owner=slug)
            tx.save(claim, condition=UniqueClaim.key.does_not_exist())

    try:
        write_transaction(build)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if codes and codes[0] == CONDITION_FAILED:
            raise Conflict(f"A group with the slug '{slug}' already exists.") from None
        taken = [
            domain
            for domain, code in zip(clean_domains, codes[1:], strict=False)
            if code == CONDITION_FAILED
        ]
        if taken:
            raise Conflict(
                "Another practice group has already verified the email domain "
                + ", ".join(taken)
                + "; a domain can belong to one group only."
            ) from None
        raise
    audit.record("group.created", "success", group_slug=slug, actor=actor, name=name)
    return group


def set_idp(slug: str, idp: IdpSettings, *, actor: str | None = None) -> Group:
    group = get_group(slug)
    group.update(actions=[Group.idp.set(idp)], condition=Group.slug.exists())
    audit.record(
        "group.idp_changed",
        "success",
        group_slug=slug,
        actor=actor,
        entity_id=idp.entity_id,
        certificates=str(len(idp.certificates)),
    )
    return group


def group_for_domain(domain: str) -> str | None:
    try:
        return UniqueClaim.get(UniqueClaim.domain(domain)).owner
    except DoesNotExist:
        return None
