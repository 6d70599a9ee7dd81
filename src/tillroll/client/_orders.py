"""Orders of online receipts (docs/orders.md): order details, updates and their revisions,
shipments and their tracking events, back-in-stock subscriptions and restocks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tillroll.client._base import Call, Id, path
from tillroll.client._resources import AsyncResource, NoContent, SyncResource, _async, _sync
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


class _OrderCalls:
    @staticmethod
    def place(
        receipt_id: Id, body: OrderCreate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Order]:
        """Attach the order details to an online receipt (the same again answers them)."""
        url = path("/v1/receipts/{}/order", receipt_id)
        return Call("POST", url, Order, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get(receipt_id: Id) -> Call[Order]:
        """The order as it is now: derived status, live quantities, current totals."""
        return Call("GET", path("/v1/receipts/{}/order", receipt_id), Order)

    @staticmethod
    def update(
        receipt_id: Id, body: OrderUpdate | Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Call[Revision]:
        """Amend the order (`cancel_item`, `update_quantity`, revised totals): a new revision.
        The same `update_id` again answers the first result; cancelling or reducing beyond
        what is unshipped raises `ConflictError`."""
        url = path("/v1/receipts/{}/updates", receipt_id)
        return Call("POST", url, Revision, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def revisions(receipt_id: Id) -> Call[Revisions]:
        """Every revision of the order, as placed first."""
        return Call("GET", path("/v1/receipts/{}/revisions", receipt_id), Revisions)


class _ShipmentCalls:
    @staticmethod
    def create(
        receipt_id: Id,
        body: ShipmentCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Call[Shipment]:
        """Ship some of the order's items (more than is left raises `ConflictError`)."""
        url = path("/v1/receipts/{}/shipments", receipt_id)
        return Call("POST", url, Shipment, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def list(receipt_id: Id) -> Call[Shipments]:
        """The order's shipments, oldest first, each with its tracking timeline."""
        return Call("GET", path("/v1/receipts/{}/shipments", receipt_id), Shipments)

    @staticmethod
    def get(shipment_id: Id) -> Call[Shipment]:
        """One shipment with its timeline."""
        return Call("GET", path("/v1/shipments/{}", shipment_id), Shipment)

    @staticmethod
    def add_event(shipment_id: Id, body: TrackingEventIn | Mapping[str, Any]) -> Call[Shipment]:
        """A tracking event (`in_transit`, `delivered`, …, with the carrier's raw text)."""
        return Call("POST", path("/v1/shipments/{}/events", shipment_id), Shipment, body=body)


class _StockCalls:
    @staticmethod
    def subscribe(
        product_id: Id,
        body: SubscriptionCreate | Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> Call[Subscription]:
        """Notify a customer or an e-mail address when the product is back (the same
        subscriber again answers its open subscription)."""
        url = path("/v1/products/{}/subscriptions", product_id)
        return Call("POST", url, Subscription, body=body, idempotency_key=idempotency_key)

    @staticmethod
    def get_subscription(product_id: Id, subscription_id: Id) -> Call[Subscription]:
        """One subscription: open, notified or cancelled."""
        url = path("/v1/products/{}/subscriptions/{}", product_id, subscription_id)
        return Call("GET", url, Subscription)

    @staticmethod
    def unsubscribe(product_id: Id, subscription_id: Id) -> Call[None]:
        """Unsubscribe (a closed subscription stays as it is)."""
        url = path("/v1/products/{}/subscriptions/{}", product_id, subscription_id)
        return Call("DELETE", url, NoContent)

    @staticmethod
    def restock(
        product_id: Id, body: Restock | Mapping[str, Any] | None = None
    ) -> Call[RestockResult]:
        """Mark the product available: each open subscription is notified once (by the worker)."""
        url = path("/v1/products/{}/restock", product_id)
        return Call("POST", url, RestockResult, body=body if body is not None else {})

    @staticmethod
    def get_settings() -> Call[StockSettings]:
        """The landing URL every notification carries."""
        return Call("GET", "/v1/back-in-stock/settings", StockSettings)

    @staticmethod
    def set_settings(body: StockSettings | Mapping[str, Any]) -> Call[StockSettings]:
        """Set the landing URL (admin key)."""
        return Call("PUT", "/v1/back-in-stock/settings", StockSettings, body=body)


class OrdersResource(SyncResource):
    """`/v1/receipts/{id}/order|updates|revisions`: an online receipt's order."""

    place = _sync(_OrderCalls.place)
    get = _sync(_OrderCalls.get)
    update = _sync(_OrderCalls.update)
    revisions = _sync(_OrderCalls.revisions)


class AsyncOrdersResource(AsyncResource):
    """`/v1/receipts/{id}/order|updates|revisions`: an online receipt's order."""

    place = _async(_OrderCalls.place)
    get = _async(_OrderCalls.get)
    update = _async(_OrderCalls.update)
    revisions = _async(_OrderCalls.revisions)


class ShipmentsResource(SyncResource):
    """`/v1/receipts/{id}/shipments`, `/v1/shipments`: shipments and their tracking."""

    create = _sync(_ShipmentCalls.create)
    list = _sync(_ShipmentCalls.list)
    get = _sync(_ShipmentCalls.get)
    add_event = _sync(_ShipmentCalls.add_event)


class AsyncShipmentsResource(AsyncResource):
    """`/v1/receipts/{id}/shipments`, `/v1/shipments`: shipments and their tracking."""

    create = _async(_ShipmentCalls.create)
    list = _async(_ShipmentCalls.list)
    get = _async(_ShipmentCalls.get)
    add_event = _async(_ShipmentCalls.add_event)


class BackInStockResource(SyncResource):
    """`/v1/products/{id}/subscriptions|restock`, `/v1/back-in-stock`: notify me."""

    subscribe = _sync(_StockCalls.subscribe)
    get_subscription = _sync(_StockCalls.get_subscription)
    unsubscribe = _sync(_StockCalls.unsubscribe)
    restock = _sync(_StockCalls.restock)
    get_settings = _sync(_StockCalls.get_settings)
    set_settings = _sync(_StockCalls.set_settings)


class AsyncBackInStockResource(AsyncResource):
    """`/v1/products/{id}/subscriptions|restock`, `/v1/back-in-stock`: notify me."""

    subscribe = _async(_StockCalls.subscribe)
    get_subscription = _async(_StockCalls.get_subscription)
    unsubscribe = _async(_StockCalls.unsubscribe)
    restock = _async(_StockCalls.restock)
    get_settings = _async(_StockCalls.get_settings)
    set_settings = _async(_StockCalls.set_settings)
