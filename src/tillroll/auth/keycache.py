"""A server process's short memory of the API keys it has seen.

Without it every request reads its key's row (a round trip on PostgreSQL). With it a key is
read once per `ttl` seconds per process. A revocation committed in this process is seen at
once (it moves `generation`, which every remembered key is checked against); one committed
by another process (another server, the CLI, a SQL console) is seen within `ttl` seconds.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tillroll.auth.principals import MerchantKey

MAX_KEYS = 10_000
"""Keys remembered at most; beyond, the memory starts afresh (a merchant has a few keys)."""

_generation = 0


def forget_all() -> None:
    """Called after a revocation commits: every key is read again on its next use."""
    global _generation
    _generation += 1


@dataclass(slots=True)
class _Seen:
    key: MerchantKey
    generation: int
    until: float


class KeyCache:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[str, _Seen] = {}
        self._touched: dict[uuid.UUID, datetime] = {}

    def get(self, digest: str) -> MerchantKey | None:
        seen = self._seen.get(digest)
        if seen is None or seen.generation != _generation or seen.until <= self.clock():
            return None
        return seen.key

    def fetching(self) -> int:
        """The generation to remember a key read from now on under (`put`): a revocation
        committed while the read runs leaves it stale, so it is not trusted afterwards."""
        return _generation

    def put(self, digest: str, key: MerchantKey, generation: int) -> None:
        if self.ttl <= 0:
            return
        if len(self._seen) >= MAX_KEYS:
            self._seen.clear()
        self._seen[digest] = _Seen(key, generation, self.clock() + self.ttl)

    def used(self, key: MerchantKey) -> datetime | None:
        """When the key's use was last written, as far as this process knows."""
        known = [t for t in (self._touched.get(key.key_id), key.last_used_at) if t is not None]
        return max(known, default=None)

    def touched(self, key: MerchantKey, at: datetime) -> None:
        """The key's `last_used_at` was written: a remembered key's older value no longer
        says when to write it next."""
        if len(self._touched) >= MAX_KEYS:
            self._touched.clear()
        self._touched[key.key_id] = at
