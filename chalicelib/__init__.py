"""practice-sso: SAML single sign-on for medical practice groups."""
