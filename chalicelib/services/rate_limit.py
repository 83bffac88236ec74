"""Failed-login counting per user and per client address, in fixed windows (SPEC §4 item 13)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from chalicelib.clock import now
from chalicelib.models.security import RateCounter

WINDOW = timedelta(minutes=15)
MAX_PER_USER = 5
MAX_PER_ADDRESS = 20


@dataclass(frozen=True)
class Budget:
    blocked: bool
    minutes_left: int


def _window_start() -> int:
    seconds = int(WINDOW.total_seconds())
    return int(now().timestamp()) // seconds * seconds


def _keys(username: str, client_ip: str) -> list[tuple[str, int]]:
    window = _window_start()
    return [
        (f"rl#user#{username.strip().lower()}#{window}", MAX_PER_USER),
        (f"rl#ip#{client_ip}#{window}", MAX_PER_ADDRESS),
    ]


def check(username: str, client_ip: str) -> Budget:
    """Whether this user or address has used up its failures for the current window."""
    keys = _keys(username, client_ip)
    limits = dict(keys)
    blocked = any(
        item.count >= limits[item.pk] for item in RateCounter.batch_get([k for k, _ in keys])
    )
    seconds_left = _window_start() + int(WINDOW.total_seconds()) - int(now().timestamp())
    return Budget(blocked, max(1, (seconds_left + 59) // 60))


def record_failure(username: str, client_ip: str) -> None:
    expires = now() + WINDOW * 2
    for key, _ in _keys(username, client_ip):
        RateCounter(key).update(
            actions=[RateCounter.count.add(1), RateCounter.expires_at.set(expires)]
        )
