"""Orders of online receipts: details, updates (revisions), shipments and tracking."""

from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Reply, Router
from tillroll.orders.schemas import (
    Order,
    OrderCreate,
    OrderUpdate,
    Restock,
    RestockResult,
    Revision,
    Revisions,
    Shipment,
    ShipmentCreate,
    Shipments,
    StockSettings,
    Subscription,
    SubscriptionCreate,
    TrackingEventIn,
)
from tillroll.orders.service import order as order_service
from tillroll.orders.shipping import shipping
from tillroll.orders.stock import stock

router = Router("/v1/receipts", tag="orders")
shipments = Router("/v1/shipments", tag="orders")


def actor(call: Call) -> str:
    """Who made a change, as revisions record it: the API key."""
    return f"key:{getattr(call.principal, 'key_id', 'unknown')}"


@router.post(
    "/{receipt_id}/order", access=Access.write, status=201, idempotent=True,
    errors=(404, 409, 422),
)  # fmt: skip
async def place(call: Call, receipt_id: uuid.UUID, body: OrderCreate) -> Order | Reply:
    """Attach the order details to an online receipt (201); the same again answers 200."""
    merchant_id = call.principal.merchant_id
    placed, created = await order_service.place(
        call.conn, merchant_id, receipt_id, body, actor(call)
    )
    return placed if created else Reply(placed, status=200)


@router.get("/{receipt_id}/order", access=Access.read, errors=(404,))
async def get_order(call: Call, receipt_id: uuid.UUID) -> Order:
    """The order as it is now: status, live quantities, current totals."""
    return await order_service.get(call.conn, call.principal.merchant_id, receipt_id)


@router.post(
    "/{receipt_id}/updates", access=Access.write, status=201, idempotent=True,
    errors=(404, 409, 422),
)  # fmt: skip
async def update(call: Call, receipt_id: uuid.UUID, body: OrderUpdate) -> Revision | Reply:
    """Amend the order (cancel items, change quantities, revise totals): a new revision."""
    merchant_id = call.principal.merchant_id
    revision, created = await order_service.update(
        call.conn, merchant_id, receipt_id, body, actor(call)
    )
    return revision if created else Reply(revision, status=200)


@router.get("/{receipt_id}/revisions", access=Access.read, errors=(404,))
async def revisions(call: Call, receipt_id: uuid.UUID) -> Revisions:
    """Every revision of the order, oldest (as placed) first."""
    found = await order_service.revisions(call.conn, call.principal.merchant_id, receipt_id)
    return Revisions(data=found)


@router.post(
    "/{receipt_id}/shipments", access=Access.write, status=201, idempotent=True,
    errors=(404, 409, 422),
)  # fmt: skip
async def ship(call: Call, receipt_id: uuid.UUID, body: ShipmentCreate) -> Shipment | Reply:
    """Record a shipment of some of the order's items, with its tracking."""
    merchant_id = call.principal.merchant_id
    shipment, created = await shipping.ship(call.conn, merchant_id, receipt_id, body)
    return shipment if created else Reply(shipment, status=200)


@router.get("/{receipt_id}/shipments", access=Access.read, errors=(404,))
async def list_shipments(call: Call, receipt_id: uuid.UUID) -> Shipments:
    """The order's shipments, oldest first, each with its tracking timeline."""
    return Shipments(data=await shipping.list(call.conn, call.principal.merchant_id, receipt_id))


@shipments.get("/{shipment_id}", access=Access.read, errors=(404,))
async def get_shipment(call: Call, shipment_id: uuid.UUID) -> Shipment:
    """One shipment with its tracking timeline."""
    return await shipping.get(call.conn, call.principal.merchant_id, shipment_id)


@shipments.post(
    "/{shipment_id}/events", access=Access.write, status=201, idempotent=True,
    errors=(404, 422),
)  # fmt: skip
async def track(call: Call, shipment_id: uuid.UUID, body: TrackingEventIn) -> Shipment:
    """Add a carrier event (normalised status + the carrier's text) to the timeline."""
    return await shipping.track(call.conn, call.principal.merchant_id, shipment_id, body)


stock_router = Router("/v1/products", tag="back in stock")
stock_settings = Router("/v1/back-in-stock", tag="back in stock")


@stock_router.post(
    "/{product_id}/subscriptions", access=Access.write, status=201, idempotent=True,
    errors=(404, 409, 422),
)  # fmt: skip
async def subscribe(
    call: Call, product_id: uuid.UUID, body: SubscriptionCreate
) -> Subscription | Reply:
    """Notify a customer or an address when this out-of-stock product is back (201; the
    same subscriber again answers its open subscription, 200)."""
    merchant_id = call.principal.merchant_id
    found, created = await stock.subscribe(call.conn, merchant_id, product_id, body)
    return found if created else Reply(found, status=200)


@stock_router.get(
    "/{product_id}/subscriptions/{subscription_id}", access=Access.read, errors=(404,)
)
async def get_subscription(
    call: Call, product_id: uuid.UUID, subscription_id: uuid.UUID
) -> Subscription:
    """One subscription: open, notified or cancelled."""
    return await stock.get(call.conn, call.principal.merchant_id, product_id, subscription_id)


@stock_router.delete(
    "/{product_id}/subscriptions/{subscription_id}", access=Access.write, status=204,
    errors=(404,),
)  # fmt: skip
async def unsubscribe(call: Call, product_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    """Unsubscribe (an already closed subscription stays as it is)."""
    merchant_id = call.principal.merchant_id
    await stock.unsubscribe(call.conn, merchant_id, product_id, subscription_id)


@stock_router.post("/{product_id}/restock", access=Access.write, errors=(404, 422))
async def restock(call: Call, product_id: uuid.UUID, body: Restock) -> RestockResult:
    """Mark the product available; each open subscription is notified once, by the worker."""
    return await stock.restock(call.conn, call.principal.merchant_id, product_id, body)


@stock_settings.get("/settings", access=Access.read, errors=(404,))
async def get_settings(call: Call) -> StockSettings:
    """The landing URL notified shoppers are sent to."""
    return await stock.settings(call.conn, call.principal.merchant_id)


@stock_settings.route("PUT", "/settings", access=Access.admin, errors=(422,))
async def put_settings(call: Call, body: StockSettings) -> StockSettings:
    """Set the landing URL notified shoppers are sent to."""
    return await stock.configure(call.conn, call.principal.merchant_id, body)
