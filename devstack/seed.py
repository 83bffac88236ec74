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
    users.NewUser(DEMO_GROUP, "dr.ada", f"ada@{DEMO_DOMAIN}", "Ada", "Lovelace", "+1 555 0101"),
    users.NewUser(DEMO_GROUP, "nurse.grace", f"grace@{DEMO_DOMAIN}", "Grace", "Hopper"),
    users.NewUser(DEMO_GROUP, "front.desk.alan", f"alan@{DEMO_DOMAIN}", "Alan", "Turing"),
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
