"""Shipments of an order and their tracking timeline."""

from __future__ import annotations

import builtins
import uuid
from decimal import Decimal
from typing import Any

from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.events.service import emit
from tillroll.kit import parse
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.orders import rules
from tillroll.orders.events import SHIPMENT_CREATED, SHIPMENT_TRACKED
from tillroll.orders.repository import OrderRepository
from tillroll.orders.schemas import Shipment, ShipmentCreate, TrackingEvent, TrackingEventIn
from tillroll.orders.service import body_hash
from tillroll.orders.service import order as order_service


class ShippingService:
    async def ship(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID,
        body: ShipmentCreate,
    ) -> tuple[Shipment, bool]:
        """Record a shipment of some of the order's items (the same shipment again — same
        carrier and tracking number, same content — is a replay)."""
        order = await order_service.locked(conn, merchant_id, receipt_id)
        repo = OrderRepository.of(conn)
        carrier, number, weight = _checked(body)
        digest = body_hash(body)
        shipments = await repo.shipments(merchant_id, receipt_id)
        for earlier in shipments:
            if number is not None and (earlier["carrier"], earlier["tracking_number"]) == (
                carrier,
                number,
            ):
                if earlier["body_hash"] != digest:
                    raise Conflict(f"{carrier} {number} is already another shipment of this order.")
                return (await self._read(repo, merchant_id, [earlier]))[0], False
        items = await repo.items(merchant_id, receipt_id)
        _take(body, items)
        ship_date = check_moment("ship_date", body.ship_date)
        row = {
            "merchant_id": merchant_id, "id": uuid7(), "receipt_id": receipt_id,
            "carrier": carrier, "tracking_number": number,
            "tracking_url": body.tracking_url or rules.tracking_url(carrier, number),
            "items": body.items, "ship_date": ship_date, "origin": body.origin,
            "destination": body.destination, "weight": weight, "weight_unit": body.weight_unit,
            "status": "info_received", "status_at": ship_date, "delivered_at": None,
            "body_hash": digest, "created_at": utc_now(),
        }  # fmt: skip
        await repo.insert_shipment(row)
        await repo.set_items(merchant_id, receipt_id, items)
        now = row["created_at"]
        await order_service.save(
            conn, merchant_id, order, items, [*shipments, row], {"updated_at": now}
        )
        shipment = _shipment(row, [])
        await emit(conn, merchant_id, SHIPMENT_CREATED, shipment)
        return shipment, True

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> builtins.list[Shipment]:
        repo = OrderRepository.of(conn)
        if await repo.get(merchant_id, receipt_id) is None:
            raise NotFound(f"No order on receipt {receipt_id}.")
        return await self._read(repo, merchant_id, await repo.shipments(merchant_id, receipt_id))

    async def get(
        self, conn: Connection, merchant_id: uuid.UUID, shipment_id: uuid.UUID
    ) -> Shipment:
        repo = OrderRepository.of(conn)
        found = await repo.shipment(merchant_id, shipment_id)
        if found is None:
            raise NotFound(f"No shipment {shipment_id}.")
        rows = await repo.shipments(merchant_id, found["receipt_id"])
        [shipment] = await self._read(
            repo, merchant_id, [r for r in rows if r["id"] == shipment_id]
        )
        return shipment

    async def track(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        shipment_id: uuid.UUID,
        body: TrackingEventIn,
    ) -> Shipment:
        """Add a carrier event to the shipment's timeline; the latest by time is its status."""
        repo = OrderRepository.of(conn)
        found = await repo.shipment(merchant_id, shipment_id)
        if found is None:
            raise NotFound(f"No shipment {shipment_id}.")
        order = await order_service.locked(conn, merchant_id, found["receipt_id"])
        shipments = await repo.shipments(merchant_id, found["receipt_id"])
        [row] = [r for r in shipments if r["id"] == shipment_id]
        now = utc_now()
        occurred_at = check_moment("occurred_at", body.occurred_at) or now
        events = await repo.events(merchant_id, [shipment_id])
        event = {
            "merchant_id": merchant_id, "shipment_id": shipment_id, "seq": len(events) + 1,
            "status": body.status, "raw_text": body.raw_text, "occurred_at": occurred_at,
            "recorded_at": now,
        }  # fmt: skip
        await repo.insert_event(event)
        if occurred_at >= row["status_at"]:
            delivered = occurred_at if body.status == "delivered" else None
            row |= {"status": body.status, "status_at": occurred_at, "delivered_at": delivered}
            await repo.set_shipment_status(
                merchant_id, shipment_id, body.status, occurred_at, delivered
            )
        items = await repo.items(merchant_id, found["receipt_id"])
        await order_service.save(conn, merchant_id, order, items, shipments, {"updated_at": now})
        shipment = _shipment(row, [_event(e) for e in [*events, event]])
        await emit(conn, merchant_id, SHIPMENT_TRACKED, shipment)
        return shipment

    async def _read(
        self, repo: OrderRepository, merchant_id: uuid.UUID, rows: builtins.list[dict[str, Any]]
    ) -> builtins.list[Shipment]:
        events: dict[uuid.UUID, builtins.list[TrackingEvent]] = {}
        for e in await repo.events(merchant_id, [r["id"] for r in rows]):
            events.setdefault(e["shipment_id"], []).append(_event(e))
        return [_shipment(r, events.get(r["id"], [])) for r in rows]


