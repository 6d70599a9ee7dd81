"""Paid's orders API (create, get, list, lines) on the facade's own `paid_orders` table.

A Paid order is a customer's contract with product lines; here it is what a value receipt's
`orderId` (and a signal's `attribution.orderId`) names: the receipt scoped to it counts the
signals attributed to that order id. Billing is not served: the billed amounts are 0, the
billing switches are accepted and not kept. An order's `version` is 1 (orders are not
updated here)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from tillroll.compat.paid import schemas as paid
from tillroll.compat.paid import translate as to
from tillroll.compat.paid.endpoints import _customer, _id, _m, router
from tillroll.compat.paid.tables import ORDERS
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call
from tillroll.kit.ids import uuid7
from tillroll.kit.repository import next_number, to_json
from tillroll.products.service import product as product_service

_READ = ORDERS.reader(ORDERS.names)
_SELECT = f"SELECT {ORDERS.select()} FROM paid_orders WHERE merchant_id = :m"
COUNTER = "paid_order"


async def _lines(
    call: Call, body: paid.OrderIn, start: datetime, end: datetime | None
) -> list[dict[str, Any]]:
    """The order's lines, each naming one of the merchant's products (else a 400 naming it)."""
    lines = body.lines or []
    ids = [to.as_uuid(line.product_id) for line in lines]
    found = await product_service.get_many(call.conn, _m(call), [i for i in ids if i])
    errors = [
        FieldError(f"lines[{n}].product_id", f"no product {line.product_id}")
        for n, (line, i) in enumerate(zip(lines, ids, strict=True))
        if i not in found
    ]
    if errors:
        raise InvalidInput.fields(errors)
    return [_line(line, found[i].name, start, end) for line, i in zip(lines, ids, strict=True) if i]


def _line(
    line: paid.OrderLineIn, product: str, start: datetime, end: datetime | None
) -> dict[str, Any]:
    ends = line.end_date or end
    return {
        "id": str(uuid7()),
        "product_id": line.product_id,
        "name": line.name or product,
        "description": line.description,
        "start_date": (line.start_date or start).isoformat(),
        "end_date": ends.isoformat() if ends else None,
    }


def _out(row: dict[str, Any]) -> paid.Order:
    return paid.Order(
        id=str(row["id"]), customer_id=str(row["customer_id"]), billing_customer_id=None,
        billing_contact_ids=[], created_at=row["created_at"], updated_at=row["updated_at"],
        end_date=row["end_date"], name=row["name"], start_date=row["start_date"],
        subscription_terms=row["subscription_terms"], billed_amount_no_tax=0, billed_tax=0,
        estimated_tax=0, order_amount=0, pending_billing_amount=0, total_amount=0,
        total_billed_amount=0, creation_state=row["creation_state"],
        payment_terms=row["payment_terms"], number=row["number"], metadata=row["metadata"],
        external_id=row["external_id"], version=1, billing_frequency_overridden=False,
        purchase_order_reference=row["purchase_order_reference"],
    )  # fmt: skip


@router.post("/orders/", access=Access.write, status=201, errors=(409,))
async def create_order(call: Call, body: paid.OrderIn) -> paid.Order:
    """Create an order for a customer (by id), with lines naming products."""
    try:
        customer = await _customer(call, body.customer_id)
    except NotFound:  # Paid answers a create's unknown reference as a 400
        raise InvalidInput.field("customer_id", f"no customer {body.customer_id}") from None
    now = utc_now()
    start = body.start_date or now
    if body.end_date is not None and body.end_date <= start:
        raise InvalidInput.field("end_date", "must be after startDate")
    if body.external_id is not None and await _find(call.conn, _m(call), body.external_id):
        raise Conflict(f"An order with external id {body.external_id!r} already exists.")
    row: dict[str, Any] = {
        "merchant_id": _m(call), "id": uuid7(),
        "number": await next_number(call.conn, _m(call), COUNTER),
        "customer_id": customer.id, "name": body.name, "external_id": body.external_id,
        "creation_state": body.creation_state or "draft", "start_date": start,
        "end_date": body.end_date, "subscription_terms": body.subscription_terms,
        "payment_terms": body.payment_terms,
        "purchase_order_reference": body.purchase_order_reference, "metadata": body.metadata,
        "lines": await _lines(call, body, start, body.end_date),
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    row["name"] = row["name"] or f"Order {row['number']}"
    encoded = {k: to_json(v) if k in ORDERS.json else v for k, v in row.items()}
    await ORDERS.insert(call.conn, [encoded])
    return _out(row)


async def _find(conn: Connection, merchant_id: uuid.UUID, external_id: str) -> bool:
    found = await conn.fetchval(
        "SELECT count(*) FROM paid_orders WHERE merchant_id = :m AND external_id = :e",
        {"m": merchant_id, "e": external_id},
    )
    return bool(found)


async def _order(call: Call, id: str) -> dict[str, Any]:
    row = await call.conn.fetchone(
        _SELECT + " AND id = :id", {"m": _m(call), "id": _id(id, "order")}
    )
    if row is None:
        raise NotFound(f"No order {id}.")
    return _READ(row)


@router.get("/orders/{id}", access=Access.read, errors=(404,))
async def get_order(call: Call, id: str) -> paid.Order:
    """Get an order by id."""
    return _out(await _order(call, id))


@router.get("/orders/{id}/lines", access=Access.read, errors=(404,))
async def get_order_lines(call: Call, id: str) -> paid.OrderLines:
    """An order's lines."""
    lines = (await _order(call, id))["lines"]
    data = [paid.OrderLine(**line, line_type="STANDARD") for line in lines]
    return paid.OrderLines(data=data, pagination=to.pagination(len(data) or 1, 0, len(data)))


