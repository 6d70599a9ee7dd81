"""Demo B2B data for the payments examples (docs/payments.md, docs/client.md and
docs/compat-bigcommerce-b2b.md): a company, three invoices and a bank payment of two of them."""

from __future__ import annotations

from datetime import date

from tillroll.b2b.invoices import invoice as invoice_service
from tillroll.b2b.payments import payment as payment_service
from tillroll.b2b.schemas import Allocation, InvoiceCreate, PaymentCreate
from tillroll.customers.schemas import CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.kit.db import Connection
from tillroll.merchants.schemas import Merchant

COMPANY = "B2B-1001"
INVOICES = (("2026-0001", 125000, date(2026, 12, 31)), ("2026-0002", 48000, date(2027, 1, 15)),
            ("2026-0003", 9900, date(2027, 1, 31)))  # fmt: skip


async def load(conn: Connection, merchant: Merchant) -> None:
    company = await customer_service.create(
        conn,
        merchant.id,
        CustomerCreate(external_id=COMPANY, first_name="Acme Trading BV", country="NL"),
    )
    ids = []
    for number, amount, due in INVOICES:
        body = InvoiceCreate(
            invoice_number=number, customer_id=company.id, currency="EUR", amount=amount,
            due_date=due,
        )  # fmt: skip
        ids.append((await invoice_service.create(conn, merchant.id, "demo", body)).id)
    payment = PaymentCreate(
        customer_id=company.id,
        currency="EUR",
        total=145000,
        allocations=[
            Allocation(invoice_id=ids[0], amount=125000),
            Allocation(invoice_id=ids[1], amount=20000),
        ],
        payer_name="Acme Trading BV",
        payment_type="Bank transfer",
        reference_number="BANK-20261115",
        memo="November invoices",
    )
    await payment_service.record(conn, merchant.id, "demo", payment)
