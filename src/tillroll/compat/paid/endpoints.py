"""The Paid routes at `/compat/paid/api/v2`: what the official `paid-python` client calls
for customers, products, signals, value metrics and value receipts (docs/paid.md).

`Authorization: Bearer <API key>`, as the client sends it. Errors are Paid's
`{error, code, details}`; an invalid field is a 400 naming it in camelCase."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from starlette.responses import Response

from tillroll.compat.paid import schemas as paid
from tillroll.compat.paid import translate as to
from tillroll.customers.schemas import Customer
from tillroll.customers.service import customer as customer_service
from tillroll.errors import NotFound, TillrollError
from tillroll.kit.db import Connection
from tillroll.kit.http import Access, Call, Reply, Router
from tillroll.kit.resource import Resource
from tillroll.merchants.service import merchant as merchant_service
from tillroll.products.service import product as product_service
from tillroll.values.embed import embed_settings
from tillroll.values.metrics import metric as metric_service
from tillroll.values.schemas import Metric, MetricQuery, ReceiptQuery, SignalQuery, ValueReceipt
from tillroll.values.service import value_receipt as receipts
from tillroll.values.signals import signal as signal_service

PREFIX = "/compat/paid/api/v2"
MAX_WALK = 100_000
"""Most customers or products an offset list walks (the native lists are keyset pages)."""
T = TypeVar("T")


def render_error(exc: TillrollError) -> Response:
    """Paid's `ErrorResponse`; a native 422 is Paid's 400."""
    status = 400 if exc.status == 422 else exc.status
    details = "; ".join(f"{_camel(e.loc)}: {e.message}" for e in exc.errors) or None
    body = {"error": details or exc.detail, "code": exc.code, "details": details}
    return Response(msgspec.json.encode(body), status, exc.headers, media_type="application/json")


def _camel(loc: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), loc)


router = Router(PREFIX, tag="compat: paid", render_error=render_error)


def _m(call: Call) -> uuid.UUID:
    return call.principal.merchant_id


def _base(call: Call) -> str:
    return str(call.request.base_url).rstrip("/")


def _id(text: str, noun: str) -> uuid.UUID:
    found = to.as_uuid(text)
    if found is None:
        raise NotFound(f"No {noun} {text}.")
    return found


async def _walk(
    conn: Connection,
    merchant_id: uuid.UUID,
    resource: Resource[Any, Any, Any],
    keep: Callable[[Any], bool],
    query: paid.Page,
) -> tuple[list[Any], int]:
    """`query`'s slice of the rows `keep` accepts, oldest first, and how many there are."""
    kept: list[Any] = []
    total, cursor, seen = 0, None, 0
    while seen < MAX_WALK:
        page = await resource.list(conn, merchant_id, cursor, 500)
        seen += len(page.data)
        for row in page.data:
            if keep(row):
                if query.offset <= total < query.offset + query.limit:
                    kept.append(row)
                total += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return kept, total


# --- customers ------------------------------------------------------------------------------


async def _currency(call: Call) -> str:
    return (await merchant_service.get(call.conn, _m(call))).settings.default_currency


@router.get("/customers/", access=Access.read)
async def list_customers(call: Call, query: paid.CustomerQuery) -> paid.CustomerList:
    """List customers (limit/offset; filters name, externalId)."""

    def keep(c: Customer) -> bool:
        name = " ".join(p for p in (c.first_name, c.last_name) if p)
        return (query.external_id is None or c.external_id == query.external_id) and (
            query.name is None or query.name.lower() in name.lower()
        )

    rows, total = await _walk(call.conn, _m(call), customer_service, keep, query)
    currency = await _currency(call)
    data = [to.customer_out(c, currency) for c in rows]
    return paid.CustomerList(data=data, pagination=to.pagination(query.limit, query.offset, total))


@router.post("/customers/", access=Access.write, status=201)
async def create_customer(call: Call, body: paid.CustomerIn) -> paid.Customer:
    """Create a customer."""
    created = await customer_service.create(call.conn, _m(call), to.customer_create(body))
    return to.customer_out(created, await _currency(call))


async def _customer(call: Call, id: str | None = None, external_id: str | None = None) -> Customer:
    if external_id is not None:
        found = await customer_service.find(call.conn, _m(call), "external_id", external_id)
        if found is None:
            raise NotFound(f"No customer with external id {external_id!r}.")
        return found
    return await customer_service.get(call.conn, _m(call), _id(str(id), "customer"))


