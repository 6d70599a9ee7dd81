"""Embedding: the merchant's embed settings and the check of its viewers' JWTs.

A private value receipt is shown to whoever holds a JWT the merchant's backend signed with
its embed key. Checked as RFC 8725 asks: the algorithm is pinned to HS256 (`none` and any
other are refused before the signature is looked at), the signature is compared in
constant time, `exp` is required, `iss` must be the configured issuer, `aud` the configured
audience (a token with an audience when none is configured is refused too), `resource` must
be `value-receipt`, and the scope must fit: `sub` is the receipt's customer (its id or
external id) and `resourceId`, when present, the receipt's id or share token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from tillroll.errors import FieldError, InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import token
from tillroll.values.repository import EmbedRepository
from tillroll.values.schemas import EmbedSettings, EmbedSettingsUpdate, ValueReceipt

MAX_JWT = 4096
LEEWAY = 30  # seconds of clock skew allowed on `exp`, `nbf` and `iat`
RESOURCE = "value-receipt"


class TokenRefused(Exception):
    """The JWT does not open this receipt; `expired` when only its time ran out."""

    def __init__(self, reason: str, *, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.expired = reason, expired


@dataclass(frozen=True, slots=True)
class Embedding:
    secret: str
    issuer: str
    audience: str | None
    ttl_seconds: int
    login_url: str | None
    refresh_url: str | None
    allowed_origins: list[str]


def check_jwt(
    jwt: str, embedding: Embedding, receipt: ValueReceipt, now: float | None = None
) -> dict[str, Any]:
    """The claims of `jwt` if it opens `receipt`; `TokenRefused` saying why not."""
    parts = jwt.split(".") if len(jwt) <= MAX_JWT else []
    if len(parts) != 3:
        raise TokenRefused("not a compact JWS")
    header = _json(parts[0])
    if header.get("alg") != "HS256":
        raise TokenRefused("the algorithm must be HS256")
    if header.get("typ", "JWT") != "JWT" or "crit" in header:
        raise TokenRefused("unsupported header")
    expected = hmac.new(
        embedding.secret.encode(), f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
    )
    if not hmac.compare_digest(expected.digest(), _bytes(parts[2])):
        raise TokenRefused("bad signature")
    claims = _json(parts[1])
    _check_times(claims, time.time() if now is None else now)
    if claims.get("iss") != embedding.issuer:
        raise TokenRefused("wrong issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [] if audience is None else [audience]
    if (embedding.audience is None and audiences) or (
        embedding.audience is not None and embedding.audience not in audiences
    ):
        raise TokenRefused("wrong audience")
    if claims.get("resource") != RESOURCE:
        raise TokenRefused(f"resource must be {RESOURCE!r}")
    if claims.get("sub") not in {str(receipt.customer.id), receipt.customer.external_id} - {None}:
        raise TokenRefused("the token is for another customer")
    resource_id = claims.get("resourceId")
    if resource_id is not None and resource_id not in (str(receipt.id), receipt.share_token):
        raise TokenRefused("the token is for another receipt")
    return claims


def _check_times(claims: dict[str, Any], now: float) -> None:
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or not _is_time(exp):
        raise TokenRefused("exp is required")
    if now > exp + LEEWAY:
        raise TokenRefused("the token has expired", expired=True)
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not _is_time(value) or value > now + LEEWAY):
            raise TokenRefused(f"{name} is in the future")


def _is_time(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2**40


def _bytes(part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise TokenRefused("not base64url") from None


def _json(part: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(_bytes(part))
    except msgspec.DecodeError:
        raise TokenRefused("not JSON") from None
    if not isinstance(value, dict):
        raise TokenRefused("not a JSON object")
    return value


class EmbedSettingsService:
    async def get(self, conn: Connection, merchant_id: uuid.UUID) -> EmbedSettings:
        row = await EmbedRepository.of(conn).get(merchant_id)
        if row is None:
            raise NotFound("No embed settings yet; POST them to make a signing key.")
        return _settings(row, shown=None)

    async def put(
        self, conn: Connection, merchant_id: uuid.UUID, body: EmbedSettingsUpdate
    ) -> EmbedSettings:
        _check_urls(body)
        repo = EmbedRepository.of(conn)
        current = await repo.get(merchant_id)
        made = body.rotate_secret or current is None
        secret = token("vrk_", 32) if made else current["secret"]  # type: ignore[index]
        row = {
            "merchant_id": merchant_id,
            "secret": secret,
            "issuer": body.issuer,
            "audience": body.audience,
            "ttl_seconds": body.ttl_seconds,
            "login_url": body.login_url,
            "refresh_url": body.refresh_url,
            "allowed_origins": body.allowed_origins,
            "updated_at": utc_now(),
        }
        await repo.put(row)
        return _settings(row, shown=secret if made else None)

    async def embedding(self, conn: Connection, merchant_id: uuid.UUID) -> Embedding | None:
        row = await EmbedRepository.of(conn).get(merchant_id)
        if row is None:
            return None
        return Embedding(**{k: row[k] for k in Embedding.__slots__})


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", re.ASCII)


def _check_urls(body: EmbedSettingsUpdate) -> None:
    errors = [
        FieldError(f"allowed_origins[{i}]", "must be an origin such as https://app.example.com")
        for i, origin in enumerate(body.allowed_origins)
        if not _ORIGIN.fullmatch(origin)
    ]
    for name in ("login_url", "refresh_url"):
        url = getattr(body, name)
        if url is not None and not url.startswith(("https://", "http://")):
            errors.append(FieldError(name, "must be an http(s) URL"))
    if errors:
        raise InvalidInput.fields(errors)


def _settings(row: dict[str, Any], shown: str | None) -> EmbedSettings:
    names = [n for n in EmbedSettings.__struct_fields__ if n != "secret"]
    return EmbedSettings(secret=shown, **{n: row[n] for n in names})


embed_settings = EmbedSettingsService()
