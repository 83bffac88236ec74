"""Single Logout at /saml/{group}/sls (HTTP-Redirect): an IdP's LogoutRequest revokes the
person's sessions here and is answered with a LogoutResponse; a LogoutResponse just lands.
"""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.models.identities import Identity
from chalicelib.saml import sp_settings
from chalicelib.saml.reasons import Reason, SamlRejected
from chalicelib.services import audit, sessions
from chalicelib.services.sso_login import group_with_idp


def handle(slug: str, query: dict[str, str]) -> str | None:
    """The URL to send the browser back to the IdP with, or None when nothing is owed."""
    from onelogin.saml2.auth import OneLogin_Saml2_Auth
    from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request

    group = group_with_idp(slug)
    if not group.idp.slo_url:
        raise NotFound(f"Practice group '{slug}' has no single logout set up.")
    if "SAMLRequest" not in query and "SAMLResponse" not in query:
        raise SamlRejected(Reason.MISSING, "no SAMLRequest or SAMLResponse")
    if "SAMLRequest" in query and "Signature" not in query:
        raise SamlRejected(Reason.UNSIGNED, "unsigned LogoutRequest")
    auth = OneLogin_Saml2_Auth(
        sp_settings.request_data(f"/saml/{slug}/sls", get=query),
        old_settings=sp_settings.build(group),
    )
    target = auth.process_slo(keep_local_session=True)
    if auth.get_errors():
        detail = f"{auth.get_errors()}: {auth.get_last_error_reason()}"
        audit.record("saml.slo", "failure", group_slug=slug, reason="invalid", detail=detail)
        raise SamlRejected(Reason.INVALID, detail)
    if "SAMLRequest" in query:
        name_id = OneLogin_Saml2_Logout_Request.get_nameid(auth.get_last_request_xml())
        revoked = 0
        try:
            identity = Identity.get(slug, name_id)
            if identity.linked_username:
                revoked = sessions.revoke_all_for_user(identity.linked_username)
        except Identity.DoesNotExist:
            pass
        audit.record("saml.slo", "success", group_slug=slug, subject=name_id, sessions=str(revoked))
    return target
