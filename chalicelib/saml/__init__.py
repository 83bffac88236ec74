"""SAML: per-group settings, IdP metadata import, response validation (python3-saml, strict)."""
