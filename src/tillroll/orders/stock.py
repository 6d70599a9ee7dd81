"""Back in stock ("notify me"): subscriptions to an out-of-stock product, and the fan-out
when it is available again.

Turning a product's availability on (`PATCH /v1/products/{id}` or `restock`) enqueues one
job in that transaction (the products domain's `ON_RESTOCK` hook). The worker notifies the
open subscriptions in batches of `BATCH`, each batch its own transaction: one event per
subscriber (`product.back_in_stock`), the subscriptions closed in the same transaction, so a
subscriber is notified exactly once however often the product is restocked or the job rerun.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import msgspec

from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.events.service import emit_many
from tillroll.jobs.schemas import Job
from tillroll.jobs.service import enqueue, handler
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.ids import uuid7
from tillroll.kit.validate import check_email
from tillroll.orders.events import PRODUCT_BACK_IN_STOCK, BackInStock
from tillroll.orders.repository import StockRepository
from tillroll.orders.schemas import (
    Restock,
    RestockResult,
    StockSettings,
    Subscription,
    SubscriptionCreate,
)
from tillroll.products import service as products
from tillroll.products.schemas import Product, ProductUpdate
from tillroll.products.service import product as product_service

KIND = "orders.back_in_stock"
BATCH = 1000
RUN_BUDGET = 20.0  # seconds of one job run; the rest continues in a follow-up job


class StockService:
    async def subscribe(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        product_id: uuid.UUID,
        body: SubscriptionCreate,
    ) -> tuple[Subscription, bool]:
        """Record that a customer or an address wants to know (idempotent per subscriber
        and product while the subscription is open)."""
        product = await product_service.get(conn, merchant_id, product_id)
        key = await _subscriber(conn, merchant_id, body)
        if product.available:
            raise Conflict(f"Product {product.external_id} is in stock; nothing to wait for.")
        repo = StockRepository.of(conn)
        existing = await repo.open_subscription(merchant_id, product_id, key)
        if existing is not None:
            return _subscription(existing), False
        row = {
            "merchant_id": merchant_id, "id": uuid7(), "product_id": product_id,
            "customer_id": body.customer_id, "email": body.email and body.email.lower(),
            "open_key": key, "status": "open", "created_at": utc_now(), "closed_at": None,
        }  # fmt: skip
        await repo.insert_subscriptions([row])
        return _subscription(row), True

    async def get(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        product_id: uuid.UUID,
        subscription_id: uuid.UUID,
    ) -> Subscription:
        row = await StockRepository.of(conn).subscription(merchant_id, product_id, subscription_id)
        if row is None:
            raise NotFound(f"No subscription {subscription_id} to product {product_id}.")
        return _subscription(row)

    async def unsubscribe(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        product_id: uuid.UUID,
        subscription_id: uuid.UUID,
    ) -> None:
        """Cancel an open subscription (one already closed stays as it is)."""
        await self.get(conn, merchant_id, product_id, subscription_id)
        await StockRepository.of(conn).close(merchant_id, [subscription_id], "cancelled", utc_now())

    async def restock(
        self, conn: Connection, merchant_id: uuid.UUID, product_id: uuid.UUID, body: Restock
    ) -> RestockResult:
        """Mark the product available; its open subscriptions are notified by the worker
        (a product already in stock notifies nobody)."""
        product = await product_service.get(conn, merchant_id, product_id)
        if product.available:
            return RestockResult(product_id=product_id, available=True, notifying=0)
        update = ProductUpdate(available=True)
        await product_service.update(conn, merchant_id, product_id, update, note=body)
        waiting = await StockRepository.of(conn).count_waiting(merchant_id, product_id)
        return RestockResult(product_id=product_id, available=True, notifying=waiting)

    async def settings(self, conn: Connection, merchant_id: uuid.UUID) -> StockSettings:
        url = await StockRepository.of(conn).landing_url(merchant_id)
        if url is None:
            raise NotFound("No back-in-stock landing URL is configured.")
        return StockSettings(landing_url=url)

    async def configure(
        self, conn: Connection, merchant_id: uuid.UUID, body: StockSettings
    ) -> StockSettings:
        await StockRepository.of(conn).set_landing_url(merchant_id, body.landing_url, utc_now())
        return body


async def _subscriber(conn: Connection, merchant_id: uuid.UUID, body: SubscriptionCreate) -> str:
    """The subscriber's key: `customer:<id>` or `email:<address>` (422 naming the field)."""
    if (body.customer_id is None) == (body.email is None):
        raise InvalidInput.field("customer_id", "give customer_id or email (one of them)")
    if body.email is not None:
        errors: list[FieldError] = []
        check_email("email", body.email, errors)
        if errors:
            raise InvalidInput.fields(errors)
        return f"email:{body.email.lower()}"
    assert body.customer_id is not None
    try:
        await customer_service.get(conn, merchant_id, body.customer_id)
    except NotFound:
        raise InvalidInput.field("customer_id", f"no customer {body.customer_id}") from None
    return f"customer:{body.customer_id}"


async def on_restock(conn: Connection, merchant_id: uuid.UUID, product: Product, note: Any) -> None:
    """The product is available again: enqueue its fan-out in this transaction."""
    offer = note if isinstance(note, Restock) else Restock()
    payload = {"product_id": str(product.id), **msgspec.to_builtins(offer)}
    await enqueue(conn, KIND, payload, merchant_id=merchant_id)


products.ON_RESTOCK.append(on_restock)


@handler(KIND, timeout=timedelta(seconds=60))
async def notify_subscribers(db: Database, job: Job) -> None:
    """Notify a restocked product's open subscriptions, a batch per transaction."""
    assert job.merchant_id is not None
    merchant_id = job.merchant_id
    product_id = uuid.UUID(job.payload["product_id"])
    offer = msgspec.convert({k: v for k, v in job.payload.items() if k != "product_id"}, Restock)
    deadline = time.monotonic() + RUN_BUDGET

    async def batch(conn: Connection) -> int:
        return await notify_batch(conn, merchant_id, product_id, offer)

    while time.monotonic() < deadline:
        if await run(db, batch, write=True) < BATCH:
            return

    async def follow_up(conn: Connection) -> None:
        await enqueue(conn, KIND, job.payload, merchant_id=merchant_id)

    await run(db, follow_up, write=True)


async def notify_batch(
    conn: Connection, merchant_id: uuid.UUID, product_id: uuid.UUID, offer: Restock
) -> int:
    """Notify up to `BATCH` open subscriptions (none while the product is out of stock
    again: they wait for the next restock); how many were notified."""
    try:
        product = await product_service.get(conn, merchant_id, product_id)
    except NotFound:
        return 0
    if not product.available:
        return 0
    repo = StockRepository.of(conn)
    waiting = await repo.waiting(merchant_id, product_id, BATCH)
    if not waiting:
        return 0
    landing_url = await repo.landing_url(merchant_id)
    notes = [
        BackInStock(
            subscription_id=s["id"], product_id=product_id, customer_id=s["customer_id"],
            email=s["email"], name=product.name, url=offer.url, thumb_url=product.image_url,
            price=offer.price, currency=offer.currency, metadata=product.metadata,
            landing_url=landing_url,
        )
        for s in waiting
    ]  # fmt: skip
    await emit_many(conn, merchant_id, PRODUCT_BACK_IN_STOCK, notes)
    await repo.close(merchant_id, [s["id"] for s in waiting], "notified", utc_now())
    return len(waiting)


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(**{n: row[n] for n in Subscription.__struct_fields__})


stock = StockService()
