"""The wallets' clock, injectable: every time-dependent wallet rule asks it for "now".

Tests (and the property-based model) replace it with `clock.use(fn)`; production reads UTC.
A lifetime in days ends at the same wall-clock time in the merchant's zone, across
daylight-saving changes (Inveterate's rule: granted Monday 13:00, 7 days, expires next
Monday 13:00).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tillroll.kit.clock import utc_now


class Clock:
    def __init__(self) -> None:
        self._source: Callable[[], datetime] = utc_now

    def now(self) -> datetime:
        return self._source()

    @contextmanager
    def use(self, source: Callable[[], datetime]) -> Iterator[None]:
        """Read "now" from `source` inside the block."""
        previous, self._source = self._source, source
        try:
            yield
        finally:
            self._source = previous


clock = Clock()


def expiry(granted_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """`granted_at` plus `days` calendar days at the same wall-clock time in `zone`.

    A wall time that the change to summer time skips is read with the offset before the
    change (an hour later on the wall); a repeated one keeps the grant's fold.
    """
    local = granted_at.astimezone(zone)
    wall = local.replace(tzinfo=None) + timedelta(days=days)
    return wall.replace(tzinfo=zone, fold=local.fold).astimezone(UTC)
