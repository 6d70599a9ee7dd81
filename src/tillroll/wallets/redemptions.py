"""Redemption codes: credit turned into a single-use `REDEEM+<digits>` discount code.

The code's amount is held against the balance by a `redemption` entry (drawn from the lots
like any debit); cancelling it, or its expiry unused, restores exactly those lots
(`redemption_cancel`). At most one code is active per wallet: redeeming again cancels the
active one and issues one code for the new total (Inveterate's rule).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, NotFound
from tillroll.kit.db import Connection
from tillroll.kit.ids import uuid7
from tillroll.wallets.clock import clock
from tillroll.wallets.events import code_changed, shape
from tillroll.wallets.ledger import Book, open_book, read_redemption
from tillroll.wallets.repository import WalletRepository
from tillroll.wallets.schemas import ConsumeBody, Redemption, RedemptionCreate

PREFIX = "REDEEM+"
DIGITS = 20
"""Random digits of a code: about 66 bits, drawn from the system's CSPRNG."""


def new_code() -> str:
    return PREFIX + f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


class RedemptionService:
    async def redeem(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID,
        body: RedemptionCreate, actor: str | None,
    ) -> Redemption:  # fmt: skip
        """Hold `amount` (plus the active code's, which is cancelled) under one new code."""
        await customer_service.get(conn, merchant_id, customer_id)
        wallet_id = body.wallet or await self._credit_wallet(conn, merchant_id, customer_id)
        book = await open_book(conn, merchant_id, wallet_id, actor)
        if book.wallet["customer_id"] != customer_id:
            raise NotFound(f"Customer {customer_id} has no wallet {wallet_id}.")
        total = body.amount
        for code in map(read_redemption, await book.repo.active_redemptions(merchant_id, book.id)):
            total += code["amount"]
            await book.release(code, "cancelled")
        code_id = uuid7()
        hold = await book.debit(total, "redemption", overdraft=False, redemption_id=code_id)
        hours = book.wallet["code_lifetime_hours"]
        row = {
            "merchant_id": merchant_id, "id": code_id, "wallet_id": book.id,
            "customer_id": customer_id, "code": new_code(), "amount": total, "status": "active",
            "hold_entry_id": hold["id"], "receipt_id": None, "created_at": book.now,
            "expires_at": book.now + timedelta(hours=hours) if hours else None, "closed_at": None,
        }  # fmt: skip
        await book.repo.insert_redemption(row)
        await code_changed(conn, row)
        if row["expires_at"] is not None:
            await book.sweep_at(row["expires_at"], f"code:{code_id}")
        await book.close()
        return _out(row, book.now)

    async def _credit_wallet(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID
    ) -> uuid.UUID:
        rows = await WalletRepository.of(conn).wallets_of(merchant_id, customer_id)
        found = [r["id"] for r in rows if r["kind"] == "credit"]
        if not found:
            raise NotFound(f"Customer {customer_id} has no credit wallet.")
        return found[0]  # type: ignore[no-any-return]

    async def get(self, conn: Connection, merchant_id: uuid.UUID, code: str) -> Redemption:
        return _out(await self._find(conn, merchant_id, code), clock.now())

    async def active(
        self, conn: Connection, merchant_id: uuid.UUID, wallet_id: uuid.UUID, now: datetime
    ) -> Redemption | None:
        """The wallet's active code at `now`, if any."""
        rows = await WalletRepository.of(conn).active_redemptions(merchant_id, wallet_id)
        codes = [_out(read_redemption(r), now) for r in rows]
        return next((c for c in codes if c.status == "active"), None)

    async def consume(
        self, conn: Connection, merchant_id: uuid.UUID, code: str, body: ConsumeBody
    ) -> Redemption:
        """Use the code (once): a second consume, or one of a closed code, is a 409."""
        book, found = await self._open(conn, merchant_id, code, body.customer_id)
        used = await _consumed(book, found, body.receipt_id)
        await book.close()
        return _out(used, book.now)

    async def use_on_receipt(
        self, conn: Connection, merchant_id: uuid.UUID, code: str,
        customer_id: uuid.UUID | None, receipt_id: uuid.UUID,
    ) -> str | None:  # fmt: skip
        """Consume `code` for a stored receipt; if it cannot be, why (`unknown`,
        `other_customer`, `consumed`, `cancelled`, `expired`): nothing is raised, the
        receipt stands as the till recorded it."""
        row = await WalletRepository.of(conn).redemption_by_code(merchant_id, code)
        if row is None:
            return "unknown"
        if customer_id is not None and read_redemption(row)["customer_id"] != customer_id:
            return "other_customer"
        book = await open_book(conn, merchant_id, read_redemption(row)["wallet_id"], None)
        found = await self._find(conn, merchant_id, code)  # as of the lock
        status = "expired" if _lapsed(found, book.now) else found["status"]
        if status == "active":
            await _consumed(book, found, receipt_id)
        await book.close()
        return None if status == "active" else str(status)

    async def cancel(self, conn: Connection, merchant_id: uuid.UUID, code: str) -> Redemption:
        """Cancel an active code: its hold returns to the lots it came from."""
        book, found = await self._open(conn, merchant_id, code, None)
        await book.release(found, "cancelled")
        await book.close()
        return _out({**found, "status": "cancelled", "closed_at": book.now}, book.now)

    async def _open(
        self, conn: Connection, merchant_id: uuid.UUID, code: str, customer_id: uuid.UUID | None
    ) -> tuple[Book, dict[str, Any]]:
        """Lock the code's wallet (sweeping it), then check the code is still active."""
        found = await self._find(conn, merchant_id, code)
        if customer_id is not None and found["customer_id"] != customer_id:
            raise NotFound(f"No redemption code {code[:40]!r} for customer {customer_id}.")
        book = await open_book(conn, merchant_id, found["wallet_id"], None)
        found = await self._find(conn, merchant_id, code)  # as of the lock
        if found["status"] != "active" or _lapsed(found, book.now):
            status = "expired" if _lapsed(found, book.now) else found["status"]
            raise Conflict(f"The code is {status}; it can be used only once, while active.")
        return book, found

    async def _find(self, conn: Connection, merchant_id: uuid.UUID, code: str) -> dict[str, Any]:
        row = await WalletRepository.of(conn).redemption_by_code(merchant_id, code)
        if row is None:
            raise NotFound(f"No redemption code {code[:40]!r}.")
        return read_redemption(row)


async def _consumed(
    book: Book, found: dict[str, Any], receipt_id: uuid.UUID | None
) -> dict[str, Any]:
    """Close the active `found` as used (by `receipt_id`, if given) and emit it."""
    await book.repo.close_redemption(
        book.merchant_id, found["id"], "consumed", book.now, receipt_id
    )
    used = {**found, "status": "consumed", "closed_at": book.now, "receipt_id": receipt_id}
    await code_changed(book.repo.conn, used)
    return used


def _lapsed(code: dict[str, Any], now: datetime) -> bool:
    return code["expires_at"] is not None and code["expires_at"] <= now


def _out(code: dict[str, Any], now: datetime) -> Redemption:
    """A code as shown at `now`: an active code past its expiry shows `expired`."""
    if code["status"] == "active" and _lapsed(code, now):
        code = {**code, "status": "expired"}
    return shape(Redemption, code)


redemption = RedemptionService()
