"""Orders: the order an online receipt carries, and its amendments (revisions).

A change of an order locks the order row first (`OrderRepository.lock`), so concurrent
updates and shipments of one order serialize: no lost revision, no over-shipment.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec

from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.events.service import emit
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.viewer import Viewer
from tillroll.orders import rules
from tillroll.orders.events import (
    ORDER_PLACED,
    ORDER_REVISED,
    ORDER_STATUS_CHANGED,
    ORDER_TOTAL_LOWERED,
    StatusChange,
    TotalLowered,
)
from tillroll.orders.repository import OrderRepository
from tillroll.orders.schemas import (
    ItemChange,
    Order,
    OrderCreate,
    OrderItem,
    OrderItemIn,
    OrderUpdate,
    Revision,
    Totals,
    UpdateItem,
)
from tillroll.receipts.schemas import Receipt
from tillroll.receipts.service import receipt as receipt_service


def body_hash(body: msgspec.Struct) -> str:
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


def totals_of(row: dict[str, Any]) -> Totals:
    return Totals(
        subtotal=row["subtotal"],
        shipping_total=row["shipping_total"],
        tax_total=row["tax_total"],
        total=row["total"],
    )


class OrderService:
    async def place(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID,
        body: OrderCreate,
        actor: str,
    ) -> tuple[Order, bool]:
        """Attach the order to an online receipt (once: the same body again is a replay)."""
        receipt = await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        repo = OrderRepository.of(conn)
        digest = body_hash(body)
        existing = await repo.get(merchant_id, receipt_id)
        if existing is not None:
            if existing["body_hash"] != digest:
                raise Conflict(f"Receipt {receipt_id} already has an order with other details.")
            return await self.get(conn, merchant_id, receipt_id), False
        _check_orderable(receipt)
        items = _items(merchant_id, receipt, body)
        now = utc_now()
        totals = Totals(
            subtotal=receipt.subtotal,
            shipping_total=receipt.shipping_total,
            tax_total=receipt.tax_total,
            total=receipt.total,
        )
        order = {
            "merchant_id": merchant_id, "receipt_id": receipt_id, "status": "PREPARED_SHIP",
            "account_holder_name": body.account_holder_name,
            "recipient_name": body.recipient_name, "shipping_address": body.shipping_address,
            "shipping_method": body.shipping_method, "payment_method": body.payment_method,
            "order_url": body.order_url, "cancellation_url": body.cancellation_url,
            "revision": 0, **msgspec.structs.asdict(totals), "body_hash": digest,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        revision = _revision_row(
            merchant_id, receipt_id, 0, None, "placed", [], None, totals, actor,
            receipt.issued_at, now, digest,
        )  # fmt: skip
        await repo.insert_order(order, items, revision)
        await receipt_service.set_order_status(conn, merchant_id, receipt_id, "PREPARED_SHIP")
        placed = _order(order, items, receipt)
        await emit(conn, merchant_id, ORDER_PLACED, placed)
        return placed, True

    async def get(self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> Order:
        repo = OrderRepository.of(conn)
        order = await repo.get(merchant_id, receipt_id)
        if order is None:
            raise NotFound(f"No order on receipt {receipt_id}.")
        receipt = await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        return _order(order, await repo.items(merchant_id, receipt_id), receipt)

    async def revisions(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> list[Revision]:
        repo = OrderRepository.of(conn)
        if await repo.get(merchant_id, receipt_id) is None:
            raise NotFound(f"No order on receipt {receipt_id}.")
        return [_revision(r) for r in await repo.revisions(merchant_id, receipt_id)]

    async def locked(
        self, conn: Connection, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> dict[str, Any]:
        """The order row, locked for a change (404 if the receipt has no order)."""
        order = await OrderRepository.of(conn).lock(merchant_id, receipt_id)
        if order is None:
            raise NotFound(f"No order on receipt {receipt_id}.")
        return order

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        receipt_id: uuid.UUID,
        body: OrderUpdate,
        actor: str,
    ) -> tuple[Revision, bool]:
        """Amend the order: a new revision (the same `update_id` again is a replay)."""
        order = await self.locked(conn, merchant_id, receipt_id)
        repo = OrderRepository.of(conn)
        digest = body_hash(body)
        if body.update_id is not None:
            done = await repo.revision_by_update_id(merchant_id, receipt_id, body.update_id)
            if done is not None:
                if done["body_hash"] != digest:
                    raise Conflict(
                        f"update_id {body.update_id!r} was used by another update of this order."
                    )
                return _revision(done), False
        receipt = await receipt_service.get(conn, Viewer(merchant_id), receipt_id)
        happened_at = check_moment("timestamp", body.timestamp)
        items = await repo.items(merchant_id, receipt_id)
        changes = _apply(body.update_type, body.items, items)
        before = totals_of(order)
        after = _revised(body, before)
        errors = rules.check_totals(
            "", after, tax_included=receipt.prices_include_tax, discount=receipt.discount_total
        )
        if errors:
            raise InvalidInput.fields(errors)
        number = order["revision"] + 1
        now = utc_now()
        revision = _revision_row(
            merchant_id, receipt_id, number, body.update_id, body.update_type, changes,
            before, after, actor, happened_at, now, digest,
        )  # fmt: skip
        await repo.insert_revision(revision)
        await repo.set_items(merchant_id, receipt_id, items)
        shipments = await repo.shipments(merchant_id, receipt_id)
        fields = {"revision": number, **msgspec.structs.asdict(after), "updated_at": now}
        await self.save(conn, merchant_id, order, items, shipments, fields)
        result = _revision(revision)
        await emit(conn, merchant_id, ORDER_REVISED, result)
        if after.total < before.total:
            lowered = TotalLowered(
                receipt_id=receipt_id, revision=number, currency=receipt.currency,
                total_before=before.total, total_after=after.total,
                lowered_by=before.total - after.total,
            )  # fmt: skip
            await emit(conn, merchant_id, ORDER_TOTAL_LOWERED, lowered)
        return result, True

    async def save(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        order: dict[str, Any],
        items: list[dict[str, Any]],
        shipments: list[dict[str, Any]],
        fields: dict[str, Any],
    ) -> None:
        """Write `fields` and the derived status; a new status is kept on the receipt too
        and announced."""
        receipt_id = order["receipt_id"]
        status = rules.status(items, shipments)
        await OrderRepository.of(conn).update_order(
            merchant_id, receipt_id, {**fields, "status": status}
        )
        if status != order["status"]:
            await receipt_service.set_order_status(conn, merchant_id, receipt_id, status)
            change = StatusChange(
                receipt_id=receipt_id, status_before=order["status"], status=status
            )
            await emit(conn, merchant_id, ORDER_STATUS_CHANGED, change)


def _check_orderable(receipt: Receipt) -> None:
    if receipt.type != "online" or receipt.is_return:
        raise Conflict("Only an online purchase receipt carries an order.")
    for line in receipt.lines:
        if line.quantity.isdigit() and int(line.quantity) > 0:
            continue
        raise Conflict(
            f"Line {line.line_no} has quantity {line.quantity}: an order ships whole items."
        )


def _items(merchant_id: uuid.UUID, receipt: Receipt, body: OrderCreate) -> list[dict[str, Any]]:
    """One row per receipt line, with the details `body.items` gives (422 naming the field)."""
    errors: list[FieldError] = []
    rules.check_address("shipping_address", body.shipping_address, errors)
    given: dict[int, OrderItemIn] = {}
    for index, item in enumerate(body.items):
        loc = f"items[{index}]"
        if not 1 <= item.line_no <= len(receipt.lines):
            errors.append(FieldError(f"{loc}.line_no", f"the receipt has no line {item.line_no}"))
        elif item.line_no in given:
            errors.append(FieldError(f"{loc}.line_no", f"line {item.line_no} is given twice"))
        given[item.line_no] = item
        rules.check_metadata(f"{loc}.metadata", item.metadata, errors)
    skus = [line.sku for line in receipt.lines]
    rows: list[dict[str, Any]] = []
    for line in receipt.lines:
        found = given.get(line.line_no)
        unique_sku = line.sku if line.sku and skus.count(line.sku) == 1 else None
        rows.append({
            "merchant_id": merchant_id, "receipt_id": receipt.id, "line_no": line.line_no,
            "item_id": (found and found.item_id) or unique_sku or str(line.line_no),
            "ordered": int(line.quantity), "quantity": int(line.quantity), "shipped": 0,
            "item_url": found and found.item_url, "thumb_url": found and found.thumb_url,
            "metadata": found and found.metadata,
        })  # fmt: skip
    ids: list[str] = [r["item_id"] for r in rows]
    for index, item in enumerate(body.items):
        if item.item_id is not None and ids.count(item.item_id) > 1:
            errors.append(FieldError(f"items[{index}].item_id", "is used by two lines"))
    explicit = {i.item_id for i in body.items if i.item_id is not None}
    for clash in sorted({i for i in ids if ids.count(i) > 1} - explicit):
        lines = [r["line_no"] for r in rows if r["item_id"] == clash]
        errors.append(
            FieldError("items", f"lines {lines} would all be item {clash!r}: give item_id")
        )
    if errors:
        raise InvalidInput.fields(errors)
    return rows


def _apply(kind: str, wanted: list[UpdateItem], items: list[dict[str, Any]]) -> list[ItemChange]:
    """Change the live quantities of `items` in place; what changed (409 beyond what is
    still unshipped)."""
    by_line = {i["line_no"]: i for i in items}
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, update in enumerate(wanted):
        if update.line_no not in by_line:
            errors.append(
                FieldError(f"items[{index}].line_no", f"no item on line {update.line_no}")
            )
        elif update.line_no in seen:
            errors.append(FieldError(f"items[{index}].line_no", "is given twice"))
        seen.add(update.line_no)
    if errors:
        raise InvalidInput.fields(errors)
    changes = []
    for update in wanted:
        item = by_line[update.line_no]
        before, shipped = item["quantity"], item["shipped"]
        if kind == "cancel_item":
            cancel = before - shipped if update.quantity is None else update.quantity
            after = before - cancel
        else:
            after = before if update.quantity is None else update.quantity
        if after < shipped:
            raise Conflict(
                f"Item {item['item_id']}: {before} ordered, {shipped} shipped; it cannot go to "
                f"{after} (only the {before - shipped} unshipped can be cancelled)."
            )
        item["quantity"] = after
        changes.append(
            ItemChange(
                line_no=item["line_no"], item_id=item["item_id"], quantity_before=before,
                quantity_after=after,
            )
        )  # fmt: skip
    return changes


def _revised(body: OrderUpdate, before: Totals) -> Totals:
    """The totals after an update: each one omitted carries forward."""
    return Totals(
        subtotal=before.subtotal if body.subtotal is None else body.subtotal,
        shipping_total=before.shipping_total
        if body.shipping_total is None
        else body.shipping_total,
        tax_total=before.tax_total if body.tax_total is None else body.tax_total,
        total=before.total if body.total is None else body.total,
    )


def _revision_row(
    merchant_id: uuid.UUID,
    receipt_id: uuid.UUID,
    number: int,
    update_id: str | None,
    kind: str,
    changes: list[ItemChange],
    before: Totals | None,
    after: Totals,
    actor: str,
    happened_at: Any,
    now: Any,
    digest: str,
) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id, "receipt_id": receipt_id, "revision": number,
        "update_id": update_id, "update_type": kind, "changes": changes,
        "totals_before": before, "totals_after": after, "actor": actor,
        "happened_at": happened_at, "recorded_at": now, "body_hash": digest,
    }  # fmt: skip


def _revision(row: dict[str, Any]) -> Revision:
    names = Revision.__struct_fields__
    return Revision(**{n: row[n] for n in names})


def _order(row: dict[str, Any], items: list[dict[str, Any]], receipt: Receipt) -> Order:
    lines = {line.line_no: line for line in receipt.lines}
    return Order(
        receipt_id=row["receipt_id"], status=row["status"],
        account_holder_name=row["account_holder_name"], recipient_name=row["recipient_name"],
        shipping_address=row["shipping_address"],
        shipping_method=row["shipping_method"], payment_method=row["payment_method"],
        order_url=row["order_url"], cancellation_url=row["cancellation_url"],
        currency=receipt.currency, revision=row["revision"], totals=totals_of(row),
        items=[
            OrderItem(
                line_no=i["line_no"], item_id=i["item_id"], name=lines[i["line_no"]].name,
                unit_price=lines[i["line_no"]].unit_price, ordered=i["ordered"],
                quantity=i["quantity"], shipped=i["shipped"], item_url=i["item_url"],
                thumb_url=i["thumb_url"], metadata=i["metadata"],
            )
            for i in items
        ],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


order = OrderService()