def _checked(body: ShipmentCreate) -> tuple[str, str | None, str]:
    """The carrier's name, the tracking number and the weight, checked (422 naming them)."""
    errors: list[FieldError] = []
    carrier = rules.carrier_name(body.carrier)
    if not carrier:
        errors.append(FieldError("carrier", "is empty"))
    number = rules.tracking_number(carrier, body.tracking_number, errors)
    rules.check_address("origin", body.origin, errors)
    rules.check_address("destination", body.destination, errors)
    weight = parse.decimal(body.weight, field="weight", integer_digits=9, places=6)
    if weight <= 0:
        errors.append(FieldError("weight", f"is {body.weight}; a weight is more than 0"))
    lines = [i.line_no for i in body.items]
    for index, line_no in enumerate(lines):
        if lines.index(line_no) != index:
            errors.append(FieldError(f"items[{index}].line_no", "is given twice"))
    if errors:
        raise InvalidInput.fields(errors)
    return carrier, number, _plain(weight)


def _plain(value: Decimal) -> str:
    """`4.50` → `"4.5"`: one spelling per weight."""
    return format(value.normalize(), "f")


def _take(body: ShipmentCreate, items: list[dict[str, Any]]) -> None:
    """Count the shipped quantities into `items` (409 beyond what is left to ship)."""
    by_line = {i["line_no"]: i for i in items}
    for index, wanted in enumerate(body.items):
        item = by_line.get(wanted.line_no)
        if item is None:
            raise InvalidInput.field(f"items[{index}].line_no", f"no item on line {wanted.line_no}")
        left = item["quantity"] - item["shipped"]
        if wanted.quantity > left:
            raise Conflict(
                f"Item {item['item_id']}: {item['ordered']} ordered, "
                f"{item['ordered'] - item['quantity']} cancelled, {item['shipped']} shipped; "
                f"{wanted.quantity} more cannot ship ({left} left)."
            )
        item["shipped"] += wanted.quantity


def _event(row: dict[str, Any]) -> TrackingEvent:
    return TrackingEvent(**{n: row[n] for n in TrackingEvent.__struct_fields__})


def _shipment(row: dict[str, Any], events: list[TrackingEvent]) -> Shipment:
    names = [n for n in Shipment.__struct_fields__ if n != "events"]
    return Shipment(**{n: row[n] for n in names}, events=events)


shipping = ShippingService()
