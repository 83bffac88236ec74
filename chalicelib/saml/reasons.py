"""Why an SSO attempt did not sign someone in: one typed reason feeds both the stored
diagnostics (for the practice admin) and the page the person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

YOU = "you"
ADMIN = "your practice administrator"
IDP_ADMIN = "your identity provider's administrator"


@dataclass(frozen=True)
class ReasonInfo:
    title: str
    text: str
    who: str
    status: int


class Reason(Enum):
    NOT_CONFIGURED = ReasonInfo(
        "Single sign-on is not set up",
        "This practice group has not connected an identity provider yet.",
        ADMIN,
        404,
    )
    MISSING = ReasonInfo(
        "No sign-in response",
        "The page was opened without a response from your identity provider. "
        "Start again from the sign-in page.",
        YOU,
        400,
    )
    TOO_LARGE = ReasonInfo(
        "Sign-in response too large",
        "The response from your identity provider is larger than this service accepts.",
        IDP_ADMIN,
        413,
    )
    MALFORMED = ReasonInfo(
        "Sign-in response unreadable",
        "The response from your identity provider could not be read as a SAML response.",
        IDP_ADMIN,
        400,
    )
    DEPRECATED_ALGORITHM = ReasonInfo(
        "Outdated signature algorithm",
        "Your identity provider signed the response with an outdated algorithm (such as "
        "SHA-1). It must use SHA-256 or stronger.",
        IDP_ADMIN,
        400,
    )
    UNSIGNED = ReasonInfo(
        "Sign-in response not signed",
        "The assertion from your identity provider was not signed, so it cannot be trusted.",
        IDP_ADMIN,
        400,
    )
    BAD_SIGNATURE = ReasonInfo(
        "Sign-in response signature invalid",
        "The response's signature does not verify: it was altered or signed by another key.",
        IDP_ADMIN,
        400,
    )
    UNKNOWN_CERTIFICATE = ReasonInfo(
        "Unknown signing certificate",
        "The response was signed with a certificate this practice group does not trust. "
        "If your identity provider changed its certificate, the new one must be added.",
        ADMIN,
        400,
    )
    WRONG_ISSUER = ReasonInfo(
        "Response from another identity provider",
        "The response came from an identity provider this practice group does not use.",
        ADMIN,
        400,
    )
    WRONG_AUDIENCE = ReasonInfo(
        "Response meant for another service",
        "The response was addressed to another service or practice group, not this one.",
        IDP_ADMIN,
        400,
    )
    WRONG_DESTINATION = ReasonInfo(
        "Response sent to the wrong address",
        "The response names a different destination or recipient than this practice "
        "group's sign-in address.",
        IDP_ADMIN,
        400,
    )
    EXPIRED = ReasonInfo(
        "Sign-in response expired",
        "The response is no longer valid. Start again from the sign-in page; if it keeps "
        "happening, a clock may be wrong.",
        YOU,
        400,
    )
    NOT_YET_VALID = ReasonInfo(
        "Sign-in response not yet valid",
        "The response is dated in the future; a clock on the identity provider is probably wrong.",
        IDP_ADMIN,
        400,
    )
    REPLAY = ReasonInfo(
        "Sign-in response already used",
        "This response was already used to sign in. Start again from the sign-in page.",
        YOU,
        400,
    )
    UNSOLICITED = ReasonInfo(
        "Sign-in not started here",
        "This service did not ask for this sign-in, or it was already answered. Start "
        "again from the sign-in page.",
        YOU,
        400,
    )
    IDP_REFUSED = ReasonInfo(
        "Identity provider did not sign you in",
        "Your identity provider reported that the sign-in did not succeed.",
        IDP_ADMIN,
        400,
    )
    NO_SUBJECT = ReasonInfo(
        "Identity missing from the response",
        "The response does not say who you are (no NameID or unique ID attribute).",
        IDP_ADMIN,
        400,
    )
    NOT_ENCRYPTED = ReasonInfo(
        "Sign-in response not encrypted",
        "This practice group requires encrypted assertions, and this one was sent in the clear.",
        IDP_ADMIN,
        400,
    )
    ACCOUNT_INACTIVE = ReasonInfo(
        "Account not active",
        "Your identity provider signed you in, but the account it is linked to is not active.",
        ADMIN,
        403,
    )
    INVALID = ReasonInfo(
        "Sign-in response rejected",
        "The response from your identity provider did not pass the security checks.",
        IDP_ADMIN,
        400,
    )

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def info(self) -> ReasonInfo:
        return self.value


class SamlRejected(Exception):
    """A refused SAML message: the typed reason, and a detail for the diagnostics only."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.code}: {detail}")
        self.reason = reason
        self.detail = detail[:500]