@router.get("/customers/{id}", access=Access.read)
async def get_customer(call: Call, id: str) -> paid.Customer:
    """Get a customer by id."""
    return to.customer_out(await _customer(call, id), await _currency(call))


@router.get("/customers/external/{external_id}", access=Access.read)
async def get_customer_by_external_id(call: Call, external_id: str) -> paid.Customer:
    """Get a customer by external id."""
    return to.customer_out(await _customer(call, external_id=external_id), await _currency(call))


async def _update_customer(call: Call, current: Customer, body: paid.CustomerIn) -> paid.Customer:
    update = to.customer_update(current, body)
    updated = await customer_service.update(call.conn, _m(call), current.id, update)
    return to.customer_out(updated, await _currency(call))


@router.route("PUT", "/customers/{id}", access=Access.write)
async def update_customer(call: Call, id: str, body: paid.CustomerIn) -> paid.Customer:
    """Update a customer by id."""
    return await _update_customer(call, await _customer(call, id), body)


@router.route("PUT", "/customers/external/{external_id}", access=Access.write)
async def update_customer_by_external_id(
    call: Call, external_id: str, body: paid.CustomerIn
) -> paid.Customer:
    """Update a customer by external id."""
    return await _update_customer(call, await _customer(call, external_id=external_id), body)


@router.delete("/customers/{id}", access=Access.write)
async def delete_customer(call: Call, id: str) -> Reply:
    """Delete a customer nothing refers to (409 otherwise)."""
    await customer_service.delete(call.conn, _m(call), (await _customer(call, id)).id)
    return Reply({})


@router.delete("/customers/external/{external_id}", access=Access.write)
async def delete_customer_by_external_id(call: Call, external_id: str) -> Reply:
    """Delete a customer by external id."""
    found = await _customer(call, external_id=external_id)
    await customer_service.delete(call.conn, _m(call), found.id)
    return Reply({})


# --- products -------------------------------------------------------------------------------


@router.get("/products/", access=Access.read)
async def list_products(call: Call, query: paid.ProductQuery) -> paid.ProductList:
    """List products (limit/offset; filters name, active)."""

    def keep(p: Any) -> bool:
        out = to.product_out(p)
        return (query.name is None or query.name.lower() in out.name.lower()) and (
            query.active is None or out.active == query.active
        )

    rows, total = await _walk(call.conn, _m(call), product_service, keep, query)
    data = [to.product_out(p) for p in rows]
    return paid.ProductList(data=data, pagination=to.pagination(query.limit, query.offset, total))


@router.post("/products/", access=Access.write, status=201)
async def create_product(call: Call, body: paid.ProductIn) -> paid.Product:
    """Create a product."""
    return to.product_out(
        await product_service.create(call.conn, _m(call), to.product_create(body))
    )


async def _product(call: Call, id: str | None = None, external_id: str | None = None) -> Any:
    if external_id is not None:
        found = await product_service.find(call.conn, _m(call), "external_id", external_id)
        if found is None or to.product_out(found).external_id is None:
            raise NotFound(f"No product with external id {external_id!r}.")
        return found
    return await product_service.get(call.conn, _m(call), _id(str(id), "product"))


@router.get("/products/{id}", access=Access.read)
async def get_product(call: Call, id: str) -> paid.Product:
    """Get a product by id."""
    return to.product_out(await _product(call, id))


@router.get("/products/external/{external_id}", access=Access.read)
async def get_product_by_external_id(call: Call, external_id: str) -> paid.Product:
    """Get a product by external id."""
    return to.product_out(await _product(call, external_id=external_id))


async def _update_product(call: Call, current: Any, body: paid.ProductIn) -> paid.Product:
    update = to.product_update(current, body)
    return to.product_out(await product_service.update(call.conn, _m(call), current.id, update))


@router.route("PUT", "/products/{id}", access=Access.write)
async def update_product(call: Call, id: str, body: paid.ProductIn) -> paid.Product:
    """Update a product by id."""
    return await _update_product(call, await _product(call, id), body)


@router.route("PUT", "/products/external/{external_id}", access=Access.write)
async def update_product_by_external_id(
    call: Call, external_id: str, body: paid.ProductIn
) -> paid.Product:
    """Update a product by external id."""
    return await _update_product(call, await _product(call, external_id=external_id), body)


