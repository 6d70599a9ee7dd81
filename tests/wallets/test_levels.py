"""Loyalty levels through the API: the programme, the status on the customer, the review job
moving customers up and down, which points count, and the period boundaries across DST."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import Tenant
from tests.factories import created
from tests.wallets.helpers import T0, Hands, entry, frozen, make_wallet
from tillroll.jobs import worker
from tillroll.kit.db import Connection, Database, run
from tillroll.wallets.levels import Calendar

LEVELS = [
    {"name": "Member", "threshold": 0},
    {"name": "Silver", "threshold": 100, "maintenance": 50, "description": "Level 2"},
    {"name": "Gold", "threshold": 300, "maintenance": 200},
]


async def programme(client: httpx.AsyncClient, **fields: Any) -> Any:
    body = {"name": "Programme", "review_months": 1, "starts_at": T0.isoformat(),
            "levels": LEVELS, **fields}  # fmt: skip
    return await created(await client.post("/v1/loyalty-levels", json=body))


async def status(client: httpx.AsyncClient, wallet: dict[str, Any]) -> Any:
    found = await created(await client.get(f"/v1/customers/{wallet['customer_id']}"), 200)
    return found["loyalty_status"]


async def review(db: Database, hands: Hands, at: datetime) -> None:
    """Move the wallets' clock to `at` and let the worker run what is due then (jobs the
    handler put off, early on that clock, are made due again on the queue's real one)."""
    hands.now = at

    async def due(conn: Connection) -> None:
        await conn.execute(
            "UPDATE jobs SET run_at = created_at WHERE kind = 'loyalty.review' "
            "AND status = 'pending'"
        )

    await run(db, due, write=True)
    await worker.run_once(db)


async def changes(db: Database, tenant: Tenant) -> list[tuple[int, int, int]]:
    async def read(conn: Connection) -> list[Any]:
        return await conn.fetchall(
            "SELECT data FROM events WHERE merchant_id = :m AND type = 'loyalty.level_changed' "
            "ORDER BY id",
            {"m": tenant.id},
        )

    found = [r["data"] for r in await run(db, read, write=False)]
    data = [json.loads(d) if isinstance(d, str) else d for d in found]
    return [(d["from_level"], d["to_level"], d["points"]) for d in data]


async def test_a_programme_is_validated_and_one_per_merchant(tenant: Tenant) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({"levels": [{"name": "A", "threshold": 5}]}, "levels[0].threshold"),
        ({"levels": [{"name": "A", "threshold": 0}, {"name": "B", "threshold": 0}]},
         "levels[1].threshold"),
        ({"levels": [{"name": "A", "threshold": 0},
                     {"name": "B", "threshold": 10, "maintenance": 11}]}, "levels[1].maintenance"),
        ({"levels": []}, "levels"),
        ({"review_months": 0}, "review_months"),
        ({"starts_at": "2026-03-01T00:00:00"}, "starts_at"),
        ({"starts_at": "9999-01-01T00:00:00Z", "review_months": 120}, "starts_at"),
        ({"levels": [{"name": "A", "threshold": 1.5}]}, "levels[0].threshold"),
    ]  # fmt: skip
    for change, loc in bad:
        body = {"name": "P", "levels": LEVELS, **change}
        response = await tenant.client.post("/v1/loyalty-levels", json=body)
        assert response.status_code == 422, (change, response.text)
        assert loc in [e["loc"] for e in response.json()["errors"]], response.text
    assert (await tenant.client.get("/v1/loyalty-levels")).json()["data"] == []
    made = await programme(tenant.client)
    assert [lv["maintenance"] for lv in made["levels"]] == [0, 50, 200]
    again = await tenant.client.post("/v1/loyalty-levels", json={"name": "P", "levels": LEVELS})
    assert again.status_code == 409
    assert (await tenant.client.get(f"/v1/loyalty-levels/{made['id']}")).json() == made


async def test_the_customer_answer_carries_the_status(tenant: Tenant) -> None:
    with frozen(T0 + timedelta(days=3)):
        wallet = await make_wallet(tenant.client, "points")
        assert await status(tenant.client, wallet) is None  # no programme yet
        made = await programme(tenant.client)
        await entry(tenant.client, wallet, 40, reason="purchase_earn")
        found = await status(tenant.client, wallet)
        listed = (await tenant.client.get("/v1/customers")).json()["data"]
        customer = (await tenant.client.get(f"/v1/customers/{wallet['customer_id']}")).json()
    assert found == {
        "programme_id": made["id"], "programme_number": made["number"], "level": 1,
        "name": "Member", "description": None, "points_earned": 40,
        "points_to_proceed_next_level": 60, "points_to_remain_current_level": 0,
        "maintenance_points_level": 0, "last_review_date": None,
        "next_review_date": "2026-04-02T12:00:00Z", "date_reached": customer["created_at"],
    }  # fmt: skip
    assert [c["loyalty_status"] for c in listed if c["id"] == wallet["customer_id"]] == [found]


