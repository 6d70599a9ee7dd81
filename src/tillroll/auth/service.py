"""API keys, shopper sessions, and turning a request's credentials into a principal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

from starlette.requests import Request

from tillroll.auth.events import API_KEY_CREATED, API_KEY_REVOKED
from tillroll.auth.keycache import KeyCache, forget_all
from tillroll.auth.principals import MerchantKey, Scope, ShopperSession
from tillroll.auth.repository import ApiKeyRepository
from tillroll.auth.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ShopperSessionToken
from tillroll.errors import NotFound, Unauthorized
from tillroll.events.service import emit
from tillroll.kit import group
from tillroll.kit.clock import utc_now
from tillroll.kit.crud import list_page
from tillroll.kit.db import Connection, Database, DatabaseBusy, run
from tillroll.kit.http import Principal
from tillroll.kit.ids import token, uuid7
from tillroll.kit.schemas import ListQuery, Page

KEY_PREFIX = "tr_sk_"
SESSION_PREFIX = "tr_ss_"
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_key(secret: str) -> str:
    """Keys carry 256 random bits, so one SHA-256 is a safe, fast lookup hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AuthService:
    """`key_ttl`: seconds a server process remembers a key it has read (`auth.keycache`);
    0 reads the key on every request (once per group commit)."""

    def __init__(self, key_ttl: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.keys = KeyCache(key_ttl, clock)

    async def create_key(
        self, conn: Connection, merchant_id: uuid.UUID, create: ApiKeyCreate
    ) -> ApiKeyCreated:
        secret = token(KEY_PREFIX)
        key = await ApiKeyRepository.of(conn).insert(
            merchant_id,
            key_id=uuid7(),
            name=create.name,
            prefix=secret[: len(KEY_PREFIX) + 6],
            key_hash=hash_key(secret),
            scopes=create.scopes,
            now=utc_now(),
        )
        await emit(conn, merchant_id, API_KEY_CREATED, key)
        return ApiKeyCreated(**{f: getattr(key, f) for f in key.__struct_fields__}, secret=secret)

    async def list_keys(self, conn: Connection, merchant_id: uuid.UUID) -> list[ApiKey]:
        return await ApiKeyRepository.of(conn).list(merchant_id)

    async def page_keys(
        self, conn: Connection, merchant_id: uuid.UUID, query: ListQuery
    ) -> Page[ApiKey]:
        return await list_page(ApiKeyRepository.of(conn), merchant_id, query.cursor, query.limit)

    async def revoke_key(
        self, conn: Connection, merchant_id: uuid.UUID, key_id: uuid.UUID
    ) -> ApiKey:
        now = utc_now()
        key = await ApiKeyRepository.of(conn).revoke(merchant_id, key_id, now)
        if key is None:
            raise NotFound(f"No API key {key_id}.")
        if key.revoked_at == now:  # not revoked before
            await emit(conn, merchant_id, API_KEY_REVOKED, key)
            conn.committed.append(forget_all)  # this process's servers stop at once
        return key

    async def authenticate(self, conn: Connection, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized()
        return await self.principal_for(conn, credential.strip())

    async def principal_for(self, conn: Connection, credential: str) -> Principal:
        if credential.startswith(KEY_PREFIX):
            return await self._key_principal(conn, hash_key(credential))
        if credential.startswith(SESSION_PREFIX):
            return await self._verify_session(conn, credential)
        raise Unauthorized("Unrecognised credential: expected tr_sk_… or tr_ss_….")

    async def _key_principal(self, conn: Connection, digest: str) -> MerchantKey:
        known = self.keys.get(digest)
        if known is not None:
            return known
        generation = self.keys.fetching()
        repo = ApiKeyRepository.of(conn)  # read once per group commit of many receipts
        row = await group.cached(conn, ("api_key", digest), lambda: repo.by_hash(digest))
        if row is None or row["revoked_at"] is not None:
            raise Unauthorized("The API key is unknown or revoked.")
        key = MerchantKey(
            merchant_id=row["merchant_id"],
            key_id=row["id"],
            scopes=frozenset(Scope(s) for s in row["scopes"].split(",")),
            last_used_at=row["last_used_at"],
        )
        self.keys.put(digest, key, generation)
        return key

    async def record_use(self, db: Database, principal: Principal) -> None:
        if not isinstance(principal, MerchantKey):
            return
        now = utc_now()
        last = self.keys.used(principal)
        if last is not None and now - last < TOUCH_INTERVAL:
            return

        async def touch(conn: Connection) -> None:
            await ApiKeyRepository.of(conn).touch(principal.merchant_id, principal.key_id, now)

        with suppress(DatabaseBusy):  # the write lock is taken: a later request records it
            await run(db, touch, write=True, wait=False)  # never hold up a read
            self.keys.touched(principal, now)

    async def mint_session(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, ttl_seconds: int
    ) -> ShopperSessionToken:
        secret = await _session_secret(conn, merchant_id)
        assert secret is not None
        expires = int(utc_now().timestamp()) + ttl_seconds
        payload = _b64(merchant_id.bytes + customer_id.bytes + expires.to_bytes(8, "big"))
        signature = _b64(hmac.new(secret.encode(), payload.encode(), "sha256").digest())
        return ShopperSessionToken(
            token=f"{SESSION_PREFIX}{payload}.{signature}",
            customer_id=customer_id,
            expires_at=datetime.fromtimestamp(expires, UTC),
        )

    async def _verify_session(self, conn: Connection, credential: str) -> ShopperSession:
        invalid = Unauthorized("The shopper session is invalid or expired.")
        payload, _, signature = credential.removeprefix(SESSION_PREFIX).partition(".")
        try:
            raw = _unb64(payload)
        except ValueError:
            raise invalid from None
        if len(raw) != 40:
            raise invalid
        merchant_id, customer_id = uuid.UUID(bytes=raw[:16]), uuid.UUID(bytes=raw[16:32])
        secret = await _session_secret(conn, merchant_id)
        if secret is None:
            raise invalid
        expected = _b64(hmac.new(secret.encode(), payload.encode(), "sha256").digest())
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise invalid
        expires = datetime.fromtimestamp(int.from_bytes(raw[32:], "big"), UTC)  # signed by us
        if expires <= utc_now():
            raise invalid
        return ShopperSession(merchant_id, customer_id, expires)


auth = AuthService()


async def _session_secret(conn: Connection, merchant_id: uuid.UUID) -> str | None:
    # imported here: the merchants service imports this module (a merchant's first key)
    from tillroll.merchants.service import merchant as merchant_service

    return await merchant_service.session_secret(conn, merchant_id)
