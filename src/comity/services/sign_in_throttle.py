"""Sign-in throttling: after repeated failures an e-mail address, or a client address, waits.

Five failures in fifteen minutes lock that e-mail address (and, at twenty, the client address)
for fifteen minutes: enough for a person who mistyped, far too few to guess a password or a
6-digit code (1 in 10^6 per try). Every way of signing in counts against the same counters (the
console and portal form, and ``POST /auth/token``), so an attacker cannot move to the door that
does not count. Counters live in the serving process (one per deployment object); with several
workers each keeps its own, so the limit is per worker (documented in docs/console.md). Time
comes from the deployment's clock, so tests can move it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from comity.errors import ComityError, TooManyAttempts

T = TypeVar("T")

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_CLIENT = 20
#: Bound memory under a spray of made-up addresses: the oldest keys are forgotten first.
MAX_KEYS = 10_000


class SignInThrottle:
    """Failed sign-ins per e-mail address and per client address, over a sliding window."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and now - times[0] >= WINDOW:
            times.popleft()
        return times

    def wait(self, email: str, client: str, now: datetime) -> timedelta | None:
        """How long this e-mail address or client must still wait, or None to go ahead."""
        with self._lock:
            waits = []
            for key, limit in ((f"e:{email}", MAX_PER_EMAIL), (f"c:{client}", MAX_PER_CLIENT)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(times[0] + WINDOW - now)
            return max(waits) if waits else None

    def failed(self, email: str, client: str, now: datetime) -> None:
        with self._lock:
            for key in (f"e:{email}", f"c:{client}"):
                times = self._recent(key, now)
                times.append(now)
                self._failures.pop(key, None)
                self._failures[key] = times
            while len(self._failures) > MAX_KEYS:
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"e:{email}", None)

    def attempt(self, email: str, client: str, now: datetime, verify: Callable[[], T]) -> T:
        """Run ``verify`` (a sign-in) unless ``email`` or ``client`` must wait; count a failure
        (any ``ComityError`` it raises) and forget the address's failures on success."""
        key = email.strip().lower()
        wait = self.wait(key, client, now)
        if wait is not None:
            minutes = max(1, int(wait.total_seconds() // 60) + 1)
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {minutes} minutes",
                retry_after=int(wait.total_seconds()) + 1,
            )
        try:
            result = verify()
        except ComityError:
            self.failed(key, client, now)
            raise
        self.succeeded(key)
        return result
