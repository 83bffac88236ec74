"""Demo data for the local stack: one practice group, its admin and a few staff members."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from chalicelib.errors import Conflict
from chalicelib.services import groups, users

DEMO_GROUP = "demo-clinic"
DEMO_GROUP_NAME = "Demo Clinic"
DEMO_DOMAIN = "demo-clinic.example"

DEMO_USERS = (
    users.NewUser(DEMO_GROUP, "demo.admin", f"admin@{DEMO_DOMAIN}", "Dana", "Admin", None, "admin"),
    # The same people (and emails) as the demo identity provider's staff list.
    users.NewUser(DEMO_GROUP, "dr.ada", f"ada.lovelace@{DEMO_DOMAIN}", "Ada", "Lovelace"),
    users.NewUser(DEMO_GROUP, "nurse.grace", f"grace.hopper@{DEMO_DOMAIN}", "Grace", "Hopper"),
    users.NewUser(DEMO_GROUP, "front.desk.alan", f"alan.turing@{DEMO_DOMAIN}", "Alan", "Turing"),
)


@dataclass
class SeedResult:
    group: str
    passwords: dict[str, str] = field(default_factory=dict)


def seed(password: str | None = None) -> SeedResult:
    """Create the demo group and users unless they exist; returns the passwords it set."""
    result = SeedResult(DEMO_GROUP)
    try:
        groups.create_group(DEMO_GROUP, DEMO_GROUP_NAME, [DEMO_DOMAIN], actor="seed")
    except Conflict:
        return result  # already seeded: leave it as it is
    for template in DEMO_USERS:
        chosen = password or secrets.token_urlsafe(9)
        new = users.NewUser(**{**template.__dict__, "password": chosen})
        users.create_user(new, actor="seed")
        result.passwords[new.username] = chosen
    return result


def connect_demo_idp(idp_metadata_xml: str) -> bool:
    """Point the demo group at the demo identity provider, unless it has an IdP already."""
    from chalicelib.saml.idp_config import build_idp_settings, fields_from_metadata

    if groups.get_group(DEMO_GROUP).idp is not None:
        return False
    fields = fields_from_metadata(idp_metadata_xml)
    fields.name_id_format = "emailAddress"
    groups.set_idp(DEMO_GROUP, build_idp_settings(fields), actor="seed")
    return True
