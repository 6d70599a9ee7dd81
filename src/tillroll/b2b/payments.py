"""Payments: recording one (its receipt, one line per invoice, the invoices' balances moved,
in one transaction under row locks), its processing status, the balance operations, and the
descriptive fields it shares with its receipt and lines."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tillroll.b2b import audit
from tillroll.b2b.invoices import check_customer
from tillroll.b2b.refs import company, name_of, ref_of
from tillroll.b2b.repository import LIVE, B2BRepository, Filter, Listing, new_row
from tillroll.b2b.schemas import (
    HOLDS_BALANCE,
    Allocation,
    Invoice,
    Payment,
    PaymentCreate,
    PaymentLine,
    PaymentPage,
    PaymentQuery,
    PaymentUpdate,
    Reallocation,
    ReceiptLine,
)
from tillroll.b2b.stored import (
    INVOICE_COLUMNS,
    LINE_COLUMNS,
    PAYMENT_COLUMNS,
    page_kwargs,
    paged,
    read_invoice,
    read_line,
    read_payment,
    read_payments,
)
from tillroll.b2b.tables import LINES, PAYMENTS, RECEIPTS
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.kit.clock import utc_now
from tillroll.kit.db import Connection
from tillroll.kit.money import is_currency
from tillroll.kit.updates import given

_COPIED = (
    *("customer_id", "payer_name", "payer_customer_id", "payment_type", "reference_number"),
    *("transaction_type", "external_id", "external_customer_id", "currency"),
)


_SEARCHED = ("external_id", "external_customer_id", "customer_ref")
_ON_INVOICE = (
    f"id IN (SELECT payment_id FROM {LINES.name} WHERE merchant_id = :m "
    f"AND invoice_id = :f_invoice AND {LIVE})"
)


class PaymentService:
    async def record(
        self, conn: Connection, merchant_id: uuid.UUID, actor: str, body: PaymentCreate
    ) -> Payment:
        """The payment, its receipt and lines; the invoices' balances moved (422 naming the
        numbers when an allocation does not fit)."""
        ref, name = await self._check(conn, merchant_id, body)
        repo = B2BRepository.of(conn)
        ids = [a.invoice_id for a in body.allocations]
        rows = await repo.lock_invoices(merchant_id, ids, INVOICE_COLUMNS)
        invoices = {i.id: i for i in map(read_invoice, rows)}
        holds = body.processing_status in HOLDS_BALANCE
        _check_allocations(body.allocations, body.customer_id, body.currency, holds, invoices)
        now = utc_now()
        balances = {}
        if holds:
            pairs = [(invoices[a.invoice_id], a.amount) for a in body.allocations]
            balances = await _move(repo, merchant_id, pairs, now)
        company_of = (ref, name)
        payment_id = await self._insert(repo, merchant_id, body, company_of, invoices, holds, now)
        payment = await self.get(conn, merchant_id, payment_id)
        changes = {
            "total": body.total,
            "processing_status": body.processing_status,
            "allocations": [
                {"invoice_id": a.invoice_id, "amount": a.amount} for a in body.allocations
            ],
            "open_balances": balances,
        }
        await audit.record(
            conn, merchant_id, actor, "payment.recorded", ("payment", payment_id), changes
        )
        return payment

    async def _check(
        self, conn: Connection, merchant_id: uuid.UUID, body: PaymentCreate
    ) -> tuple[str, str]:
        """The rules on the body alone; the company's `customer_ref` and name."""
        if not is_currency(body.currency):
            raise InvalidInput.field("currency", f"{body.currency!r} is not an ISO 4217 code")
        found = await company(conn, merchant_id, body.customer_id, "customer_id")
        if body.payer_customer_id is not None:
            await check_customer(conn, merchant_id, body.payer_customer_id, "payer_customer_id")
        _check_sum(body.allocations, body.total)
        return ref_of(found), name_of(found)

    async def _insert(
        self,
        repo: B2BRepository,
        merchant_id: uuid.UUID,
        body: PaymentCreate,
        company_of: tuple[str, str],
        invoices: dict[uuid.UUID, Invoice],
        holds: bool,
        now: datetime,
    ) -> uuid.UUID:
        ref, name = company_of
        copied = {n: getattr(body, n) for n in _COPIED}
        copied["payer_customer_id"] = body.payer_customer_id or body.customer_id
        payment = new_row(
            merchant_id,
            await repo.number("payment", merchant_id),
            now,
            **copied,
            memo=body.memo,
            total=body.total,
            processing_status=body.processing_status,
            applied=holds,
            funding_status=body.funding_status,
            channel_id=body.channel_id,
            customer_ref=ref,
            customer_name=name,
        )
        receipt = new_row(
            merchant_id,
            await repo.number("payment_receipt", merchant_id),
            now,
            **copied,
            payment_id=payment["id"],
            payment_number=payment["number"],
            memo=body.memo,
            total=body.total,
            payment_status=body.processing_status,
            deleted_at=None,
            customer_ref=ref,
        )
        first = await repo.number("payment_receipt_line", merchant_id, len(body.allocations))
        lines = [
            new_row(
                merchant_id,
                first + n,
                now,
                **copied,
                receipt_id=receipt["id"],
                receipt_number=receipt["number"],
                payment_id=payment["id"],
                payment_number=payment["number"],
                invoice_id=a.invoice_id,
                invoice_seq=invoices[a.invoice_id].number,
                invoice_number=invoices[a.invoice_id].invoice_number,
                amount=a.amount,
                payment_status=body.processing_status,
                deleted_at=None,
                customer_ref=ref,
            )
            for n, a in enumerate(body.allocations)
        ]
        await repo.insert(PAYMENTS, [payment])
        await repo.insert(RECEIPTS, [receipt])
        await repo.insert(LINES, lines)
        return payment["id"]  # type: ignore[no-any-return]

    # --- reads -----------------------------------------------------------------------------

    async def get(self, conn: Connection, merchant_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
        return await self._one(
            conn, merchant_id, Filter(merchant_id).equal("id", payment_id), payment_id
        )

    async def by_number(self, conn: Connection, merchant_id: uuid.UUID, number: int) -> Payment:
        return await self._one(
            conn, merchant_id, Filter(merchant_id).equal("number", number), number
        )

    async def _one(
        self, conn: Connection, merchant_id: uuid.UUID, where: Filter, shown: object
    ) -> Payment:
        row = await B2BRepository.of(conn).one(PAYMENTS, PAYMENT_COLUMNS, where)
        if row is None:
            raise NotFound(f"No payment {shown}.")
        return (await _with_lines(conn, merchant_id, [read_payment(row)]))[0]

    async def list(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        query: PaymentQuery,
        *,
        also: Mapping[str, Any] | None = None,
        searched: Sequence[str] | None = None,
    ) -> PaymentPage:
        """Payments with their lines. `q` also matches the columns of `also` equal to their
        value; `searched` (the BC facade's) replaces the fields `q` is a prefix of."""
        fields = (
            searched
            if searched is not None
            else [query.search_by]
            if query.search_by
            else _SEARCHED
        )
        where = (
            Filter(merchant_id)
            .equal("customer_id", query.customer_id)
            .among("processing_status", query.processing_status)
            .among("channel_id", query.channel_id)
            .prefix(["customer_name"], query.customer_name, key="name")
        )
        if query.invoice_id is not None:
            where.raw(_ON_INVOICE).params["f_invoice"] = query.invoice_id
        where.prefix(fields, query.q, also)
        listing = Listing(query.sort, query.order, query.offset, query.limit, query.cursor)
        repo = B2BRepository.of(conn)
        items, cursor, meta = await paged(
            repo, PAYMENTS, PAYMENT_COLUMNS, read_payments, where, listing, "total"
        )
        return PaymentPage(**page_kwargs(await _with_lines(conn, merchant_id, items), cursor, meta))

    # --- changes ---------------------------------------------------------------------------

    async def set_status(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        actor: str,
        payment_id: uuid.UUID,
        status: int,
    ) -> Payment:
        """Change the processing status; its lines follow; leaving 1-3 reverts the balances,
        entering them applies them again (422 when they no longer fit)."""
        current = await self._lock(conn, merchant_id, payment_id)
        if status == current.processing_status:
            return await self.get(conn, merchant_id, payment_id)
        holds = status in HOLDS_BALANCE
        now = utc_now()
        held = current.processing_status in HOLDS_BALANCE
        hold = current.applied if held == holds else holds
        balances = await self._hold(conn, merchant_id, current, hold, now)
        repo = B2BRepository.of(conn)
        await repo.update(
            PAYMENTS, merchant_id, [payment_id], {"processing_status": status, "updated_at": now}
        )
        by_payment = Filter(merchant_id).equal("payment_id", payment_id)
        for table in (RECEIPTS, LINES):
            await repo.update_where(
                table, by_payment, {"payment_status": status, "updated_at": now}
            )
        changes = {"processing_status": {"from": current.processing_status, "to": status}}
        await audit.record(
            conn,
            merchant_id,
            actor,
            "payment.status_changed",
            ("payment", payment_id),
            {**changes, "open_balances": balances},
        )
        return await self.get(conn, merchant_id, payment_id)

    async def operate(
        self, conn: Connection, merchant_id: uuid.UUID, actor: str, payment_id: uuid.UUID, op: str
    ) -> Payment:
        """`apply` the payment to its invoices' balances, or `revert` it (409 when it
        already is, or cannot be: an incomplete or refunded payment holds no balance)."""
        current = await self._lock(conn, merchant_id, payment_id)
        apply = op == "apply"
        if apply and current.processing_status not in HOLDS_BALANCE:
            raise Conflict(
                f"Payment {current.number} is in status {current.processing_status}: "
                "only statuses 1-3 hold invoice balances."
            )
        if current.applied == apply:
            state = "applied to" if apply else "reverted from"
            raise Conflict(f"Payment {current.number} is already {state} its invoices' balances.")
        balances = await self._hold(conn, merchant_id, current, apply, utc_now())
        action = "payment.applied" if apply else "payment.reverted"
        await audit.record(
            conn, merchant_id, actor, action, ("payment", payment_id), {"open_balances": balances}
        )
        return await self.get(conn, merchant_id, payment_id)

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        actor: str,
        payment_id: uuid.UUID,
        body: PaymentUpdate,
    ) -> Payment:
        """Change descriptive fields; the receipt and its lines show the same."""
        current = await self._lock(conn, merchant_id, payment_id)
        changes = {k: v for k, v in given(body).items() if v != getattr(current, k)}
        if not changes:
            return await self.get(conn, merchant_id, payment_id)
        now = utc_now()
        repo = B2BRepository.of(conn)
        await repo.update(PAYMENTS, merchant_id, [payment_id], {**changes, "updated_at": now})
        by_payment = Filter(merchant_id).equal("payment_id", payment_id)
        on_receipt = {k: v for k, v in changes.items() if k != "funding_status"}
        if on_receipt:
            await repo.update_where(RECEIPTS, by_payment, {**on_receipt, "updated_at": now})
        on_lines = {k: v for k, v in on_receipt.items() if k != "memo"}
        if on_lines:
            await repo.update_where(LINES, by_payment, {**on_lines, "updated_at": now})
        trail = {k: {"from": getattr(current, k), "to": v} for k, v in changes.items()}
        await audit.record(
            conn, merchant_id, actor, "payment.updated", ("payment", payment_id), trail
        )
        return await self.get(conn, merchant_id, payment_id)

    async def reallocate(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        actor: str,
        payment_id: uuid.UUID,
        body: Reallocation,
    ) -> Payment:
        """Change a payment's invoices and amounts: lines dropped, changed or added, the
        receipt's and payment's totals, and (while it holds them) the invoices' balances by
        the difference, in one transaction; the trail records from → to."""
        _check_sum(body.allocations, body.total)
        current = await self._lock(conn, merchant_id, payment_id)
        repo = B2BRepository.of(conn)
        receipt = await repo.one(
            RECEIPTS,
            ["id", "number"],
            Filter(merchant_id).equal("payment_id", payment_id).raw(LIVE),
        )
        if receipt is None:
            raise Conflict(f"Payment {current.number}'s receipt was deleted: record a new payment.")
        lines = [
            read_line(r) for r in await repo.live_lines(merchant_id, [payment_id], LINE_COLUMNS)
        ]
        before = {x.invoice_id: x for x in lines}
        wanted = {a.invoice_id: a.amount for a in body.allocations}
        if wanted == {i: x.amount for i, x in before.items()}:
            return await self.get(conn, merchant_id, payment_id)
        rows = await repo.lock_invoices(merchant_id, [*before, *wanted], INVOICE_COLUMNS)
        invoices = {i.id: i for i in map(read_invoice, rows)}
        held = {i: x.amount for i, x in before.items()} if current.applied else {}
        _check_allocations(  # a payment not applied moves no balance: nothing to fit
            body.allocations, current.customer_id, current.currency, current.applied, invoices, held
        )
        now = utc_now()
        balances = {}
        if current.applied:
            deltas = [(invoices[i], wanted.get(i, 0) - held.get(i, 0)) for i in invoices]
            balances = await _move(repo, merchant_id, [(i, d) for i, d in deltas if d], now)
        await self._relines(repo, merchant_id, current, (receipt["id"], receipt["number"]),
                            before, wanted, invoices, now)  # fmt: skip
        await repo.add_to_totals(merchant_id, payment_id, body.total - current.total, now)
        changes = {
            "total": {"from": current.total, "to": body.total},
            "allocations": {
                "from": [{"invoice_id": x.invoice_id, "amount": x.amount} for x in lines],
                "to": [{"invoice_id": a.invoice_id, "amount": a.amount} for a in body.allocations],
            },
            "open_balances": balances,
        }
        await audit.record(
            conn, merchant_id, actor, "payment.reallocated", ("payment", payment_id), changes
        )
        return await self.get(conn, merchant_id, payment_id)

    async def _relines(
        self,
        repo: B2BRepository,
        merchant_id: uuid.UUID,
        payment: Payment,
        receipt: tuple[uuid.UUID, int],
        before: dict[uuid.UUID, ReceiptLine],
        wanted: dict[uuid.UUID, int],
        invoices: dict[uuid.UUID, Invoice],
        now: datetime,
    ) -> None:
        """The receipt's lines as `wanted`: dropped ones deleted, changed amounts set, new
        invoices given a line each."""
        dropped = [x.id for i, x in before.items() if i not in wanted]
        await repo.update(LINES, merchant_id, dropped, {"deleted_at": now, "updated_at": now})
        for i, amount in wanted.items():
            if i in before and before[i].amount != amount:
                await repo.update(
                    LINES, merchant_id, [before[i].id], {"amount": amount, "updated_at": now}
                )
        added = [i for i in wanted if i not in before]
        if not added:
            return
        first = await repo.number("payment_receipt_line", merchant_id, len(added))
        ref = payment.customer_ref
        copied = {n: getattr(payment, n) for n in _COPIED}
        rows = [
            new_row(merchant_id, first + n, now, **copied, receipt_id=receipt[0],
                    receipt_number=receipt[1], payment_id=payment.id,
                    payment_number=payment.number, invoice_id=i,
                    invoice_seq=invoices[i].number, invoice_number=invoices[i].invoice_number,
                    amount=wanted[i], payment_status=payment.processing_status,
                    deleted_at=None, customer_ref=ref)
            for n, i in enumerate(added)
        ]  # fmt: skip
        await repo.insert(LINES, rows)

    async def _lock(
        self, conn: Connection, merchant_id: uuid.UUID, payment_id: uuid.UUID
    ) -> Payment:
        row = await B2BRepository.of(conn).lock_payment(merchant_id, payment_id, PAYMENT_COLUMNS)
        if row is None:
            raise NotFound(f"No payment {payment_id}.")
        return read_payment(row)

    async def _hold(
        self, conn: Connection, merchant_id: uuid.UUID, payment: Payment, hold: bool, now: datetime
    ) -> dict[str, int]:
        """Make the payment hold (or not) its live lines' amounts on the invoices."""
        if hold == payment.applied:
            return {}
        repo = B2BRepository.of(conn)
        lines = [
            read_line(r) for r in await repo.live_lines(merchant_id, [payment.id], LINE_COLUMNS)
        ]
        rows = await repo.lock_invoices(
            merchant_id, [line.invoice_id for line in lines], INVOICE_COLUMNS
        )
        invoices = {i.id: i for i in map(read_invoice, rows)}
        sign = 1 if hold else -1
        pairs = [(invoices[line.invoice_id], sign * line.amount) for line in lines]
        balances = await _move(repo, merchant_id, pairs, now)
        await repo.update(PAYMENTS, merchant_id, [payment.id], {"applied": hold, "updated_at": now})
        return balances


