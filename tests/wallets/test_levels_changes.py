"""Changing and deleting a loyalty programme: the reviews due are written by the old rules,
customers keep their levels until the next review, which judges by the new ones; a new review
period runs from the current period's start; a level held cannot be dropped; deleting takes
the standings with it; an event for each change."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.factories import created
from tests.wallets.helpers import entry, frozen, make_wallet
from tests.wallets.test_levels import LEVELS, changes, programme, review, status
from tillroll.kit.db import Connection, Database, run

STRICTER = [
    {"name": "Member", "threshold": 0},
    {"name": "Silver", "threshold": 200, "maintenance": 160, "description": "Now harder"},
    {"name": "Gold", "threshold": 400, "maintenance": 300},
]
REVIEW_1 = datetime(2026, 4, 2, 12, tzinfo=UTC)  # T0 + 1 month


async def events(db: Database, tenant: Tenant, kind: str) -> list[Any]:
    async def read(conn: Connection) -> list[Any]:
        return await conn.fetchall(
            "SELECT data FROM events WHERE merchant_id = :m AND type = :t ORDER BY id",
            {"m": tenant.id, "t": kind},
        )

    found = [r["data"] for r in await run(db, read, write=False)]
    return [json.loads(d) if isinstance(d, str) else d for d in found]


async def patch(client: httpx.AsyncClient, made: dict[str, Any], **body: Any) -> httpx.Response:
    return await client.patch(f"/v1/loyalty-levels/{made['id']}", json=body)


async def test_new_levels_judge_from_the_next_review_and_due_reviews_keep_the_old_rules(
    db: Database, tenant: Tenant
) -> None:
    with frozen() as hands:
        made = await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        hands.advance(days=1)
        await entry(tenant.client, wallet, 150, reason="purchase_earn")  # old rules: Silver
        hands.now = REVIEW_1.replace(day=5)  # review 1 is due; its job has not run
        answer = await patch(tenant.client, made, name="ACME Club", levels=STRICTER)
        assert answer.status_code == 200, answer.text
        changed = answer.json()
        assert changed["name"] == "ACME Club" and changed["levels"][1]["threshold"] == 200
        assert changed["last_review_date"] == "2026-04-02T12:00:00Z"
        assert await changes(db, tenant) == [(1, 2, 150)]  # written by the rules of its period
        now = await status(tenant.client, wallet)
        assert (now["level"], now["name"], now["description"]) == (2, "Silver", "Now harder")
        assert now["points_to_proceed_next_level"] == 400  # the new thresholds, at once
        assert now["points_to_remain_current_level"] == 160
        await entry(tenant.client, wallet, 150, reason="purchase_earn")  # kept Silver before
        await review(db, hands, datetime(2026, 5, 2, 12, tzinfo=UTC))
        assert (await status(tenant.client, wallet))["name"] == "Member"
    assert await changes(db, tenant) == [(1, 2, 150), (2, 1, 150)]
    [updated] = await events(db, tenant, "loyalty.programme_updated")
    assert updated["changed"] == ["name", "levels"]
    assert updated["programme"]["levels"][1]["maintenance"] == 160
    [made_event] = await events(db, tenant, "loyalty.programme_created")
    assert made_event["programme"]["id"] == made["id"]


async def test_a_level_customers_hold_cannot_be_dropped(db: Database, tenant: Tenant) -> None:
    with frozen() as hands:
        made = await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        await entry(tenant.client, wallet, 120, reason="purchase_earn")
        await review(db, hands, REVIEW_1)  # Silver
        before = (await tenant.client.get(f"/v1/loyalty-levels/{made['id']}")).json()
        refused = await patch(tenant.client, made, levels=LEVELS[:1])
        assert refused.status_code == 409, refused.text
        assert "level 2 (Silver): 1 customers" in refused.json()["detail"]
        assert (await tenant.client.get(f"/v1/loyalty-levels/{made['id']}")).json() == before
        answer = await patch(tenant.client, made, levels=LEVELS[:2])  # Gold: nobody holds it
        assert answer.status_code == 200, answer.text
        assert [lv["name"] for lv in answer.json()["levels"]] == ["Member", "Silver"]
        assert (await status(tenant.client, wallet))["points_to_proceed_next_level"] is None
    assert await events(db, tenant, "loyalty.programme_updated") != []


async def test_a_change_is_validated_and_changes_nothing_when_refused(tenant: Tenant) -> None:
    made = await programme(tenant.client)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"levels": [{"name": "A", "threshold": 5}]}, "levels[0].threshold"),
        ({"levels": []}, "levels"),
        ({"review_months": 0}, "review_months"),
        ({"name": ""}, "name"),
        ({"levels": [{"name": "A", "threshold": 0},
                     {"name": "B", "threshold": 10, "maintenance": 11}]}, "levels[1].maintenance"),
    ]  # fmt: skip
    for body, loc in bad:
        answer = await patch(tenant.client, made, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert loc in [e["loc"] for e in answer.json()["errors"]], answer.text
    assert (await tenant.client.get(f"/v1/loyalty-levels/{made['id']}")).json() == made
    missing = await tenant.client.patch(f"/v1/loyalty-levels/{uuid.uuid4()}", json={})
    assert missing.status_code == 404


async def test_a_new_review_period_runs_from_the_current_periods_start(
    db: Database, tenant: Tenant
) -> None:
    with frozen() as hands:
        made = await programme(tenant.client)  # monthly from 2 March 12:00
        wallet = await make_wallet(tenant.client, "points")
        await entry(tenant.client, wallet, 120, reason="purchase_earn")
        hands.now = datetime(2026, 4, 15, tzinfo=UTC)  # in period 2; review 1 not written
        await entry(tenant.client, wallet, 60, reason="purchase_earn")
        answer = await patch(tenant.client, made, review_months=3)
        assert answer.status_code == 200, answer.text
        quarterly = answer.json()
        assert (quarterly["starts_at"], quarterly["review_months"]) == (
            "2026-04-02T12:00:00Z", 3,
        )  # fmt: skip
        assert quarterly["last_review_date"] == "2026-04-02T12:00:00Z"
        assert quarterly["next_review_date"] == "2026-07-02T12:00:00Z"
        assert await changes(db, tenant) == [(1, 2, 120)]  # review 1, by the monthly period
        now = await status(tenant.client, wallet)
        assert (now["points_earned"], now["last_review_date"]) == (60, "2026-04-02T12:00:00Z")
        hands.now = datetime(2026, 5, 10, tzinfo=UTC)
        too_short = await patch(tenant.client, made, review_months=1)  # would end 2 May
        assert too_short.status_code == 422, too_short.text
        assert too_short.json()["errors"][0]["loc"] == "review_months"
        await review(db, hands, datetime(2026, 5, 3, tzinfo=UTC))  # the old calendar's job
        assert await changes(db, tenant) == [(1, 2, 120)]  # no review was due
        await review(db, hands, datetime(2026, 7, 2, 12, tzinfo=UTC))  # 60 ≥ Silver's 50: kept
        after = await status(tenant.client, wallet)
    assert after["name"] == "Silver" and after["last_review_date"] == "2026-07-02T12:00:00Z"
    assert after["next_review_date"] == "2026-10-02T12:00:00Z"


async def test_deleting_a_programme_removes_the_standings(db: Database, tenant: Tenant) -> None:
    with frozen() as hands:
        made = await programme(tenant.client)
        wallet = await make_wallet(tenant.client, "points")
        await entry(tenant.client, wallet, 120, reason="purchase_earn")
        await review(db, hands, REVIEW_1)
        assert (await status(tenant.client, wallet))["name"] == "Silver"
        gone = await tenant.client.delete(f"/v1/loyalty-levels/{made['id']}")
        assert gone.status_code == 204, gone.text
        assert (await tenant.client.get(f"/v1/loyalty-levels/{made['id']}")).status_code == 404
        assert (await tenant.client.get("/v1/loyalty-levels")).json()["data"] == []
        assert await status(tenant.client, wallet) is None
        again = await tenant.client.delete(f"/v1/loyalty-levels/{made['id']}")
        assert again.status_code == 404
        await review(db, hands, datetime(2026, 5, 2, 12, tzinfo=UTC))  # its job: nothing to do
        fresh = await programme(tenant.client, name="Second")
        assert (await status(tenant.client, wallet))["name"] == "Member"
        assert fresh["id"] != made["id"]
    [deleted] = await events(db, tenant, "loyalty.programme_deleted")
    assert (deleted["programme"]["id"], deleted["statuses_removed"]) == (made["id"], 1)
    assert await changes(db, tenant) == [(1, 2, 120)]


async def test_changes_to_another_merchants_programme_are_404(
    tenant: Tenant, other: Tenant
) -> None:
    made = await programme(tenant.client)
    assert (await patch(other.client, made, name="Hijacked")).status_code == 404
    assert (await other.client.delete(f"/v1/loyalty-levels/{made['id']}")).status_code == 404
    still = await created(await tenant.client.get(f"/v1/loyalty-levels/{made['id']}"), 200)
    assert still == made