async def test_reviews_move_customers_up_and_down(db: Database, tenant: Tenant) -> None:
    with frozen() as hands:
        await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        hands.advance(days=1)
        await entry(tenant.client, wallet, 350, reason="campaign")  # period 1: Gold
        assert (await status(tenant.client, wallet))["level"] == 1  # levels move at reviews
        await review(db, hands, datetime(2026, 4, 2, 12, tzinfo=UTC))
        gold = await status(tenant.client, wallet)
        await entry(tenant.client, wallet, 210, reason="purchase_earn")  # period 2: keeps Gold
        await review(db, hands, datetime(2026, 5, 2, 12, tzinfo=UTC))
        kept = await status(tenant.client, wallet)
        await entry(tenant.client, wallet, 60, reason="purchase_earn")  # period 3: Silver kept
        await review(db, hands, datetime(2026, 6, 2, 12, tzinfo=UTC))
        silver = await status(tenant.client, wallet)
        await review(db, hands, datetime(2026, 7, 2, 12, tzinfo=UTC))  # period 4: nothing
        member = await status(tenant.client, wallet)
    assert (gold["name"], gold["date_reached"]) == ("Gold", "2026-04-02T12:00:00Z")
    assert gold["points_to_proceed_next_level"] is None
    assert gold["points_to_remain_current_level"] == 200
    assert (kept["level"], kept["date_reached"]) == (3, "2026-04-02T12:00:00Z")
    assert (silver["level"], silver["date_reached"]) == (2, "2026-06-02T12:00:00Z")
    assert member["level"] == 1 and member["last_review_date"] == "2026-07-02T12:00:00Z"
    assert await changes(db, tenant) == [(1, 3, 350), (3, 2, 60), (2, 1, 0)]


async def test_only_earned_points_count(db: Database, tenant: Tenant) -> None:
    with frozen() as hands:
        await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        credit = await make_wallet(tenant.client, "credit")
        await entry(tenant.client, credit, 5000, reason="purchase_earn")  # money, not points
        for reason in ("manual", "purchase_earn", "campaign", "signup", "referral"):
            await entry(tenant.client, wallet, 20, reason=reason)  # 100 earned
        spend = await entry(tenant.client, wallet, -90)
        await tenant.client.post(f"/v1/wallets/{wallet['id']}/entries/{spend['id']}/reverse")
        await entry(tenant.client, wallet, 500, reason="adjustment")  # a correction
        found = await status(tenant.client, wallet)
        await review(db, hands, datetime(2026, 4, 2, 12, tzinfo=UTC))
        after = await status(tenant.client, wallet)
    assert found["points_earned"] == 100 and found["points_to_proceed_next_level"] == 0
    assert (after["level"], after["points_earned"]) == (2, 0)


async def test_a_read_before_the_job_shows_the_review_and_the_job_writes_it_once(
    db: Database, tenant: Tenant
) -> None:
    with frozen() as hands:
        await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        await entry(tenant.client, wallet, 120, reason="purchase_earn")  # period 1: Silver
        hands.now = datetime(2026, 4, 10, tzinfo=UTC)
        await entry(tenant.client, wallet, 60, reason="purchase_earn")  # period 2: kept
        hands.now = datetime(2026, 5, 10, tzinfo=UTC)  # two reviews due, the worker asleep
        early = await status(tenant.client, wallet)
        assert await changes(db, tenant) == []
        await review(db, hands, hands.now)
        await review(db, hands, hands.now)
        late = await status(tenant.client, wallet)
    assert early == late
    assert (late["level"], late["date_reached"]) == (2, "2026-04-02T12:00:00Z")
    assert late["last_review_date"] == "2026-05-02T12:00:00Z"
    assert await changes(db, tenant) == [(1, 2, 120)]


async def test_periods_follow_the_wall_clock_across_dst(db: Database, tenant: Tenant) -> None:
    await tenant.client.patch("/v1/merchant", json={"settings": {"timezone": "Europe/Amsterdam"}})
    start = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)  # 1 March 00:30 CET
    boundary = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April 00:30 CEST, not 23:30Z
    with frozen(start) as hands:
        made = await programme(tenant.client, starts_at=start.isoformat())
        assert made["next_review_date"] == "2026-03-31T22:30:00Z"
        inside = await make_wallet(tenant.client, "points")
        outside = await make_wallet(tenant.client, "points")
        hands.now = boundary - timedelta(microseconds=1)
        await entry(tenant.client, inside, 100, reason="purchase_earn")
        hands.now = boundary
        await entry(tenant.client, outside, 100, reason="purchase_earn")
        await review(db, hands, boundary)
        levels = [(await status(tenant.client, w))["level"] for w in (inside, outside)]
    assert levels == [2, 1]


def test_the_calendar_keeps_the_wall_time_and_clamps_month_ends() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    cal = Calendar(datetime(2027, 1, 31, 9, tzinfo=UTC), 1, zone)  # 31 Jan 10:00 CET
    assert [cal.at(k) for k in (1, 2, 3)] == [
        datetime(2027, 2, 28, 9, tzinfo=UTC),  # clamped to the month's end
        datetime(2027, 3, 31, 8, tzinfo=UTC),  # 10:00 CEST
        datetime(2027, 4, 30, 8, tzinfo=UTC),
    ]
    yearly = Calendar(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 12, zone)  # 01:30 CET
    assert yearly.at(1) == datetime(2027, 3, 28, 23, 30, tzinfo=UTC)  # 01:30 CEST
    skipped = Calendar(datetime(2026, 1, 29, 1, 30, tzinfo=UTC), 1, zone)  # 02:30 CET
    assert skipped.at(2) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 does not exist
    r2 = cal.at(2)
    assert cal.period(r2 - timedelta(microseconds=1)) == 1
    assert cal.period(r2) == 2
    assert cal.period(datetime(2027, 1, 1, tzinfo=UTC)) == -1
