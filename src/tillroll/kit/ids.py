"""Identifiers: time-ordered UUIDs (version 7) and random secrets."""

from __future__ import annotations

import os
import secrets
import time
import uuid


def uuid7() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return uuid.UUID(int=value)


def token(prefix: str, nbytes: int = 32) -> str:
    """A random secret with a recognisable prefix (`tr_sk_…`); 256 bits by default."""
    return prefix + secrets.token_urlsafe(nbytes)
