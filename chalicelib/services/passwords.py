"""Memory-hard password hashing (Argon2id) with a constant-work path for unknown users."""

from __future__ import annotations

import functools

MIN_LENGTH = 10


@functools.lru_cache(maxsize=1)
def _hasher():
    from argon2 import PasswordHasher

    # argon2-cffi's defaults follow RFC 9106's low-memory profile (64 MiB, t=3).
    return PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("not a real password, only here to spend the same time")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; always spends one Argon2 verification."""
    from argon2.exceptions import InvalidHashError, VerificationError

    target = stored_hash or _dummy_hash()
    try:
        ok = _hasher().verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return bool(ok and stored_hash)


def password_problem(password: str) -> str | None:
    """A sentence saying why this password cannot be used, or None."""
    if len(password) < MIN_LENGTH:
        return f"A password needs at least {MIN_LENGTH} characters."
    return None