# --- signals --------------------------------------------------------------------------------


@router.post("/signals/bulk", access=Access.write)
async def create_signals(call: Call, body: paid.SignalsIn) -> paid.BulkResult:
    """Ingest up to 1,000 signals; answers the counts."""
    items = [to.signal_in(s) for s in body.signals]
    valid = [s for s in items if s is not None]
    result = await signal_service.ingest(call.conn, _m(call), valid)
    failed = result.failed + len(items) - len(valid)
    return paid.BulkResult(ingested=result.ingested, duplicates=result.duplicates, failed=failed)


async def _skus(
    conn: Connection, merchant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, str]:
    products = await product_service.get_many(conn, merchant_id, ids)
    return {i: p.external_id for i, p in products.items() if to.product_out(p).external_id}


@router.get("/signals/", access=Access.read)
async def list_signals(call: Call, query: paid.SignalQuery) -> paid.SignalList:
    """Signals, newest first (limit/offset; the time filters are on the event time)."""
    product_id = to.as_uuid(query.product_id) if query.product_id else None
    if query.external_product_id is not None:
        found = await _product(call, external_id=query.external_product_id)
        product_id = found.id
    native = SignalQuery(
        event_name=query.signal_name,
        customer_id=_id(query.customer_id, "customer") if query.customer_id else None,
        external_customer_id=query.external_customer_id,
        product_id=product_id,
        occurred_from=query.created_at_from,
        occurred_to=query.created_at_to,
        limit=query.limit,
        offset=query.offset,
    )
    page = await signal_service.list(call.conn, _m(call), native)
    total = await signal_service.total(call.conn, _m(call), native)
    products = list({s.product_id for s in page.data if s.product_id})
    skus = await _skus(call.conn, _m(call), products)
    return paid.SignalList(
        data=[to.signal_out(s, skus) for s in page.data],
        pagination=to.pagination(query.limit, query.offset, total),
    )


@router.get("/signals/{id}", access=Access.read)
async def get_signal(call: Call, id: str) -> paid.SignalItem:
    """Get one signal with its data."""
    found = await signal_service.get(call.conn, _m(call), _id(id, "signal"))
    ids = [found.product_id] if found.product_id else []
    return to.signal_out(found, await _skus(call.conn, _m(call), ids))


# --- value metrics --------------------------------------------------------------------------


@router.get("/value-metrics/", access=Access.read)
async def list_value_metrics(call: Call, query: paid.MetricQuery) -> paid.MetricList:
    """Value metrics without their formulas (archived ones with includeArchived=true)."""
    native = MetricQuery(
        limit=query.limit, offset=query.offset, include_archived=query.include_archived
    )
    found = await metric_service.list(call.conn, _m(call), native)
    return paid.MetricList(
        data=[to.metric_summary(m) for m in found.data],
        pagination=to.pagination(query.limit, query.offset, found.total),
    )


async def _ack(call: Call, metric: Metric) -> paid.WriteAck:
    """The write's answer: `version` is the value model version it published."""
    version = await metric_service.model_version(call.conn, _m(call))
    return paid.WriteAck(slug=metric.slug, name=metric.name, version=version)


@router.post("/value-metrics/", access=Access.write, status=201, errors=(409,))
async def create_value_metric(call: Call, body: paid.MetricCreate) -> paid.WriteAck:
    """Create a value metric; its event's past signals are valued at once (a stale
    expectedActiveVersion: 409)."""
    created = await metric_service.create(
        call.conn, _m(call), to.metric_create(body), body.expected_active_version
    )
    return await _ack(call, created)


@router.get("/value-metrics/{slug}", access=Access.read)
async def get_value_metric(call: Call, slug: str) -> paid.MetricDetail:
    """One value metric with its formula, signal binding and monetary conversion."""
    return to.metric_detail(await metric_service.get(call.conn, _m(call), slug))


@router.patch("/value-metrics/{slug}", access=Access.write, errors=(409,))
async def update_value_metric(call: Call, slug: str, body: paid.MetricUpdate) -> paid.WriteAck:
    """Change a value metric (a new version); archivedAt null restores it (a stale
    expectedActiveVersion: 409)."""
    update = to.metric_update(body)
    updated = await metric_service.update(
        call.conn, _m(call), slug, update, body.expected_active_version
    )
    return await _ack(call, updated)


