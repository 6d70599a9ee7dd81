from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.factories import make_key
from tillroll.auth import keycache
from tillroll.auth.principals import MerchantKey
from tillroll.auth.service import AuthService, hash_key
from tillroll.errors import Unauthorized
from tillroll.kit.db import Connection, Database, run


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _principal(db: Database, service: AuthService, secret: str) -> MerchantKey:
    async def authenticate(conn: Connection) -> Any:
        return await service.principal_for(conn, secret)

    principal = await run(db, authenticate, write=False)
    assert isinstance(principal, MerchantKey)
    return principal


async def _revoke_elsewhere(db: Database, secret: str) -> None:
    """What another process (a second server, a SQL console) does: this one hears nothing."""

    async def revoke(conn: Connection) -> None:
        await conn.execute(
            "UPDATE api_keys SET revoked_at = created_at WHERE key_hash = :h",
            {"h": hash_key(secret)},
        )

    await run(db, revoke, write=True)


async def test_a_key_revoked_elsewhere_is_refused_once_the_memory_lapses(
    db: Database, tenant: Tenant
) -> None:
    secret = (await make_key(tenant.client, "read"))["secret"]
    clock = Clock()
    service = AuthService(key_ttl=5, clock=clock)
    first = await _principal(db, service, secret)
    await _revoke_elsewhere(db, secret)
    clock.now += 4.9
    assert await _principal(db, service, secret) == first  # remembered, not read again
    clock.now += 0.2
    with pytest.raises(Unauthorized):
        await _principal(db, service, secret)


async def test_without_memory_every_use_reads_the_key(db: Database, tenant: Tenant) -> None:
    secret = (await make_key(tenant.client, "read"))["secret"]
    service = AuthService(key_ttl=0)
    await _principal(db, service, secret)
    await _revoke_elsewhere(db, secret)
    with pytest.raises(Unauthorized):
        await _principal(db, service, secret)


async def test_a_revocation_in_this_process_is_seen_at_once(db: Database, tenant: Tenant) -> None:
    key = await make_key(tenant.client, "read")
    service = AuthService(key_ttl=3600)
    await _principal(db, service, key["secret"])
    assert (await tenant.client.delete(f"/v1/keys/{key['id']}")).status_code == 200
    with pytest.raises(Unauthorized):
        await _principal(db, service, key["secret"])


def test_a_key_read_while_a_revocation_commits_is_not_remembered() -> None:
    cache = keycache.KeyCache(ttl=3600)
    key = MerchantKey(merchant_id=_ID, key_id=_ID, scopes=frozenset(), last_used_at=None)
    generation = cache.fetching()  # the read starts before the revocation commits ...
    keycache.forget_all()  # ... which commits while the read runs
    cache.put("digest", key, generation)
    assert cache.get("digest") is None
    cache.put("digest", key, cache.fetching())
    assert cache.get("digest") == key


async def test_a_remembered_key_records_its_use_once_a_minute(db: Database, tenant: Tenant) -> None:
    secret = (await make_key(tenant.client, "read"))["secret"]
    service = AuthService(key_ttl=3600)
    principal = await _principal(db, service, secret)
    assert principal.last_used_at is None
    await service.record_use(db, principal)
    first = await _last_used(db, secret)
    assert first is not None
    again = await _principal(db, service, secret)  # the remembered key: last_used_at None
    await service.record_use(db, again)
    assert await _last_used(db, secret) == first  # not written again within the minute


async def _last_used(db: Database, secret: str) -> Any:
    async def read(conn: Connection) -> Any:
        return await conn.fetchval(
            "SELECT last_used_at FROM api_keys WHERE key_hash = :h", {"h": hash_key(secret)}
        )

    return await run(db, read, write=False)


_ID = uuid.UUID(int=1)
