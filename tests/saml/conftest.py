"""A practice group wired to an independent pysaml2 IdP (demo_idp), behind the Chalice
test client: what the ACS tests log in through.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from demo_idp.idp import DemoIdP
from demo_idp.keys import KeyPair, generate_keypair
from demo_idp.users import DemoUser
from tests.support.browser import Browser

IDP_BASE = "https://idp.north.example"
GROUP = "north"


@functools.lru_cache(maxsize=2)
def idp_keys(name: str = "north") -> KeyPair:
    return generate_keypair(f"{name} IdP")


ADA = DemoUser(
    username="ada",
    first_name="Ada",
    last_name="Lovelace",
    email="ada@north.example",
    phone="+1 555 0101",
)


@dataclass
class SsoWorld:
    client: Any
    idp: DemoIdP
    group: str

    def browser(self) -> Browser:
        return Browser(self.client)

    def start(self, browser: Browser, next_path: str | None = None) -> str:
        path = f"/saml/{self.group}/login" + (f"?next={next_path}" if next_path else "")
        browser.get(path)
        assert browser.status == 302, browser.text
        return browser.location or ""

    def post_acs(
        self,
        browser: Browser,
        saml_response: str,
        relay_state: str | None = None,
        group: str | None = None,
    ) -> Any:
        fields = {"SAMLResponse": saml_response}
        if relay_state is not None:
            fields["RelayState"] = relay_state
        return browser.post(f"/saml/{group or self.group}/acs", fields)

    def login(
        self, browser: Browser, user: DemoUser = ADA, next_path: str | None = None, **options: Any
    ) -> Any:
        """SP-initiated login all the way to the ACS answer (not following its redirect)."""
        location = self.start(browser, next_path)
        form = self.idp.respond_to_redirect(location, user, **options)
        assert urlsplit(form.acs_url).path == f"/saml/{self.group}/acs"
        return self.post_acs(browser, form.saml_response, form.relay_state)


def make_group(client: Any, slug: str, idp: DemoIdP, **idp_options: Any) -> None:
    from chalicelib.saml.idp_config import build_idp_settings, fields_from_metadata
    from chalicelib.services import groups

    groups.create_group(slug, f"{slug.title()} Practice", [f"{slug}.example"])
    fields = fields_from_metadata(idp.metadata_xml())
    for key, value in idp_options.items():
        setattr(fields, key, value)
    groups.set_idp(slug, build_idp_settings(fields), actor="test")
    metadata = client.http.get(f"/saml/{slug}/metadata")
    assert metadata.status_code == 200
    idp.add_sp_metadata(
        metadata.body.decode() if isinstance(metadata.body, bytes) else metadata.body
    )


@pytest.fixture
def sso(client):
    idp = DemoIdP.for_base_url(IDP_BASE, keypair=idp_keys())
    make_group(client, GROUP, idp)
    yield SsoWorld(client, idp, GROUP)
    idp.close()
