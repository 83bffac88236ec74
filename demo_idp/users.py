"""Demo staff known to the demo IdP, and the SAML attributes asserted for them.

Attributes sent for every user (``NameFormat`` basic, one value each):

==============  =====================================================================
``uid``         stable unique id of the person at the IdP (never reassigned)
``username``    the person's login name at the IdP (e.g. ``dr.ada``)
``firstName``   given name
``lastName``    family name
``email``       email address
``phone``       phone number (omitted when empty)
==============  =====================================================================

The same values are also sent under well-known URIs (``NameFormat`` uri), as real IdPs do:
``urn:oid:2.5.4.42`` (givenName), ``urn:oid:2.5.4.4`` (sn),
``urn:oid:0.9.2342.19200300.100.1.3`` (mail), ``urn:oid:2.5.4.20`` (telephoneNumber) and the
WS-Federation claim URIs ``http://schemas.xmlsoap.org/ws/2005/05/identity/claims/{givenname,
surname,emailaddress}`` used by Entra ID and ADFS.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

ATTR_UID = "uid"
ATTR_USERNAME = "username"
ATTR_FIRST_NAME = "firstName"
ATTR_LAST_NAME = "lastName"
ATTR_EMAIL = "email"
ATTR_PHONE = "phone"

# (uri, friendly name, DemoUser field)
URI_ATTRIBUTES: tuple[tuple[str, str, str], ...] = (
    ("urn:oid:2.5.4.42", "givenName", "first_name"),
    ("urn:oid:2.5.4.4", "sn", "last_name"),
    ("urn:oid:0.9.2342.19200300.100.1.3", "mail", "email"),
    ("urn:oid:2.5.4.20", "telephoneNumber", "phone"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "", "first_name"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "", "last_name"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "", "email"),
)

DEMO_ORGANISATION = "Demo Clinic"
DEMO_EMAIL_DOMAIN = "demo-clinic.example"


def stable_uid(username: str) -> str:
    """A stable, opaque id derived from the username (UUID5)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"practice-sso-demo-idp:{username}"))


@dataclass(frozen=True, kw_only=True)
class DemoUser:
    """A person the demo IdP can sign in.

    ``name_id`` is the NameID value for the ``emailAddress`` and ``unspecified`` formats
    (defaults to ``email``); ``uid`` is the value for ``persistent`` (defaults to a UUID5 of
    the username).
    """

    username: str
    first_name: str
    last_name: str
    email: str
    phone: str = ""
    uid: str = ""
    name_id: str = ""
    extra_attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.uid:
            object.__setattr__(self, "uid", stable_uid(self.username))
        if not self.name_id:
            object.__setattr__(self, "name_id", self.email)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def basic_attributes(self) -> dict[str, list[str]]:
        """The attributes sent with short names (NameFormat basic)."""
        attrs = {
            ATTR_UID: [self.uid],
            ATTR_USERNAME: [self.username],
            ATTR_FIRST_NAME: [self.first_name],
            ATTR_LAST_NAME: [self.last_name],
            ATTR_EMAIL: [self.email],
            ATTR_PHONE: [self.phone],
        }
        for name, values in self.extra_attributes.items():
            attrs[name] = list(values)
        return {k: v for k, v in attrs.items() if any(v)}

    def uri_attributes(self) -> list[tuple[str, str, list[str]]]:
        """The attributes sent with URI names: (uri, friendly name, values)."""
        out = []
        for uri, friendly, attr in URI_ATTRIBUTES:
            value = getattr(self, attr)
            if value:
                out.append((uri, friendly, [value]))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> DemoUser:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown user fields: {', '.join(sorted(unknown))}")
        kwargs = dict(data)
        if "extra_attributes" in kwargs:
            extra = kwargs["extra_attributes"]
            if not isinstance(extra, Mapping):
                raise ValueError("extra_attributes must be an object")
            kwargs["extra_attributes"] = {
                str(k): (tuple(str(x) for x in v) if isinstance(v, list) else (str(v),))
                for k, v in extra.items()
            }
        return cls(**kwargs)  # type: ignore[arg-type]


def _demo(username: str, first: str, last: str, local: str, phone: str) -> DemoUser:
    return DemoUser(
        username=username,
        first_name=first,
        last_name=last,
        email=f"{local}@{DEMO_EMAIL_DOMAIN}",
        phone=phone,
    )


DEMO_USERS: tuple[DemoUser, ...] = (
    _demo("dr.ada", "Ada", "Lovelace", "ada.lovelace", "+1-202-555-0101"),
    _demo("nurse.grace", "Grace", "Hopper", "grace.hopper", "+1-202-555-0102"),
    _demo("front.desk.alan", "Alan", "Turing", "alan.turing", "+1-202-555-0103"),
    # Has no account in the demo practice: their SSO request stays pending/rejected.
    _demo("new.hire", "Rosalind", "Franklin", "rosalind.franklin", "+1-202-555-0104"),
)


def load_users(path: str | os.PathLike[str]) -> list[DemoUser]:
    """Read a JSON list of objects with DemoUser's field names (snake_case)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty JSON list of users")
    return [DemoUser.from_dict(item) for item in data]


def find_user(users: Iterable[DemoUser], username: str) -> DemoUser | None:
    return next((u for u in users if u.username == username), None)
