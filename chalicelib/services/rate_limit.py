"""Sign-in attempts counted per user and per client address, in fixed windows (SPEC §4
item 13): each attempt takes a unit before the password is checked and gives it back on
success, so only failures accumulate and a parallel burst cannot pass the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import UpdateError

from chalicelib.clock import now
from chalicelib.models.security import RateCounter

WINDOW = timedelta(minutes=15)
MAX_PER_USER = 5
MAX_PER_ADDRESS = 20


@dataclass(frozen=True)
class Budget:
    blocked: bool
    minutes_left: int
    reserved: tuple[str, ...] = ()  # counters this attempt took a unit from (see reserve)


def _window_start() -> int:
    seconds = int(WINDOW.total_seconds())
    return int(now().timestamp()) // seconds * seconds


def _keys(username: str, client_ip: str) -> list[tuple[str, int]]:
    window = _window_start()
    return [
        (f"rl#user#{username.strip().lower()}#{window}", MAX_PER_USER),
        (f"rl#ip#{client_ip}#{window}", MAX_PER_ADDRESS),
    ]


def _minutes_left() -> int:
    seconds_left = _window_start() + int(WINDOW.total_seconds()) - int(now().timestamp())
    return max(1, (seconds_left + 59) // 60)


def reserve(username: str, client_ip: str) -> Budget:
    """Count this attempt as a failure *before* the password is checked, atomically.

    Checking the counters first and counting after the (slow) password check let a burst of
    parallel guesses all pass the check; a conditional increment lets at most the limit
    through. An attempt that turns out not to be a failure gives its unit back (release).
    """
    expires = now() + WINDOW * 2
    taken: list[str] = []
    for key, limit in _keys(username, client_ip):
        try:
            RateCounter(key).update(
                actions=[RateCounter.count.add(1), RateCounter.expires_at.set(expires)],
                condition=RateCounter.count.does_not_exist() | (RateCounter.count < limit),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            release(Budget(False, 0, tuple(taken)))
            return Budget(True, _minutes_left())
        taken.append(key)
    return Budget(False, _minutes_left(), tuple(taken))


def release(budget: Budget) -> None:
    """Give back the units a reserved attempt took (it signed in, or was refused otherwise)."""
    for key in budget.reserved:
        RateCounter(key).update(actions=[RateCounter.count.add(-1)])
