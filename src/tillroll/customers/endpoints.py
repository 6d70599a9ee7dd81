from __future__ import annotations

import uuid

from tillroll.customers.schemas import Customer, CustomerCreate, CustomerUpdate
from tillroll.customers.service import customer as customer_service
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page

router = Router("/v1/customers", tag="customers")


@router.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create(call: Call, body: CustomerCreate) -> Customer:
    """Create a customer."""
    return await customer_service.create(call.conn, call.principal.merchant_id, body)


@router.get("", access=Access.read)
async def list_customers(call: Call, query: ListQuery) -> Page[Customer]:
    """List customers, oldest first."""
    return await customer_service.list(
        call.conn, call.principal.merchant_id, query.cursor, query.limit
    )


@router.get("/{customer_id}", access=Access.read, errors=(404,))
async def get(call: Call, customer_id: uuid.UUID) -> Customer:
    """Get one customer."""
    return await customer_service.get(call.conn, call.principal.merchant_id, customer_id)


@router.patch("/{customer_id}", access=Access.write, errors=(404, 409, 422))
async def update(call: Call, customer_id: uuid.UUID, body: CustomerUpdate) -> Customer:
    """Change a customer."""
    return await customer_service.update(call.conn, call.principal.merchant_id, customer_id, body)
