"""Embed JWTs minted with `hmac`, independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


def part(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint(secret: str, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    head = part(header or {"alg": "HS256", "typ": "JWT"})
    body = part(claims)
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{part(signature)}"


def claims(receipt: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "acme-app",
        "aud": "acme-web",
        "sub": "cust-1",
        "resource": "value-receipt",
        "resourceId": receipt["id"],
        "iat": now,
        "exp": now + 600,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}
