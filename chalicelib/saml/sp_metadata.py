"""The SP metadata a group's IdP admin imports: entityID is the metadata URL itself."""

from __future__ import annotations

from chalicelib.errors import ServiceError
from chalicelib.saml import sp_settings
from chalicelib.services.groups import get_group


def for_group(slug: str) -> str:
    group = get_group(slug)
    settings = sp_settings.build(group, require_idp=False)
    xml = settings.get_sp_metadata()
    errors = settings.validate_metadata(xml)
    if errors:
        raise ServiceError(f"The SP metadata for {slug} is invalid: {', '.join(errors)}")
    return xml.decode() if isinstance(xml, bytes) else xml
