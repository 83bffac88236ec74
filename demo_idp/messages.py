"""Values the demo IdP hands back, and its errors."""

from __future__ import annotations

from dataclasses import dataclass


class DemoIdPError(Exception):
    """A request the demo IdP cannot answer; the message is fit to show to a person."""


class UnknownServiceProvider(DemoIdPError):
    pass


@dataclass(frozen=True)
class AuthnRequestInfo:
    """What the IdP needs from a parsed AuthnRequest."""

    id: str
    issuer: str
    acs_url: str
    name_id_format: str | None = None
    force_authn: bool = False
    is_passive: bool = False
    destination: str | None = None
    signed: bool = False

    @property
    def sp_entity_id(self) -> str:
        return self.issuer


@dataclass(frozen=True)
class PostForm:
    """What the browser would POST to the SP's ACS (HTTP-POST binding)."""

    acs_url: str
    saml_response: str
    relay_state: str | None
    request: AuthnRequestInfo

    def form_data(self) -> dict[str, str]:
        data = {"SAMLResponse": self.saml_response}
        if self.relay_state is not None:
            data["RelayState"] = self.relay_state
        return data


@dataclass(frozen=True)
class LogoutResult:
    """A LogoutResponse ready to send back with the HTTP-Redirect binding."""

    redirect_url: str
    sp_entity_id: str
    name_id: str | None
