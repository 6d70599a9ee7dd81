"""Bodies the values tests share: two metrics on one event, and signals for them."""

from __future__ import annotations

from typing import Any

import httpx

EVENT = "ticket.resolved"
HOURS: dict[str, Any] = {
    "name": "Hours saved",
    "slug": "hours-saved",
    "event_name": EVENT,
    "formula": {
        "expression": "minutes_saved / 60",
        "variables": [{"id": "minutes_saved", "default": 20, "label": "Minutes per ticket"}],
    },
    "unit": {"type": "duration", "duration_unit": "hours"},
    "currency": "EUR",
    "value_per_unit": "50",
}
COST: dict[str, Any] = {
    "name": "Cost saved",
    "slug": "cost-saved",
    "event_name": EVENT,
    "formula": {"expression": "amount", "variables": [{"id": "amount", "default": "2.50"}]},
    "unit": {"type": "monetary"},
    "currency": "EUR",
}
PERIOD = {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"}


def signal(key: str, customer: str = "cust-1", day: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "event_name": EVENT,
        "external_customer_id": customer,
        "timestamp": f"2026-11-{day:02d}T10:00:00Z",
        "idempotency_key": key,
        **extra,
    }


async def seed(client: httpx.AsyncClient) -> None:
    """Both metrics and four signals of `cust-1`: three default, one of 60 minutes."""
    for body in (HOURS, COST):
        assert (await client.post("/v1/value-metrics", json=body)).status_code == 201
    signals = [signal("k1"), signal("k2", day=4), signal("k3", day=4)]
    signals.append(signal("k4", day=5, data={"minutes_saved": 60}))
    response = await client.post("/v1/signals/bulk", json={"signals": signals})
    assert response.json()["ingested"] == 4, response.text


async def make_value_world(client: httpx.AsyncClient) -> dict[str, str]:
    """A metric, a signal and a value receipt (tests/test_tenancy.py walks them)."""
    metric = (await client.post("/v1/value-metrics", json=COST)).json()
    ingested = (await client.post("/v1/signals", json=signal("tenancy"))).json()
    body = {"external_customer_id": "cust-1", **PERIOD}
    receipt = (await client.post("/v1/value-receipts", json=body)).json()
    return {
        "metric_id": metric["id"],
        "signal_id": ingested["ids"][0],
        "value_receipt_id": receipt["id"],
    }


async def value_snapshot(client: httpx.AsyncClient, ids: dict[str, str]) -> list[Any]:
    paths = [
        f"/v1/value-metrics/{ids['metric_id']}",
        f"/v1/signals/{ids['signal_id']}",
        f"/v1/value-receipts/{ids['value_receipt_id']}",
    ]
    return [(await client.get(p)).json() for p in paths]
