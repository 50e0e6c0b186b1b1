"""Sign-in throttling: after repeated failures an e-mail address, or a client address, waits.

Five failures in fifteen minutes lock that e-mail address (and, at twenty, the client address)
for fifteen minutes: enough for a person who mistyped, far too few to guess a password or a
6-digit code (1 in 10^6 per try). Counters live in the serving process; with several workers
each keeps its own, so the limit is per worker (documented in docs/console.md). Time comes from
the deployment's clock, so tests can move it.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_CLIENT = 20
#: Bound memory under a spray of made-up addresses: the oldest keys are forgotten first.
MAX_KEYS = 10_000


class SignInThrottle:
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
