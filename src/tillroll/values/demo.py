"""Demo value data (docs/values.md, docs/paid.md): two metrics on `ticket.resolved`, a
month of signals for three demo customers, and one sealed, published value receipt."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tillroll.kit.db import Connection, Database, run
from tillroll.merchants.schemas import Merchant
from tillroll.values.metrics import metric as metric_service
from tillroll.values.schemas import (
    Formula,
    MetricCreate,
    ReceiptRequest,
    SignalCreate,
    Unit,
    Variable,
)
from tillroll.values.service import value_receipt as receipt_service
from tillroll.values.signals import signal as signal_service

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
METRICS = [
    MetricCreate(
        name="Hours saved",
        slug="hours-saved",
        event_name="ticket.resolved",
        formula=Formula(
            expression="minutes_saved / 60",
            variables=[
                Variable(id="minutes_saved", default=Decimal(20), label="Minutes per ticket")
            ],
        ),
        unit=Unit(type="duration", duration_unit="hours"),
        currency="EUR",
        value_per_unit=Decimal(45),
    ),
    MetricCreate(
        name="Tickets resolved",
        slug="tickets-resolved",
        event_name="ticket.resolved",
        formula=Formula(expression="1"),
        unit=Unit(type="custom", unit="tickets", unit_display="tickets"),
        currency="EUR",
    ),
]


async def load_values_demo(db: Database, merchant: Merchant, rng: random.Random) -> None:
    await run(db, lambda conn: _load(conn, merchant, rng), write=True)


async def _load(conn: Connection, merchant: Merchant, rng: random.Random) -> None:
    for body in METRICS:
        await metric_service.create(conn, merchant.id, body)
    signals = [
        SignalCreate(
            event_name="ticket.resolved",
            external_customer_id=f"CUST-000{1 + n % 3}",
            timestamp=NOVEMBER + timedelta(minutes=rng.randint(0, 29 * 24 * 60)),
            data={"minutes_saved": rng.choice([10, 20, 30, 45])},
            idempotency_key=f"demo-ticket-{n}",
        )
        for n in range(60)
    ]
    await signal_service.ingest(conn, merchant.id, signals)
    period = ReceiptRequest(
        external_customer_id="CUST-0001", start=NOVEMBER, end=NOVEMBER + timedelta(days=30)
    )
    receipt = await receipt_service.create(conn, merchant.id, period)
    await receipt_service.seal(conn, merchant.id, receipt.id)
    await receipt_service.publish(conn, merchant.id, receipt.id, None)