async def release(
    conn: Connection,
    merchant_id: uuid.UUID,
    payment_id: uuid.UUID,
    lines: Sequence[Any],
    now: datetime,
) -> dict[str, int]:
    """Give the amounts of `lines` (being deleted) back to their invoices, if the payment
    holds them; the payment's and receipt's totals drop by as much."""
    repo = B2BRepository.of(conn)
    row = await repo.lock_payment(merchant_id, payment_id, PAYMENT_COLUMNS)
    assert row is not None
    payment = read_payment(row)
    balances: dict[str, int] = {}
    if payment.applied and lines:
        rows = await repo.lock_invoices(
            merchant_id, [line.invoice_id for line in lines], INVOICE_COLUMNS
        )
        invoices = {i.id: i for i in map(read_invoice, rows)}
        balances = await _move(
            repo, merchant_id, [(invoices[x.invoice_id], -x.amount) for x in lines], now
        )
    await repo.add_to_totals(merchant_id, payment_id, -sum(x.amount for x in lines), now)
    return balances


def _check_sum(allocations: Sequence[Allocation], total: int) -> None:
    """Each invoice once, and `total` is what the allocations add up to (422)."""
    seen: set[uuid.UUID] = set()
    for n, a in enumerate(allocations):
        if a.invoice_id in seen:
            raise InvalidInput.field(f"allocations[{n}].invoice_id", "allocated twice")
        seen.add(a.invoice_id)
    allocated = sum(a.amount for a in allocations)
    if allocated != total:
        raise InvalidInput.field("total", f"is {total} but the allocations add up to {allocated}")


