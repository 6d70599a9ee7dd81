"""Signals: usage events ingested one by one or in bulk (≤ 1,000), idempotent by key.

Each item is checked on its own: a bad item is reported (`errors`, by index) and stored
nothing, the others are stored. A key already stored, or seen earlier in the same request,
is a duplicate and never counts twice. Unknown external customer ids become customers on
first sight; products must exist. The delivered value of every metric bound to the event
is computed now and stored with the signal (`metrics.Compiled.quantity_micro`).
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from tillroll.customers.schemas import CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.errors import FieldError, InvalidInput, NotFound
from tillroll.kit.clock import check_moment, utc_now
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.schemas import Page
from tillroll.products.service import product as product_service
from tillroll.values.metrics import metric as metric_service
from tillroll.values.metrics import value_row
from tillroll.values.repository import SignalRepository
from tillroll.values.schemas import IngestResult, Signal, SignalCreate, SignalError, SignalQuery


class SignalService:
    async def ingest(
        self, conn: Connection, merchant_id: uuid.UUID, items: Sequence[SignalCreate]
    ) -> IngestResult:
        errors: builtins.list[SignalError] = []
        customers = await self._customers(conn, merchant_id, items)
        products = await self._products(conn, merchant_id, items)
        keys = [s.idempotency_key for s in items if s.idempotency_key]
        seen = await SignalRepository.of(conn).existing_keys(merchant_id, keys)
        metrics = await metric_service.compiled_for(
            conn, merchant_id, list({s.event_name for s in items})
        )
        now = utc_now()
        rows: builtins.list[dict[str, Any]] = []
        values: builtins.list[dict[str, Any]] = []
        ids: builtins.list[uuid.UUID | None] = []
        duplicates = 0
        for index, item in enumerate(items):
            try:
                row = _row(merchant_id, item, customers, products, now)
                if item.idempotency_key in seen:
                    duplicates += 1
                    ids.append(None)
                    continue
                valued = [
                    value_row(merchant_id, row, m.id, q)
                    for m in metrics.get(item.event_name, [])
                    if (q := m.quantity_micro(item.data, "data")) is not None
                ]
            except InvalidInput as exc:
                errors += [
                    SignalError(index=index, loc=e.loc, message=e.message) for e in exc.errors
                ]
                ids.append(None)
                continue
            if item.idempotency_key:
                seen.add(item.idempotency_key)
            rows.append(row)
            values += valued
            ids.append(row["id"])
        await SignalRepository.of(conn).insert(rows, values)
        failed = len({e.index for e in errors})
        return IngestResult(
            ingested=len(rows), duplicates=duplicates, failed=failed, errors=errors, ids=ids
        )

    async def get(self, conn: Connection, merchant_id: uuid.UUID, signal_id: uuid.UUID) -> Signal:
        found = await SignalRepository.of(conn).get(merchant_id, signal_id)
        if found is None:
            raise NotFound(f"No signal {signal_id}.")
        return _signal(found)

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: SignalQuery
    ) -> Page[Signal]:
        """Newest first: a keyset page after `cursor`, or from `offset`."""
        filters = await self.filters(conn, merchant_id, query)
        if filters is None:
            return Page(data=[], next_cursor=None)
        before = decode_cursor(query.cursor, (uuid.UUID,))[0] if query.cursor else None
        rows = await SignalRepository.of(conn).page(
            merchant_id, filters, before, query.limit + 1, query.offset or 0
        )
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        cursor = encode_cursor(str(rows[-1]["id"])) if more else None
        return Page(data=[_signal(r) for r in rows], next_cursor=cursor)

    async def total(self, conn: Connection, merchant_id: uuid.UUID, query: SignalQuery) -> int:
        filters = await self.filters(conn, merchant_id, query)
        return 0 if filters is None else await SignalRepository.of(conn).count(merchant_id, filters)

    async def filters(
        self, conn: Connection, merchant_id: uuid.UUID, query: SignalQuery
    ) -> dict[str, Any] | None:
        """The query as column filters; None when it names a customer that does not exist."""
        customer_id = query.customer_id
        if query.external_customer_id is not None:
            found = await customer_service.find(
                conn, merchant_id, "external_id", query.external_customer_id
            )
            if found is None or (customer_id is not None and customer_id != found.id):
                return None
            customer_id = found.id
        check_moment("query.occurred_from", query.occurred_from)
        check_moment("query.occurred_to", query.occurred_to)
        return {
            "event_name": query.event_name,
            "customer_id": customer_id,
            "product_id": query.product_id,
            "order_id": query.order_id,
            "occurred_from": query.occurred_from,
            "occurred_to": query.occurred_to,
        }

    async def _customers(
        self, conn: Connection, merchant_id: uuid.UUID, items: Sequence[SignalCreate]
    ) -> dict[Any, uuid.UUID]:
        """customer id or ("ext", external id) → customer id; new external ids are created."""
        ids = list({s.customer_id for s in items if s.customer_id is not None})
        found: dict[Any, uuid.UUID] = {
            i: i for i in await customer_service.known_ids(conn, merchant_id, ids)
        }
        externals = list({s.external_customer_id for s in items if s.external_customer_id})
        known = await customer_service.summaries(conn, merchant_id, "external_id", externals)
        found |= {("ext", c.external_id): c.id for c in known}
        for external in externals:
            if ("ext", external) not in found:
                created = await customer_service.create(
                    conn, merchant_id, CustomerCreate(external_id=external)
                )
                found[("ext", external)] = created.id
        return found

    async def _products(
        self, conn: Connection, merchant_id: uuid.UUID, items: Sequence[SignalCreate]
    ) -> dict[Any, uuid.UUID]:
        ids = list({s.product_id for s in items if s.product_id is not None})
        found: dict[Any, uuid.UUID] = {
            i: i for i in await product_service.known_ids(conn, merchant_id, ids)
        }
        for external in {s.external_product_id for s in items if s.external_product_id}:
            product = await product_service.find(conn, merchant_id, "external_id", external)
            if product is not None:
                found[("ext", external)] = product.id
        return found


def _row(
    merchant_id: uuid.UUID,
    item: SignalCreate,
    customers: dict[Any, uuid.UUID],
    products: dict[Any, uuid.UUID],
    now: Any,
) -> dict[str, Any]:
    errors: builtins.list[FieldError] = []
    if (item.customer_id is None) == (item.external_customer_id is None):
        errors.append(
            FieldError("customer_id", "give exactly one of customer_id and external_customer_id")
        )
    customer_key: Any = item.customer_id or ("ext", item.external_customer_id)
    if not errors and customer_key not in customers:
        errors.append(FieldError("customer_id", f"no customer {item.customer_id}"))
    product_id = None
    if item.product_id is not None and item.external_product_id is not None:
        errors.append(
            FieldError("product_id", "give at most one of product_id and external_product_id")
        )
    elif item.product_id is not None or item.external_product_id is not None:
        product_key: Any = item.product_id or ("ext", item.external_product_id)
        product_id = products.get(product_key)
        if product_id is None:
            name = "product_id" if item.product_id else "external_product_id"
            errors.append(
                FieldError(name, f"no product {item.product_id or item.external_product_id}")
            )
    try:
        check_moment("timestamp", item.timestamp)
    except InvalidInput as exc:
        errors += exc.errors
    if errors:
        raise InvalidInput.fields(errors)
    occurred = (item.timestamp or now).astimezone(UTC)
    return {
        "merchant_id": merchant_id,
        "id": uuid7(),
        "event_name": item.event_name,
        "customer_id": customers[customer_key],
        "external_customer_id": item.external_customer_id,
        "product_id": product_id,
        "order_id": item.order_id,
        "occurred_at": occurred,
        "data": item.data,
        "idempotency_key": item.idempotency_key,
        "created_at": now,
    }


def _signal(row: dict[str, Any]) -> Signal:
    return Signal(**{k: row[k] for k in Signal.__struct_fields__})


signal = SignalService()
