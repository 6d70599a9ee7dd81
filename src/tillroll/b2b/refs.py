"""A company's reference as its receipts and lines keep it (`customer_ref`): the customer's
external id, else its number. It is what the BigCommerce facade shows as `customerId`, so a
list sorts and searches by that text; the listener keeps it current when a customer's
external id changes (in the change's own transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tillroll.b2b.repository import B2BRepository, Filter
from tillroll.b2b.tables import LINES, RECEIPTS
from tillroll.customers.service import customer as customer_service
from tillroll.errors import InvalidInput
from tillroll.events.service import Emitted, listen
from tillroll.kit.db import Connection


def ref_of(customer: Any) -> str:
    """External id, else the number, as text."""
    return customer.external_id or str(customer.number)


async def customer_ref(
    conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, field: str
) -> str:
    """The reference of one of the merchant's customers (422 naming `field` if unknown)."""
    found = await customer_service.summaries(conn, merchant_id, "id", [customer_id])
    if not found:
        raise InvalidInput.field(field, f"no customer {customer_id}")
    return ref_of(found[0])


@listen
async def follow_customers(conn: Connection, emitted: Sequence[Emitted]) -> None:
    """`customer.updated`: its receipts and lines take its current reference."""
    for event in emitted:
        if event.type.name != "customer.updated":
            continue
        customer: Any = event.data
        where = Filter(event.merchant_id).equal("customer_id", customer.id)
        where.raw("customer_ref <> :ref").params["ref"] = ref_of(customer)
        repo = B2BRepository.of(conn)
        for table in (RECEIPTS, LINES):
            await repo.update_where(table, where, {"customer_ref": ref_of(customer)})