_FILTERS = {
    "external_id": "external_id = :external_id",
    "creation_state": "creation_state = :creation_state",
    "start_date_from": "start_date >= :start_date_from",
    "start_date_to": "start_date <= :start_date_to",
    "end_date_from": "end_date >= :end_date_from",
    "end_date_to": "end_date <= :end_date_to",
}
_STATUS = {  # Paid's derived status; nothing is paused here
    "draft": "creation_state = 'draft'",
    "active": "creation_state = 'active' AND (end_date IS NULL OR end_date >= :now)",
    "ended": "creation_state = 'active' AND end_date < :now",
    "paused": "1 = 0",
}


async def _customer_id(call: Call, query: paid.OrderQuery) -> uuid.UUID | None:
    """The customer the list is filtered by (None: no such customer, no order matches)."""
    try:
        return (await _customer(call, query.customer_id, query.external_customer_id)).id
    except NotFound:
        return None


@router.get("/orders/", access=Access.read, errors=(400,))
async def list_orders(call: Call, query: paid.OrderQuery) -> paid.OrderList:
    """Orders, oldest first (limit/offset; filters customer, external ids, state, dates)."""
    params: dict[str, Any] = {"m": _m(call), "now": utc_now()}
    chosen = [name for name in _FILTERS if getattr(query, name) is not None]
    where = [_FILTERS[name] for name in chosen]
    params |= {name: getattr(query, name) for name in chosen}
    if query.customer_id is not None or query.external_customer_id is not None:
        where.append("customer_id = :customer_id")
        params["customer_id"] = await _customer_id(call, query)
    if query.status is not None:
        where.append(_STATUS[query.status])
    sql = "".join(f" AND {w}" for w in where)
    total = await call.conn.fetchval(
        "SELECT count(*) FROM paid_orders WHERE merchant_id = :m" + sql, params
    )
    rows = await call.conn.fetchall(
        _SELECT + sql + " ORDER BY id LIMIT :limit OFFSET :offset",
        {**params, "limit": query.limit, "offset": query.offset},
    )
    return paid.OrderList(
        data=[_out(_READ(r)) for r in rows],
        pagination=to.pagination(query.limit, query.offset, int(total)),
    )
