"""Use cases of practice-sso, callable without HTTP (routes and the CLI share them)."""
