"""Invoices: create, read, list, change their non-financial fields.

Open balances move only through payments (`payments.py`)."""

from __future__ import annotations

import uuid

from tillroll.b2b import audit
from tillroll.b2b.repository import B2BRepository, Filter, Listing, new_row
from tillroll.b2b.schemas import Invoice, InvoiceCreate, InvoicePage, InvoiceQuery, InvoiceUpdate
from tillroll.b2b.stored import INVOICE_COLUMNS, page_kwargs, paged, read_invoice, read_invoices
from tillroll.b2b.tables import INVOICES
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.money import is_currency
from tillroll.kit.updates import given

_STATUS_TERMS = {
    "open": "open_balance >= amount",
    "partially_paid": "(open_balance > 0 AND open_balance < amount)",
    "completed": "open_balance <= 0",
}


async def check_customer(
    conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, field: str
) -> None:
    """422 unless `customer_id` is one of the merchant's customers."""
    if not await customer_service.known_ids(conn, merchant_id, [customer_id]):
        raise InvalidInput.field(field, f"no customer {customer_id}")


class InvoiceService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, actor: str, body: InvoiceCreate
    ) -> Invoice:
        if not is_currency(body.currency):
            raise InvalidInput.field("currency", f"{body.currency!r} is not an ISO 4217 code")
        await check_customer(conn, merchant_id, body.customer_id, "customer_id")
        repo = B2BRepository.of(conn)
        if await self.by_invoice_number(conn, merchant_id, body.invoice_number) is not None:
            raise Conflict(f"An invoice numbered {body.invoice_number!r} already exists.")
        number = await repo.number("invoice", merchant_id)
        values = {f: getattr(body, f) for f in body.__struct_fields__}
        row = new_row(merchant_id, number, utc_now(), **values, open_balance=body.amount)
        await repo.insert(INVOICES, [row])
        invoice = await self.get(conn, merchant_id, row["id"])
        await audit.record(
            conn, merchant_id, actor, "invoice.created", ("invoice", invoice.id), values_of(invoice)
        )
        return invoice

    async def get(self, conn: Connection, merchant_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
        return await self._one(conn, Filter(merchant_id).equal("id", invoice_id), invoice_id)

    async def by_number(self, conn: Connection, merchant_id: uuid.UUID, number: int) -> Invoice:
        """By the sequential integer `number` (a facade's id): 404 when none."""
        return await self._one(conn, Filter(merchant_id).equal("number", number), number)

    async def by_invoice_number(
        self, conn: Connection, merchant_id: uuid.UUID, invoice_number: str
    ) -> Invoice | None:
        where = Filter(merchant_id).equal("invoice_number", invoice_number)
        row = await B2BRepository.of(conn).one(INVOICES, INVOICE_COLUMNS, where)
        return None if row is None else read_invoice(row)

    async def _one(self, conn: Connection, where: Filter, shown: object) -> Invoice:
        row = await B2BRepository.of(conn).one(INVOICES, INVOICE_COLUMNS, where)
        if row is None:
            raise NotFound(f"No invoice {shown}.")
        return read_invoice(row)

    async def list(
        self, conn: Connection, merchant_id: uuid.UUID, query: InvoiceQuery
    ) -> InvoicePage:
        where = (
            Filter(merchant_id)
            .equal("customer_id", query.customer_id)
            .equal("currency", query.currency)
            .prefix(["invoice_number"], query.q)
        )
        if query.status:
            where.raw("(" + " OR ".join(_STATUS_TERMS[s] for s in sorted(set(query.status))) + ")")
        listing = Listing(query.sort, query.order, query.offset, query.limit, query.cursor)
        repo = B2BRepository.of(conn)
        found = await paged(
            repo, INVOICES, INVOICE_COLUMNS, read_invoices, where, listing, "amount"
        )
        return InvoicePage(**page_kwargs(*found))

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        actor: str,
        invoice_id: uuid.UUID,
        body: InvoiceUpdate,
    ) -> Invoice:
        current = await self.get(conn, merchant_id, invoice_id)
        changes = {k: v for k, v in given(body).items() if v != getattr(current, k)}
        if not changes:
            return current
        repo = B2BRepository.of(conn)
        await repo.update(INVOICES, merchant_id, [invoice_id], {**changes, "updated_at": utc_now()})
        trail = {k: {"from": getattr(current, k), "to": v} for k, v in changes.items()}
        await audit.record(
            conn, merchant_id, actor, "invoice.updated", ("invoice", invoice_id), trail
        )
        return await self.get(conn, merchant_id, invoice_id)


def values_of(invoice: Invoice) -> dict[str, object]:
    names = ("invoice_number", "customer_id", "currency", "amount", "open_balance", "due_date")
    return {n: getattr(invoice, n) for n in names}


invoice = InvoiceService()