def _check_allocations(
    allocations: Sequence[Allocation],
    customer_id: uuid.UUID,
    currency: str,
    holds: bool,
    invoices: dict[uuid.UUID, Invoice],
    held: Mapping[uuid.UUID, int] | None = None,
) -> None:
    """Each allocation names an invoice of the payment's customer and currency, and (when
    the payment holds balances) fits in its open balance plus what the payment already
    `held` on it: else a 422 naming the numbers."""
    errors: list[FieldError] = []
    for n, a in enumerate(allocations):
        loc, found = f"allocations[{n}]", invoices.get(a.invoice_id)
        if found is None:
            errors.append(FieldError(f"{loc}.invoice_id", f"no invoice {a.invoice_id}"))
        elif found.customer_id != customer_id:
            errors.append(
                FieldError(
                    f"{loc}.invoice_id",
                    f"invoice {found.invoice_number} belongs to customer {found.customer_id}, "
                    f"not {customer_id}",
                )
            )
        elif found.currency != currency:
            errors.append(
                FieldError(
                    f"{loc}.invoice_id",
                    f"invoice {found.invoice_number} is in {found.currency}, not {currency}",
                )
            )
        elif holds and a.amount > found.open_balance + (held or {}).get(found.id, 0):
            extra = (held or {}).get(found.id, 0)
            also = f" (+ {extra} this payment holds)" if extra else ""
            errors.append(
                FieldError(
                    f"{loc}.amount",
                    f"{a.amount} is more than the open balance {found.open_balance}{also} "
                    f"of invoice {found.invoice_number}",
                )
            )
    if errors:
        raise InvalidInput.fields(errors)