@router.delete("/value-metrics/{slug}", access=Access.write, errors=(409,))
async def archive_value_metric(call: Call, slug: str, query: paid.ArchiveQuery) -> paid.WriteAck:
    """Archive a value metric; its signals still count on receipts (a stale
    expectedActiveVersion: 409)."""
    update = to.metric_update(paid.MetricUpdate(archived_at=msgspec.UNSET))
    update.archived = True
    archived = await metric_service.update(
        call.conn, _m(call), slug, update, query.expected_active_version
    )
    return await _ack(call, archived)


# --- value receipts -------------------------------------------------------------------------


@router.get("/value-receipts/", access=Access.read)
async def list_value_receipts(call: Call, query: paid.ReceiptQuery) -> paid.ReceiptList:
    """Value receipts with the total (archived ones with archived=true)."""
    customer_id = _id(query.customer_id, "customer") if query.customer_id else None
    product_id = _id(query.product_id, "product") if query.product_id else None
    native = ReceiptQuery(
        customer_id=customer_id,
        external_customer_id=query.external_customer_id,
        order_id=query.order_id,
        product_id=product_id,
        archived=query.archived,
        limit=query.limit,
        offset=query.offset,
    )
    found = await receipts.list(call.conn, _m(call), native)
    data = [to.receipt_summary(r, _base(call)) for r in found.data]
    return paid.ReceiptList(data=data, total=found.total)


@router.post("/value-receipts/", access=Access.write, status=201)
async def create_value_receipt(call: Call, body: paid.ReceiptIn) -> paid.SyncResponse:
    """Create a value receipt (always a new one)."""
    created = await receipts.create(call.conn, _m(call), to.receipt_in(body))
    return to.sync_out(created, _base(call))


@router.post("/value-receipts/sync", access=Access.write, status=201)
async def sync_value_receipt(call: Call, body: paid.ReceiptIn) -> paid.SyncResponse | Reply:
    """The receipt for this customer and period: 200 if it exists, 201 when created."""
    found, created = await receipts.sync(call.conn, _m(call), to.receipt_in(body))
    out = to.sync_out(found, _base(call))
    return out if created else Reply(out, status=200)


async def _detail(call: Call, receipt: ValueReceipt) -> paid.ReceiptDetail:
    embeddable = await embed_settings.embedding(call.conn, _m(call)) is not None
    return to.receipt_detail(receipt, _base(call), embeddable)


@router.get("/value-receipts/{id}", access=Access.read)
async def get_value_receipt(call: Call, id: uuid.UUID) -> paid.ReceiptDetail:
    """A value receipt with its publish state."""
    return await _detail(call, await receipts.get(call.conn, _m(call), id))


@router.post("/value-receipts/{id}/refresh", access=Access.write)
async def refresh_value_receipt(call: Call, id: uuid.UUID) -> paid.SyncResponse:
    """Recompute a draft (sealed: 409)."""
    return to.sync_out(await receipts.refresh(call.conn, _m(call), id), _base(call))


@router.post("/value-receipts/{id}/publish", access=Access.write)
async def publish_value_receipt(
    call: Call, id: uuid.UUID, body: paid.PublishIn
) -> paid.ReceiptDetail:
    """Make the share link public (archived: 409)."""
    published = await receipts.publish(call.conn, _m(call), id, body.publish_expires_at)
    return await _detail(call, published)


@router.post("/value-receipts/{id}/unpublish", access=Access.write)
async def unpublish_value_receipt(call: Call, id: uuid.UUID) -> paid.ReceiptDetail:
    """Make the share link JWT-gated again."""
    return await _detail(call, await receipts.unpublish(call.conn, _m(call), id))


def _success(name: str, doc: str) -> None:
    method = getattr(receipts, name)

    async def act(call: Call, id: uuid.UUID) -> paid.Success:
        await method(call.conn, _m(call), id)
        return paid.Success()

    act.__name__ = act.__qualname__ = f"{name}_value_receipt"
    act.__doc__ = doc
    router.post(f"/value-receipts/{{id}}/{name}", access=Access.write)(act)


_success("seal", "Seal a draft (posted; twice: 409).")
_success("archive", "Hide from lists (restorable).")
_success("unarchive", "Restore an archived receipt (not archived: 409).")
