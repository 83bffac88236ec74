"""Chalice blueprints, one per area; each handler is a few lines over a service."""
