"""Demo SAML 2.0 identity provider built on pysaml2 — for tests and local demos only.

Never deployed: it lives outside ``chalicelib/`` and pulls pyOpenSSL through pysaml2.
"""

import warnings

with warnings.catch_warnings():
    # pysaml2 7.5.5 touches cryptography's deprecated CFB mode at import time.
    warnings.filterwarnings("ignore", message="CFB has been moved")
    import saml2.cryptography.symmetric  # noqa: F401

from .idp import (
    AuthnRequestInfo,
    DemoIdP,
    DemoIdPError,
    LogoutResult,
    PostForm,
    UnknownServiceProvider,
    encode_response,
)
from .keys import (
    KeyPair,
    cert_base64,
    generate_keypair,
    load_keypair,
    load_or_create_keypair,
    write_keypair,
)
from .users import DEMO_EMAIL_DOMAIN, DEMO_ORGANISATION, DEMO_USERS, DemoUser, load_users

__all__ = [
    "DEMO_EMAIL_DOMAIN",
    "DEMO_ORGANISATION",
    "DEMO_USERS",
    "AuthnRequestInfo",
    "DemoIdP",
    "DemoIdPError",
    "DemoUser",
    "KeyPair",
    "LogoutResult",
    "PostForm",
    "UnknownServiceProvider",
    "cert_base64",
    "encode_response",
    "generate_keypair",
    "load_keypair",
    "load_or_create_keypair",
    "load_users",
    "write_keypair",
]
