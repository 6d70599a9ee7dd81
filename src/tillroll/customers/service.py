"""Customers (shoppers), identified by id, `external_id` or `member_number`."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from typing import Any

from tillroll.customers.repository import CustomerRepository
from tillroll.customers.schemas import (
    Customer,
    CustomerCreate,
    CustomerSummary,
    CustomerUpdate,
)
from tillroll.errors import Conflict, FieldError, InvalidInput
from tillroll.kit.address import check_address
from tillroll.kit.clock import utc_now
from tillroll.kit.crud import get_or_404, list_page
from tillroll.kit.db import Connection
from tillroll.kit.schemas import Page
from tillroll.kit.updates import given, merged
from tillroll.kit.validate import check_country, check_email

_UNIQUE = ("external_id", "member_number")
_SUMMARY = CustomerSummary.__struct_fields__


def _check(customer: CustomerCreate | Customer) -> None:
    errors: list[FieldError] = []
    check_email("email", customer.email, errors)
    check_country("country", customer.country, errors)
    check_address("shipping_address", customer.shipping_address, errors)
    check_address("billing_address", customer.billing_address, errors)
    if errors:
        raise InvalidInput.fields(errors)


class CustomerService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, create: CustomerCreate
    ) -> Customer:
        _check(create)
        repo = CustomerRepository.of(conn)
        values = {f: getattr(create, f) for f in create.__struct_fields__}
        await self._ensure_unique(repo, merchant_id, values)
        return await repo.insert(merchant_id, values, utc_now())

    async def get(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID
    ) -> Customer:
        return await get_or_404(CustomerRepository.of(conn), merchant_id, customer_id, "customer")

    async def summaries(
        self, conn: Connection, merchant_id: uuid.UUID, column: str, values: Sequence[Any]
    ) -> builtins.list[CustomerSummary]:
        """Summaries of the customers whose `column` (`id`, `external_id` or
        `member_number`) is in `values`."""
        assert column in ("id", *_UNIQUE)
        rows = await CustomerRepository.of(conn).rows_in(merchant_id, column, values, _SUMMARY)
        return [
            CustomerSummary(
                id=r["id"],
                number=r["number"],
                external_id=r["external_id"],
                member_number=r["member_number"],
            )
            for r in rows
        ]

    async def find(
        self, conn: Connection, merchant_id: uuid.UUID, column: str, value: str
    ) -> Customer | None:
        """By `external_id` or `member_number`."""
        assert column in _UNIQUE
        return await CustomerRepository.of(conn).get_by(merchant_id, column, value)

    async def by_number(
        self, conn: Connection, merchant_id: uuid.UUID, number: int
    ) -> Customer | None:
        """By the integer `number` the merchant's customers are counted with."""
        return await CustomerRepository.of(conn).get_by_number(merchant_id, number)

    async def get_many(
        self, conn: Connection, merchant_id: uuid.UUID, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, Customer]:
        return await CustomerRepository.of(conn).get_many(merchant_id, ids)

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, cursor: str | None, limit: int
    ) -> Page[Customer]:
        return await list_page(CustomerRepository.of(conn), merchant_id, cursor, limit)

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        customer_id: uuid.UUID,
        update: CustomerUpdate,
    ) -> Customer:
        current = await self.get(conn, merchant_id, customer_id)
        _check(merged(current, update))
        repo = CustomerRepository.of(conn)
        changes = given(update)
        await self._ensure_unique(
            repo, merchant_id, {k: v for k, v in changes.items() if v != getattr(current, k)}
        )
        updated = await repo.update(merchant_id, customer_id, changes, utc_now())
        assert updated is not None
        return updated

    async def _ensure_unique(
        self, repo: CustomerRepository, merchant_id: uuid.UUID, values: dict[str, object]
    ) -> None:
        for column in _UNIQUE:
            value = values.get(column)
            if value is not None and await repo.get_by(merchant_id, column, value) is not None:
                raise Conflict(f"A customer with {column} {value!r} already exists.")


customer = CustomerService()
