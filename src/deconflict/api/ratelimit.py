"""A limit on failed authentications per client address, so bearer tokens cannot be guessed at
speed: at most `limit` failures in any `window_s` (a sliding window), then 429 until the oldest
of them leaves the window.

While an address is over the limit no token from it is checked at all, the right one included:
answering differently for a valid token would tell a guesser when it had won. The limiter runs
on the service's injectable clock, so tests move time instead of waiting.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from deconflict.clock import Clock

__all__ = ["AuthFailureLimiter", "AuthRateLimitedError"]


class AuthRateLimitedError(Exception):
    """Too many failed authentications from one address; retry after `retry_after_s`."""

    def __init__(self, address: str, limit: int, window_s: float, retry_after_s: int) -> None:
        super().__init__(
            f"too many failed authentications from {address}: {limit} in {window_s:g} s; "
            f"retry after {retry_after_s} s"
        )
        self.address = address
        self.limit = limit
        self.window_s = window_s
        self.retry_after_s = retry_after_s


class AuthFailureLimiter:
    """Failed authentications by client address; `limit` 0 turns the limit off."""

    def __init__(
        self, limit: int, clock: Clock, *, window_s: float = 60.0, max_addresses: int = 65_536
    ) -> None:
        if limit < 0:
            raise ValueError(f"the limit must be 0 (off) or more, not {limit}")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def check(self, address: str) -> None:
        """Raise `AuthRateLimitedError` if `address` may not try a token now."""
        if not self.enabled:
            return
        with self._lock:
            now = self._now()
            failures = self._recent(address, now)
            if failures is None or len(failures) < self.limit:
                return
            retry_after_s = max(1, math.ceil(failures[0] + self.window_s - now))
        raise AuthRateLimitedError(address, self.limit, self.window_s, retry_after_s)

    def failed(self, address: str) -> None:
        """Count one failed authentication from `address`."""
        if not self.enabled:
            return
        with self._lock:
            now = self._now()
            failures = self._recent(address, now)
            if failures is None:
                if len(self._failures) >= self._max_addresses:
                    self._evict(now)
                failures = self._failures[address] = deque(maxlen=self.limit)
            failures.append(now)

    def _evict(self, now: float) -> None:
        """Forget expired addresses; if all are recent, the one whose last failure is oldest."""
        for address in list(self._failures):
            self._recent(address, now)
        if len(self._failures) >= self._max_addresses:
            oldest = min(self._failures, key=lambda a: self._failures[a][-1])
            del self._failures[oldest]
