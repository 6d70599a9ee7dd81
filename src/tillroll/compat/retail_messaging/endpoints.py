"""The retail-messaging routes: one per document type, the `{type, data}` envelope, and the
order as the facade knows it (docs/compat-retail-messaging.md)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec
from starlette.responses import Response

from tillroll.compat.retail_messaging.schemas import (
    DOCUMENTS,
    Envelope,
    NotifyMe,
    NotifyResult,
    OrderView,
    RetailReceipt,
    RetailShipment,
    RetailUpdate,
)
from tillroll.compat.retail_messaging.translate import (
    NOTIFY_RENAMES,
    RENAMES,
    UPDATE_RENAMES,
    notify_fields,
    receipt_bodies,
    renamed,
    shipment_body,
    update_body,
    view,
)
from tillroll.errors import FieldError, InvalidInput, NotFound, TillrollError
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call, Reply, Router
from tillroll.kit.inputs import decode_json
from tillroll.kit.viewer import Viewer
from tillroll.orders.schemas import Order, OrderCreate, OrderUpdate, Restock, ShipmentCreate
from tillroll.orders.service import order as order_service
from tillroll.orders.shipping import shipping
from tillroll.orders.stock import stock
from tillroll.products.schemas import ProductCreate, ProductUpdate
from tillroll.products.service import product as product_service
from tillroll.receipts.schemas import Receipt, ReceiptCreate, ReceiptQuery
from tillroll.receipts.service import receipt as receipt_service

T = TypeVar("T")
_ENCODER = msgspec.json.Encoder()


def render_error(exc: TillrollError) -> Response:
    """`{"error": {"code", "status", "message", "fields": [{"field", "message"}]}}`."""
    body = {
        "error": {
            "code": exc.code,
            "status": exc.status,
            "message": exc.detail,
            "fields": [{"field": e.loc, "message": e.message} for e in exc.errors],
        }
    }
    return Response(
        _ENCODER.encode(body), exc.status, exc.headers or None, media_type="application/json"
    )


router = Router(
    "/compat/retail-messaging", tag="compat: retail messaging", render_error=render_error
)
_ERRORS = (404, 409, 422)


def _native(data: dict[str, Any], kind: type[T], names: dict[str, str]) -> T:
    """The native body, its field errors named as the document names them."""
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        text, _, at = str(exc).partition(" - at `$")
        loc = at.rstrip("`").lstrip(".") or "body"
        raise renamed(InvalidInput.fields([FieldError(loc, text)]), names) from None


async def _receipt(conn: Connection, merchant_id: uuid.UUID, receipt_id: str | None) -> Receipt:
    """The receipt the facade calls `receipt_id` (the native `external_id`): 422 if unknown."""
    found = await _find(conn, merchant_id, receipt_id or "")
    if found is None:
        if receipt_id is None:
            raise InvalidInput.field("receipt_id", "required field missing")
        raise InvalidInput.field("receipt_id", f"no receipt {receipt_id[:64]!r}")
    return found


async def _find(conn: Connection, merchant_id: uuid.UUID, receipt_id: str) -> Receipt | None:
    if not receipt_id:
        return None
    query = ReceiptQuery(external_id=receipt_id, limit=1)
    page = await receipt_service.list(conn, Viewer(merchant_id), query)
    return page.data[0] if page.data else None


async def _order(conn: Connection, merchant_id: uuid.UUID, receipt: Receipt) -> Order:
    try:
        return await order_service.get(conn, merchant_id, receipt.id)
    except NotFound:
        raise InvalidInput.field(
            "receipt_id", f"receipt {receipt.external_id!r} has no order (post retail_receipts)"
        ) from None


async def _view(conn: Connection, merchant_id: uuid.UUID, receipt: Receipt) -> OrderView:
    try:
        order = await order_service.get(conn, merchant_id, receipt.id)
    except NotFound:
        return view(receipt, None, [], [])
    revisions = await order_service.revisions(conn, merchant_id, receipt.id)
    shipments = await shipping.list(conn, merchant_id, receipt.id)
    return view(receipt, order, revisions, shipments)


def _answer(result: OrderView, created: bool) -> OrderView | Reply:
    return result if created else Reply(result, status=200)


async def _post_receipt(call: Call, doc: RetailReceipt) -> OrderView | Reply:
    merchant_id = call.principal.merchant_id
    receipt_data, order_data = receipt_bodies(doc)
    create = _native(receipt_data, ReceiptCreate, RENAMES)
    details = _native(order_data, OrderCreate, RENAMES)
    try:
        receipt, new_receipt = await receipt_service.create(call.conn, merchant_id, create)
        actor = f"key:{getattr(call.principal, 'key_id', 'unknown')}"
        _, new_order = await order_service.place(call.conn, merchant_id, receipt.id, details, actor)
    except TillrollError as exc:
        raise renamed(exc, RENAMES) from None
    return _answer(await _view(call.conn, merchant_id, receipt), new_receipt or new_order)


async def _post_shipment(call: Call, doc: RetailShipment) -> OrderView | Reply:
    merchant_id = call.principal.merchant_id
    receipt = await _receipt(call.conn, merchant_id, doc.receipt_id)
    body = _native(shipment_body(doc, await _order(call.conn, merchant_id, receipt)),
                   ShipmentCreate, RENAMES)  # fmt: skip
    try:
        _, created = await shipping.ship(call.conn, merchant_id, receipt.id, body)
    except TillrollError as exc:
        raise renamed(exc, RENAMES) from None
    return _answer(await _view(call.conn, merchant_id, receipt), created)


async def _post_update(call: Call, doc: RetailUpdate) -> OrderView | Reply:
    merchant_id = call.principal.merchant_id
    receipt = await _receipt(call.conn, merchant_id, doc.receipt_id)
    order = await _order(call.conn, merchant_id, receipt)
    body = _native(update_body(doc, order), OrderUpdate, UPDATE_RENAMES)
    actor = f"key:{getattr(call.principal, 'key_id', 'unknown')}"
    try:
        _, created = await order_service.update(call.conn, merchant_id, receipt.id, body, actor)
    except TillrollError as exc:
        raise renamed(exc, UPDATE_RENAMES) from None
    return _answer(await _view(call.conn, merchant_id, receipt), created)


async def _post_notify(call: Call, doc: NotifyMe) -> NotifyResult:
    """The product is in stock: create or refresh it, then restock it (its subscribers are
    notified by the worker with this document's URL, price and currency)."""
    merchant_id = call.principal.merchant_id
    fields = notify_fields(doc)
    details = {k: fields[k] for k in ("name", "description", "category", "metadata")}
    details["image_url"] = fields["thumb_url"]
    found = await product_service.find(call.conn, merchant_id, "external_id", fields["external_id"])
    if found is None:
        create = _native({"external_id": fields["external_id"], **details, "available": False},
                         ProductCreate, NOTIFY_RENAMES)  # fmt: skip
        found = await product_service.create(call.conn, merchant_id, create)
    else:
        update = _native(details, ProductUpdate, NOTIFY_RENAMES)
        await product_service.update(call.conn, merchant_id, found.id, update)
    offer = _native({k: fields[k] for k in ("url", "price", "currency")}, Restock, NOTIFY_RENAMES)
    result = await stock.restock(call.conn, merchant_id, found.id, offer)
    return NotifyResult(
        notification_id=fields["external_id"], product_id=str(found.id), notifying=result.notifying
    )


_HANDLERS: dict[str, Callable[[Call, Any], Awaitable[Any]]] = {
    "retail_receipts": _post_receipt,
    "retail_shipments": _post_shipment,
    "retail_updatereceipts": _post_update,
    "notifyme": _post_notify,
}


@router.post("/retail_receipts", access=Access.write, status=201, errors=_ERRORS)
async def retail_receipts(call: Call, body: RetailReceipt) -> OrderView | Reply:
    """An order receipt: stores the online receipt and its order (201; the same again 200)."""
    return await _post_receipt(call, body)


@router.post("/retail_shipments", access=Access.write, status=201, errors=_ERRORS)
async def retail_shipments(call: Call, body: RetailShipment) -> OrderView | Reply:
    """A shipment notification of some of an order's items."""
    return await _post_shipment(call, body)


@router.post("/retail_updatereceipts", access=Access.write, status=201, errors=_ERRORS)
async def retail_updatereceipts(call: Call, body: RetailUpdate) -> OrderView | Reply:
    """An order update (cancel_item or update_quantity): a new revision."""
    return await _post_update(call, body)


@router.post("/notifyme", access=Access.write, errors=(422,))
async def notifyme(call: Call, body: NotifyMe) -> NotifyResult:
    """A product is back in stock: its Notify Me subscribers are notified once each."""
    return await _post_notify(call, body)


@router.post("", access=Access.write, status=201, errors=_ERRORS)
async def post_document(call: Call, body: Envelope) -> OrderView | NotifyResult | Reply:
    """Any document as `{"type": …, "data": {…}}`."""
    try:
        doc = decode_json(msgspec.json.Decoder(DOCUMENTS[body.type]), bytes(body.data))
    except InvalidInput as exc:  # named from the envelope: `data.items[0].price`
        exc.errors = [FieldError(f"data.{e.loc}".rstrip("."), e.message) for e in exc.errors]
        raise
    result: OrderView | NotifyResult | Reply = await _HANDLERS[body.type](call, doc)
    return Reply(result, status=200) if isinstance(result, NotifyResult) else result


@router.get("/receipts/{receipt_id}", access=Access.read, errors=(404,))
async def get_receipt(call: Call, receipt_id: str) -> OrderView:
    """The order as the facade knows it: status, items, revisions, shipments."""
    found = await _find(call.conn, call.principal.merchant_id, receipt_id)
    if found is None:
        raise NotFound(f"No receipt {receipt_id[:64]!r}.")
    return await _view(call.conn, call.principal.merchant_id, found)
