"""emit: the event row commits with the state change in its transaction, or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
import pytest

from tests.conftest import Tenant
from tillroll.errors import NotFound
from tillroll.events import service
from tillroll.events.catalog import TYPES, EventType
from tillroll.events.service import Emitted, emit, emit_many, get, listen
from tillroll.jobs.service import enqueue
from tillroll.kit.db import ConflictRetry, Connection, Database, run


class Probe(msgspec.Struct):
    n: int


PROBE = EventType("test_probe.happened", Probe, "A test's own event (not documented).")


class Boom(Exception):
    pass


async def _rename(conn: Connection, merchant_id: uuid.UUID, name: str) -> None:
    """The state change the tests pair with events."""
    await conn.execute(
        "UPDATE merchants SET name = :name WHERE id = :id", {"name": name, "id": merchant_id}
    )


async def _count(db: Database, sql: str, params: dict[str, Any]) -> int:
    return int(await run(db, lambda conn: conn.fetchval(sql, params), write=False))


async def _events(db: Database, merchant_id: uuid.UUID) -> int:
    sql = "SELECT count(*) FROM events WHERE merchant_id = :m AND type = :t"
    return await _count(db, sql, {"m": merchant_id, "t": PROBE.name})


async def _jobs(db: Database, merchant_id: uuid.UUID) -> int:
    return await _count(db, "SELECT count(*) FROM jobs WHERE merchant_id = :m", {"m": merchant_id})


async def _name(db: Database, merchant_id: uuid.UUID) -> str:
    sql = "SELECT name FROM merchants WHERE id = :m"
    return str(await run(db, lambda conn: conn.fetchval(sql, {"m": merchant_id}), write=False))


async def test_an_event_commits_with_its_state_change(db: Database, tenant: Tenant) -> None:
    async def work(conn: Connection) -> uuid.UUID:
        await _rename(conn, tenant.id, "Renamed")
        return await emit(conn, tenant.id, PROBE, Probe(n=7))

    event_id = await run(db, work, write=True)
    event = await run(db, lambda conn: get(conn, tenant.id, event_id), write=False)
    assert (event.type, event.data) == ("test_probe.happened", {"n": 7})
    assert await _name(db, tenant.id) == "Renamed"


async def test_a_rolled_back_change_leaves_no_event_and_no_job(
    db: Database, tenant: Tenant
) -> None:
    async def work(conn: Connection) -> None:
        await _rename(conn, tenant.id, "Never")
        await emit(conn, tenant.id, PROBE, Probe(n=1))
        await enqueue(conn, "test.never", {"n": 1}, merchant_id=tenant.id)
        raise Boom

    with pytest.raises(Boom):
        await run(db, work, write=True)
    assert (await _events(db, tenant.id), await _jobs(db, tenant.id)) == (0, 0)
    assert await _name(db, tenant.id) == "Tenant A"


async def test_a_rerun_after_a_lost_race_writes_once(db: Database, tenant: Tenant) -> None:
    """The router reruns a transaction that lost a race: the first run's rows are gone."""
    runs = 0

    async def work(conn: Connection) -> None:
        nonlocal runs
        runs += 1
        await emit(conn, tenant.id, PROBE, Probe(n=runs))
        await enqueue(conn, "test.rerun", {"n": runs}, merchant_id=tenant.id)
        if runs == 1:
            raise ConflictRetry("lost a race")

    await run(db, work, write=True)
    assert runs == 2
    assert (await _events(db, tenant.id), await _jobs(db, tenant.id)) == (1, 1)


async def test_emit_many_writes_one_event_per_item(db: Database, tenant: Tenant) -> None:
    items = [Probe(n=i) for i in range(60)]  # past the COPY threshold on PostgreSQL
    ids = await run(db, lambda conn: emit_many(conn, tenant.id, PROBE, items), write=True)
    assert len(set(ids)) == 60 and ids == sorted(ids)
    assert await _events(db, tenant.id) == 60
    assert await run(db, lambda conn: emit_many(conn, tenant.id, PROBE, []), write=True) == []


async def test_another_tenants_event_is_not_found(
    db: Database, tenant: Tenant, other: Tenant
) -> None:
    event_id = await run(db, lambda conn: emit(conn, tenant.id, PROBE, Probe(n=1)), write=True)
    with pytest.raises(NotFound):
        await run(db, lambda conn: get(conn, other.id, event_id), write=False)


async def test_a_payload_of_the_wrong_type_is_refused(db: Database, tenant: Tenant) -> None:
    class Other(msgspec.Struct):
        n: int

    with pytest.raises(TypeError, match=r"test_probe\.happened carries Probe"):
        await run(db, lambda conn: emit(conn, tenant.id, PROBE, Other(n=1)), write=True)
    assert await _events(db, tenant.id) == 0


async def test_listeners_run_inside_the_transaction(db: Database, tenant: Tenant) -> None:
    """What a listener enqueues commits, or rolls back, with the event."""
    seen: list[Emitted] = []

    @listen
    async def fan_out(conn: Connection, emitted: Sequence[Emitted]) -> None:
        for e in emitted:
            if e.merchant_id == tenant.id:
                seen.append(e)
                await enqueue(conn, "test.fan_out", {"event": e.id}, merchant_id=e.merchant_id)

    async def fail(conn: Connection) -> None:
        await emit(conn, tenant.id, PROBE, Probe(n=1))
        raise Boom

    try:
        with pytest.raises(Boom):
            await run(db, fail, write=True)
        assert (len(seen), await _jobs(db, tenant.id)) == (1, 0)
        await run(db, lambda conn: emit(conn, tenant.id, PROBE, Probe(n=2)), write=True)
        assert seen[-1].json == '{"n":2}' and seen[-1].type is PROBE
        assert await _jobs(db, tenant.id) == 1
    finally:
        service._listeners.remove(fan_out)


def test_a_type_is_declared_once() -> None:
    assert TYPES["test_probe.happened"] is PROBE
    with pytest.raises(AssertionError, match="declared twice"):
        EventType("test_probe.happened", Probe, "again")
    with pytest.raises(AssertionError, match=r"noun\.verb"):
        EventType("Nodots", Probe, "bad name")
