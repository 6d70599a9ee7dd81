"""Identifiers: time-ordered UUIDs (version 7) and random secrets."""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid

_last = (0, 0)  # (millis, rand_a) of the previous id of this process
_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, 12-bit counter, 62 random bits.

    Monotonic within the process (RFC 9562 §6.2, method 1): ids made in the same millisecond
    take the next counter value, so "oldest first" (id order) is creation order.
    """
    global _last
    with _lock:
        millis, counter = time.time_ns() // 1_000_000, 0
        if millis <= _last[0]:
            millis, counter = _last[0], _last[1] + 1
            if counter > 0xFFF:
                millis, counter = millis + 1, 0
        _last = (millis, counter)
    rand = int.from_bytes(os.urandom(8), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64  # rand_a: the counter, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return uuid.UUID(int=value)


def token(prefix: str, nbytes: int = 32) -> str:
    """A random secret with a recognisable prefix (`tr_sk_…`); 256 bits by default."""
    return prefix + secrets.token_urlsafe(nbytes)
