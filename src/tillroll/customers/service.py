"""Customers (shoppers), identified by id, `external_id` or `member_number`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from tillroll.customers.events import CUSTOMER_EVENTS
from tillroll.customers.repository import CustomerRepository
from tillroll.customers.schemas import (
    Customer,
    CustomerCreate,
    CustomerSummary,
    CustomerUpdate,
    CustomerView,
    LoyaltyStatus,
)
from tillroll.errors import FieldError, InvalidInput, NotFound
from tillroll.events.service import EmitsLifecycle
from tillroll.kit.address import check_address
from tillroll.kit.db import Connection
from tillroll.kit.resource import Resource
from tillroll.kit.validate import check_country, check_email
from tillroll.kit.viewer import Viewer

StatusSource = Callable[
    [Connection, uuid.UUID, Sequence[Customer]], Awaitable[dict[uuid.UUID, LoyaltyStatus]]
]
"""Customers → their loyalty status (the loyalty programme registers one; customers import
no wallet module)."""


class CustomerService(EmitsLifecycle, Resource[Customer, CustomerCreate, CustomerUpdate]):
    noun = "customer"
    events = CUSTOMER_EVENTS
    repository = CustomerRepository
    create_schema = CustomerCreate
    update_schema = CustomerUpdate
    unique = ("external_id", "member_number")
    summary = CustomerSummary
    answer = CustomerView
    loyalty: StatusSource | None = None

    def show_loyalty(self, source: StatusSource) -> None:
        """Have every customer answer carry the status `source` gives."""
        self.loyalty = source

    async def present(
        self, conn: Connection, merchant_id: uuid.UUID, rows: list[Customer]
    ) -> list[CustomerView]:
        found = await self.loyalty(conn, merchant_id, rows) if self.loyalty and rows else {}
        return [_view(row, found.get(row.id)) for row in rows]

    def check(self, row: CustomerCreate | Customer) -> None:
        errors: list[FieldError] = []
        check_email("email", row.email, errors)
        check_country("country", row.country, errors)
        check_address("shipping_address", row.shipping_address, errors)
        check_address("billing_address", row.billing_address, errors)
        if errors:
            raise InvalidInput.fields(errors)

    async def seen_by(self, conn: Connection, viewer: Viewer, customer_id: uuid.UUID) -> Customer:
        """The customer, if `viewer` may see it (a shopper sees only itself): else 404."""
        if not viewer.sees(customer_id):
            raise NotFound(f"No customer {customer_id}.")
        return await self.get(conn, viewer.merchant_id, customer_id)


def _view(row: Customer, status: LoyaltyStatus | None) -> CustomerView:
    fields = {name: getattr(row, name) for name in Customer.__struct_fields__}
    return CustomerView(**fields, loyalty_status=status)


customer = CustomerService()
