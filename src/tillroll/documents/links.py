"""Signed, expiring receipt links: `/p/receipts/{token}` works without an API key.

A token is base64url(merchant id ‖ receipt id ‖ expiry ‖ generation ‖ HMAC-SHA256 of those
40 bytes). The key is derived from the merchant's session secret for this purpose only, so a
link is never a shopper session (nor the reverse). The expiry is signed: a link cannot be
extended, only re-issued; it falls on a UTC midnight, so every link issued on one day is the
same link. The generation is the receipt's: revoking its links bumps it, and a link signed
with an older one no longer opens.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

_PURPOSE = b"tillroll receipt link v2"
_PAYLOAD, _SIGNATURE = 40, 32
TOKEN_LENGTH = 96  # base64url characters of 72 bytes


@dataclass(frozen=True, slots=True)
class Link:
    merchant_id: uuid.UUID
    receipt_id: uuid.UUID
    expires_at: datetime
    generation: int = 0


def expiry(now: datetime, ttl_days: int) -> datetime:
    """The UTC midnight at least `ttl_days` days after `now`."""
    return datetime.combine((now + timedelta(days=ttl_days)).date(), time(), UTC) + timedelta(1)


def key(session_secret: str) -> bytes:
    """The merchant's link-signing key (derived: the secret itself signs shopper sessions)."""
    return hmac.new(session_secret.encode(), _PURPOSE, "sha256").digest()


def sign(link: Link, signing_key: bytes) -> str:
    stamp = int(link.expires_at.timestamp()).to_bytes(4, "big")  # unsigned: good until 2106
    payload = link.merchant_id.bytes + link.receipt_id.bytes + stamp
    payload += link.generation.to_bytes(4, "big")
    signature = hmac.new(signing_key, payload, "sha256").digest()
    return base64.urlsafe_b64encode(payload + signature).decode()


def unsigned(token: str) -> Link | None:
    """The link `token` claims to be (not yet verified); None if it has not a token's shape."""
    if len(token) != TOKEN_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError):
        return None
    expires = datetime.fromtimestamp(int.from_bytes(raw[32:36], "big"), UTC)
    generation = int.from_bytes(raw[36:_PAYLOAD], "big")
    return Link(uuid.UUID(bytes=raw[:16]), uuid.UUID(bytes=raw[16:32]), expires, generation)


def verify(token: str, signing_key: bytes, now: datetime) -> Link | None:
    """The link, if `token` is one signed with this merchant's key and not expired (the
    caller checks its generation)."""
    link = unsigned(token)
    if link is None or link.expires_at <= now:
        return None
    if not hmac.compare_digest(sign(link, signing_key).encode(), token.encode()):
        return None
    return link