async def _move(
    repo: B2BRepository, merchant_id: uuid.UUID, pairs: Sequence[tuple[Invoice, int]], now: datetime
) -> dict[str, int]:
    """Take each amount off its (locked) invoice's open balance; invoice number → new balance."""
    balances: dict[str, int] = {}
    for invoice, paid in pairs:
        balance = await repo.move_balance(merchant_id, invoice.id, paid, now)
        if balance is None:
            raise InvalidInput.field(
                "allocations",
                f"{paid} does not fit the open balance {invoice.open_balance} "
                f"of invoice {invoice.invoice_number}",
            )
        balances[invoice.invoice_number] = balance
    return balances


async def _with_lines(
    conn: Connection, merchant_id: uuid.UUID, payments: list[Payment]
) -> list[Payment]:
    """Each payment with its live receipt id and lines (two queries for the page)."""
    repo = B2BRepository.of(conn)
    ids = [p.id for p in payments]
    receipts = await repo.receipt_ids(merchant_id, ids)
    lines: dict[uuid.UUID, list[PaymentLine]] = {}
    for line in map(read_line, await repo.live_lines(merchant_id, ids, LINE_COLUMNS)):
        lines.setdefault(line.payment_id, []).append(
            PaymentLine(
                invoice_id=line.invoice_id,
                invoice_seq=line.invoice_seq,
                invoice_number=line.invoice_number,
                amount=line.amount,
            )
        )
    for p in payments:
        p.receipt_id, p.lines = receipts.get(p.id), lines.get(p.id, [])
    return payments


payment = PaymentService()
