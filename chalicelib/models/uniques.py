"""Claims that make a value unique within a stage: ``email#<address>``, ``domain#<domain>``.

Usernames need no claim: they are the users table's key.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import stage_meta


class UniqueClaim(Model):
    Meta = stage_meta("uniques")

    key = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()  # the username or group slug that holds the value

    @staticmethod
    def email(address: str) -> str:
        return f"email#{address.strip().lower()}"

    @staticmethod
    def domain(name: str) -> str:
        return f"domain#{name.strip().lower()}"
