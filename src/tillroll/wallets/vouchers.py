"""Wallet vouchers on receipts: a stored receipt whose basket voucher carries a `REDEEM+`
code of the merchant consumes that code, in the receipt's own transaction (run by the
earning listener, `wallets.earning`, which plans and locks every wallet concerned first).

The receipt is a record of what happened at the till, so it is never refused for its code:
a code that cannot be used (unknown, another customer's, already used, cancelled, expired)
stays as it is, and a `redemption.not_consumed` event says why.

A return of lines of that receipt restores the code's amount pro rata: `amount × returned
value so far ÷ the original's value` (floored) minus what earlier returns restored, kept per
return line in `wallet_voucher_restores`, so partial returns add up to the code's amount
exactly, never beyond it, and a replay restores nothing twice (the wallet row is locked while
it is computed). The credit goes back into the lots the code's hold drew from, with their
expiry (`redemption_cancel`, linked to the code and the return receipt).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tillroll.events.service import emit
from tillroll.kit.db import Connection
from tillroll.receipts.events import ReceiptEvent
from tillroll.receipts.schemas import BasketDiscount, Line
from tillroll.receipts.service import receipt as receipt_service
from tillroll.wallets.events import REDEMPTION_NOT_CONSUMED, VoucherNotConsumed
from tillroll.wallets.ledger import Book, open_book, read_entry, read_redemption
from tillroll.wallets.redemptions import PREFIX, redemption
from tillroll.wallets.repository import WalletRepository
from tillroll.wallets.tables import RESTORES

read_restore = RESTORES.reader(RESTORES.names)


@dataclass(slots=True)
class Spend:
    """What a batch of stored receipts does with wallet codes, planned before any wallet is
    locked: the codes its purchases carry, the consumed codes its returns restore, and the
    wallets of all those codes (earning locks them with its own, in id order)."""

    uses: list[tuple[ReceiptEvent, BasketDiscount]] = field(default_factory=list)
    restores: list[tuple[dict[str, Any], list[tuple[uuid.UUID, Line]], int]] = field(
        default_factory=list
    )  # (code, its return lines, the original's value)
    wallets: set[uuid.UUID] = field(default_factory=set)


async def plan(
    conn: Connection, merchant_id: uuid.UUID, events: list[ReceiptEvent]
) -> Spend | None:
    """The codes the receipts consume and restore; None when there are none."""
    uses = [(e, v) for e in events if not e.is_return
            for v in e.vouchers if (v.code or "").startswith(PREFIX)]  # fmt: skip
    repo = WalletRepository.of(conn)
    spend = Spend(uses=uses)
    found = await repo.redemptions_by_codes(merchant_id, [v.code or "" for _, v in uses])
    spend.wallets |= {r["wallet_id"] for r in found}
    await _plan_restores(conn, merchant_id, [e.id for e in events if e.is_return], spend)
    return spend if spend.uses or spend.restores else None


async def apply(conn: Connection, merchant_id: uuid.UUID, spend: Spend) -> None:
    """Consume the purchases' codes (in receipt order), then restore the returns' (in
    wallet order); their wallets are locked already."""
    for event, voucher in spend.uses:
        code = voucher.code or ""
        why = await redemption.use_on_receipt(conn, merchant_id, code, event.customer_id, event.id)
        if why is not None:
            refused = VoucherNotConsumed(
                receipt_id=event.id,
                code=code[:40],
                amount=voucher.amount,
                reason=why,  # type: ignore[arg-type]
            )
            await emit(conn, merchant_id, REDEMPTION_NOT_CONSUMED, refused)
    for used, back, value in spend.restores:
        book = await open_book(conn, merchant_id, used["wallet_id"], "vouchers")
        await _give_back(book, used, back, value)
        await book.close()


async def _plan_restores(
    conn: Connection, merchant_id: uuid.UUID, returns: list[uuid.UUID], spend: Spend
) -> None:
    """The codes consumed by the receipts these returns give lines of, with those lines."""
    if not returns:
        return
    lines = await receipt_service.lines_of(conn, merchant_id, returns)
    back = [(rid, ln) for rid in returns for ln in lines.get(rid, []) if ln.return_of]
    originals = sorted({ln.return_of.receipt_id for _, ln in back if ln.return_of})
    if not originals:
        return
    codes = await WalletRepository.of(conn).consumed_by_receipts(merchant_id, originals)
    if not codes:
        return
    bought = await receipt_service.lines_of(conn, merchant_id, originals)
    for code in map(read_redemption, codes):  # in wallet order
        mine = [(rid, ln) for rid, ln in back if ln.return_of
                and ln.return_of.receipt_id == code["receipt_id"]]  # fmt: skip
        value = sum(ln.total for ln in bought.get(code["receipt_id"], []) if ln.total > 0
                    and ln.return_of is None)  # fmt: skip
        spend.restores.append((code, mine, value))
        spend.wallets.add(code["wallet_id"])


async def _give_back(
    book: Book, code: dict[str, Any], back: list[tuple[uuid.UUID, Line]], value: int
) -> None:
    """On the locked wallet: per return line not seen yet, its share of the code's amount;
    one `redemption_cancel` entry per return receipt."""
    done = [read_restore(r) for r in await book.repo.restores(book.merchant_id, code["id"])]
    seen = {(r["receipt_id"], r["line_no"]) for r in done}
    returned, restored = sum(r["value"] for r in done), sum(r["amount"] for r in done)
    rows: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for receipt_id, line in back:
        if (receipt_id, line.line_no) in seen or value <= 0:
            continue
        returned += max(0, -line.total)
        amount = code["amount"] * min(returned, value) // value - restored
        restored += amount
        rows.setdefault(receipt_id, []).append({
            "merchant_id": book.merchant_id, "receipt_id": receipt_id, "line_no": line.line_no,
            "redemption_id": code["id"], "wallet_id": book.id, "entry_id": None,
            "value": max(0, -line.total), "amount": amount, "created_at": book.now,
        })  # fmt: skip
    hold = await book.repo.entry(book.merchant_id, book.id, code["hold_entry_id"])
    assert hold is not None
    start = sum(r["amount"] for r in done)
    for receipt_id, parts in rows.items():
        total = sum(r["amount"] for r in parts)
        if total > 0:
            entry = await book.give_back(
                read_entry(hold), start, total, "redemption_cancel", redemption_id=code["id"],
                receipt_id=receipt_id, note="voucher restored by a return",
            )  # fmt: skip
            start += total
            for r in parts:
                r["entry_id"] = entry["id"]
        await book.repo.insert_restores(parts)
