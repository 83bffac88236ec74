"""Attribute mappings that fit common identity providers out of the box.

Each maps our fields to the SAML attribute name the IdP sends; ``unique_id`` empty means the
NameID is the subject.
"""

from __future__ import annotations

CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"

GENERIC = {
    "unique_id": "",
    "username": "username",
    "first_name": "firstName",
    "last_name": "lastName",
    "phone": "phone",
    "email": "email",
}

PRESETS: dict[str, dict[str, str]] = {
    # The demo IdP and most hand-configured IdPs (OneLogin, Keycloak attribute statements).
    "generic": GENERIC,
    # Google Workspace: attributes are whatever names the admin types in "Attribute mapping";
    # the setup guide asks for these.
    "google": GENERIC,
    "okta": {
        "unique_id": "",
        "username": "login",
        "first_name": "firstName",
        "last_name": "lastName",
        "phone": "mobilePhone",
        "email": "email",
    },
    "entra": {
        "unique_id": "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "username": f"{CLAIMS}/name",
        "first_name": f"{CLAIMS}/givenname",
        "last_name": f"{CLAIMS}/surname",
        "phone": f"{CLAIMS}/mobilephone",
        "email": f"{CLAIMS}/emailaddress",
    },
    "adfs": {
        "unique_id": "",
        "username": f"{CLAIMS}/upn",
        "first_name": f"{CLAIMS}/givenname",
        "last_name": f"{CLAIMS}/surname",
        "phone": f"{CLAIMS}/mobilephone",
        "email": f"{CLAIMS}/emailaddress",
    },
}
