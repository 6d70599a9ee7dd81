"""A company's reference as its payments, receipts and lines keep it (`customer_ref`): the
customer's external id, else its number. It is what the BigCommerce facade shows as
`customerId`, so a list sorts and searches by that text; the listener keeps it (and a
payment's `customer_name`) current when the customer changes, in the change's own
transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from tillroll.b2b.repository import B2BRepository, Filter
from tillroll.b2b.tables import LINES, PAYMENTS, RECEIPTS
from tillroll.customers.schemas import Customer
from tillroll.customers.service import customer as customer_service
from tillroll.errors import InvalidInput, NotFound
from tillroll.events.service import Emitted, listen
from tillroll.kit.db import Connection


def ref_of(customer: Any) -> str:
    """External id, else the number, as text."""
    return customer.external_id or str(customer.number)


def name_of(customer: Customer) -> str:
    """First and last name (a company's name), as payments keep it."""
    return " ".join(n for n in (customer.first_name, customer.last_name) if n)


async def company(
    conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, field: str
) -> Customer:
    """One of the merchant's customers (422 naming `field` if unknown)."""
    try:
        return await customer_service.get(conn, merchant_id, customer_id)
    except NotFound:
        raise InvalidInput.field(field, f"no customer {customer_id}") from None


@listen
async def follow_customers(conn: Connection, emitted: Sequence[Emitted]) -> None:
    """`customer.updated`: its receipts, lines and payments take its current reference, its
    payments its current name."""
    for event in emitted:
        if event.type.name != "customer.updated":
            continue
        customer: Any = event.data
        ref, name = ref_of(customer), name_of(customer)
        where = Filter(event.merchant_id).equal("customer_id", customer.id)
        where.raw("customer_ref <> :ref").params["ref"] = ref
        repo = B2BRepository.of(conn)
        for table in (RECEIPTS, LINES, PAYMENTS):
            await repo.update_where(table, where, {"customer_ref": ref})
        named = Filter(event.merchant_id).equal("customer_id", customer.id)
        named.raw("customer_name <> :name").params["name"] = name
        await repo.update_where(PAYMENTS, named, {"customer_name": name})
