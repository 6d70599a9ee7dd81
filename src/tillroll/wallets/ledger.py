"""The ledger rules, on one locked wallet: every entry, lot and draw is written here.

A `Book` is a wallet row locked for the transaction (`FOR UPDATE` on PostgreSQL, the write
lock on SQLite), so concurrent writers on one wallet serialize. Before any change it
*sweeps* when something of the wallet is due (`next_expiry`): unused codes past their expiry
give their hold back, then every lot expired at "now" gets its `expiry` entry. Each change
(its entries, the lots and draws they touch) is one statement on PostgreSQL. The invariant
kept: `balance` = Σ entries = Σ lot remainders − `debt` (what an overdraft drew beyond the
lots).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.jobs.service import enqueue
from tillroll.kit.db import Connection
from tillroll.kit.group import memo
from tillroll.kit.ids import uuid7
from tillroll.wallets.clock import clock
from tillroll.wallets.events import code_changed, entry_written
from tillroll.wallets.repository import WalletRepository
from tillroll.wallets.tables import ENTRIES, LOTS, REDEMPTIONS, WALLETS

SWEEP = "wallets.sweep"
"""The expiry job's kind: sweep one wallet when a lot or a code of it expires."""
_PAGE = 32
"""Lots a debit reads at a time."""
read_wallet = WALLETS.reader(WALLETS.names)
read_lot = LOTS.reader(LOTS.names)
read_redemption = REDEMPTIONS.reader(REDEMPTIONS.names)
read_entry = ENTRIES.reader(ENTRIES.names)


class InsufficientFunds(InvalidInput):
    code = "insufficient_funds"
    title = "Insufficient funds"

    def __init__(self, asked: int, available: int) -> None:
        message = f"{asked} is more than the {available} available now"
        super().__init__(f"amount: {message}", errors=[FieldError("amount", message)])
        self.available = available


@dataclass
class Book:
    """One wallet, locked and swept, inside one write transaction."""

    repo: WalletRepository
    wallet: dict[str, Any]
    now: datetime
    actor: str | None
    written: list[dict[str, Any]] = field(default_factory=list)
    stored: tuple[Any, ...] = ()  # the wallet's saved state as the database has it

    def __post_init__(self) -> None:
        self.stored = _state(self.wallet)

    @property
    def merchant_id(self) -> uuid.UUID:
        return self.wallet["merchant_id"]  # type: ignore[no-any-return]

    @property
    def id(self) -> uuid.UUID:
        return self.wallet["id"]  # type: ignore[no-any-return]

    def _entry(self, amount: int, reason: str, **links: Any) -> dict[str, Any]:
        """The next entry's row (its `seq` and `balance_after`), kept on the wallet."""
        w = self.wallet
        w["balance"] += amount
        w["entry_count"] += 1
        return {
            "merchant_id": w["merchant_id"], "id": uuid7(), "wallet_id": w["id"],
            "seq": w["entry_count"], "amount": amount, "balance_after": w["balance"],
            "reason": reason, "note": None, "receipt_id": None, "campaign_id": None,
            "redemption_id": None, "reverses": None, "lot_id": None, "actor": self.actor,
            "created_at": self.now, **links,
        }  # fmt: skip

    async def _write(
        self, entries: list[dict[str, Any]], **rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Store `entries`, the lot and draw rows they change and the wallet's new state
        (one statement on PostgreSQL), then emit their events."""
        self.wallet["updated_at"] = self.now
        await self.repo.write(entries, wallet=self.wallet, **rows)
        self.stored = _state(self.wallet)
        for entry in entries:
            await entry_written(self.repo.conn, entry)
        self.written += entries

    async def credit(
        self, amount: int, reason: str, expires_at: datetime | None, **links: Any
    ) -> dict[str, Any]:
        """A credit: a new lot valid on [now, expires_at); it pays an overdraft debt first."""
        lot_id = uuid7()
        entry = self._entry(amount, reason, lot_id=lot_id, **links)
        pay = min(self.wallet["debt"], amount)
        self.wallet["debt"] -= pay
        lot = self._lot(lot_id, entry["id"], amount, amount - pay, expires_at)
        self._expiring(expires_at)  # stored with the write
        await self._write([entry], new_lots=[lot])
        if expires_at is not None:
            await self.sweep_at(expires_at, f"lot:{lot_id}")
        return entry

    async def debit(
        self, amount: int, reason: str, *, overdraft: bool | None = None, **links: Any
    ) -> dict[str, Any]:
        """Take `amount` (> 0) from the lots live now, soonest expiry first, then oldest."""
        allowed = self.wallet["allow_overdraft"] if overdraft is None else overdraft
        lots = await self._lots_covering(amount)
        available = sum(lot["remaining"] for lot in lots)
        if amount > available and not allowed:
            raise InsufficientFunds(amount, available)
        entry = self._entry(-amount, reason, **links)
        left, draws, changed = amount, [], []
        for lot in lots:
            if left == 0:
                break
            take = min(left, lot["remaining"])
            lot["remaining"] -= take
            left -= take
            changed.append(lot)
            draws.append(
                {"merchant_id": self.merchant_id, "entry_id": entry["id"], "lot_id": lot["id"],
                 "amount": take}
            )  # fmt: skip
        self.wallet["debt"] += left
        await self._write([entry], lots=changed, draws=draws)
        return entry

    async def _lots_covering(self, amount: int) -> list[dict[str, Any]]:
        """The first live lots in draw order that cover `amount` (all of them if none do),
        read a page at a time: a debit never reads a long tail of lots it will not touch."""
        lots: list[dict[str, Any]] = []
        while True:
            page = await self.repo.live_lots(
                self.merchant_id, self.id, self.now, skip=len(lots), limit=_PAGE
            )
            lots += map(read_lot, page)
            if len(page) < _PAGE or sum(lot["remaining"] for lot in lots) >= amount:
                return lots

    async def restore(self, debit: Mapping[str, Any], reason: str, **links: Any) -> dict[str, Any]:
        """Undo `debit`: exactly the lots it drew from get their amounts back (a lot expired
        meanwhile comes back expired, and its `expiry` entry follows at once); what it took
        as overdraft first pays back the debt, any rest becomes a lot that never expires."""
        if await self.repo.is_reversed(self.merchant_id, debit["id"]):
            raise Conflict(f"Entry {debit['id']} was already reversed.")
        draws = await self.repo.draws(self.merchant_id, [debit["id"]])
        taken = {d["lot_id"]: d["amount"] for d in draws}
        lots = [read_lot(r) for r in await self.repo.lots_by_id(self.merchant_id, list(taken))]
        for lot in lots:
            lot["remaining"] += taken[lot["id"]]
        unbacked = -debit["amount"] - sum(taken.values())
        entry = self._entry(-debit["amount"], reason, reverses=debit["id"], **links)
        paid = min(self.wallet["debt"], unbacked)
        self.wallet["debt"] -= paid
        rest = unbacked - paid
        new = [self._lot(uuid7(), entry["id"], rest, rest, None)] if rest else []
        await self._write([entry], lots=lots, new_lots=new)
        await self._refilled(lots)
        return entry

    async def give_back(
        self, debit: Mapping[str, Any], start: int, amount: int, reason: str, **links: Any
    ) -> dict[str, Any]:
        """Undo the part [`start`, `start + amount`) of a fully backed `debit` (a code's hold):
        its draws in draw order get back what falls in that range, so successive parts
        together restore exactly the lots the debit drew from, each with its own expiry."""
        draws = await self.repo.draws(self.merchant_id, [debit["id"]])
        lots = [
            read_lot(r)
            for r in await self.repo.lots_by_id(self.merchant_id, [d["lot_id"] for d in draws])
        ]
        taken = {d["lot_id"]: d["amount"] for d in draws}
        lots.sort(key=lambda lot: (lot["expires_at"] is None, lot["expires_at"] or self.now,
                                   lot["granted_at"], lot["id"]))  # fmt: skip
        at, changed = 0, []
        for lot in lots:
            part = min(at + taken[lot["id"]], start + amount) - max(at, start)
            at += taken[lot["id"]]
            if part > 0:
                lot["remaining"] += part
                changed.append(lot)
        entry = self._entry(amount, reason, **links)
        await self._write([entry], lots=changed)
        await self._refilled(changed)
        return entry

    async def _refilled(self, lots: list[dict[str, Any]]) -> None:
        """Lots that got amounts back: a live one will expire (the sweep must know), one
        expired meanwhile comes back expired (its `expiry` entry now)."""
        for lot in lots:
            if lot["expires_at"] is not None and lot["expires_at"] > self.now:
                self._expiring(lot["expires_at"])
        await self._expire_lots()

    async def sweep(self) -> None:
        """Give back the holds of codes expired now, then expire the lots expired now.

        Only when something of the wallet is due: `next_expiry` is the soonest expiry of
        its lots and codes (or earlier, never later), so most writes skip the sweep's reads.
        """
        due = self.wallet["next_expiry"]
        if due is None or due > self.now:
            return
        for row in await self.repo.active_redemptions(self.merchant_id, self.id):
            code = read_redemption(row)
            if code["expires_at"] is not None and code["expires_at"] <= self.now:
                await self.release(code, "expired")
        await self._expire_lots()
        self.wallet["next_expiry"] = await self.repo.next_expiry(
            self.merchant_id, self.id, self.now
        )

    async def release(self, code: Mapping[str, Any], status: str) -> dict[str, Any]:
        """Close an active code (`cancelled` / `expired`): its hold returns to the lots."""
        hold = await self.repo.entry(self.merchant_id, self.id, code["hold_entry_id"])
        assert hold is not None
        entry = await self.restore(read_entry(hold), "redemption_cancel", redemption_id=code["id"])
        await self.repo.close_redemption(self.merchant_id, code["id"], status, self.now)
        await code_changed(self.repo.conn, {**code, "status": status, "closed_at": self.now})
        return entry

    async def sweep_at(self, moment: datetime, key: str) -> None:
        """Have the expiry job sweep this wallet at `moment` (once per `key`), and any
        write from then on."""
        self._expiring(moment)
        payload = {"wallet": str(self.id), "at": moment.isoformat()}
        await enqueue(self.repo.conn, SWEEP, payload, merchant_id=self.merchant_id,
                      run_at=moment, key=key)  # fmt: skip

    def _expiring(self, moment: datetime | None) -> None:
        soonest = self.wallet["next_expiry"]
        if moment is not None and (soonest is None or moment < soonest):
            self.wallet["next_expiry"] = moment

    async def _expire_lots(self) -> None:
        due = [read_lot(r) for r in await self.repo.due_lots(self.merchant_id, self.id, self.now)]
        entries = []
        for lot in due:
            note = f"expired at {lot['expires_at'].isoformat()}"
            entries.append(self._entry(-lot["remaining"], "expiry", lot_id=lot["id"], note=note))
            lot["remaining"], lot["swept"] = 0, True
        if entries:
            await self._write(entries, lots=due)

    def _lot(
        self, lot_id: uuid.UUID, entry_id: uuid.UUID, amount: int, remaining: int,
        expires_at: datetime | None,
    ) -> dict[str, Any]:  # fmt: skip
        return {"merchant_id": self.merchant_id, "id": lot_id, "wallet_id": self.id,
                "entry_id": entry_id, "amount": amount, "remaining": remaining,
                "granted_at": self.now, "expires_at": expires_at, "swept": False}  # fmt: skip

    async def close(self) -> None:
        """Store what changed of the wallet since its last write (its next expiry, mostly):
        each write already stored its balance, debt and entry count with its entries."""
        if _state(self.wallet) != self.stored:
            self.wallet["updated_at"] = self.now
            await self.repo.save_wallet(self.wallet)
            self.stored = _state(self.wallet)
        kept = memo(self.repo.conn)
        if kept is not None:  # see `open_book`; a copy: the group's snapshots share values
            kept[_kept(self.merchant_id, self.id)] = dict(self.wallet)


def _state(wallet: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a write changes of a wallet row (`WalletRepository.save_wallet`)."""
    return wallet["balance"], wallet["debt"], wallet["entry_count"], wallet["next_expiry"]


async def open_book(
    conn: Connection, merchant_id: uuid.UUID, wallet_id: uuid.UUID, actor: str | None
) -> Book:
    """Lock the wallet and sweep it; 404 when the merchant has no such wallet.

    In a group (`kit.group`) the wallet stays locked by the group's transaction once a
    work has opened it, and the row a closed book left is kept in the group: the next
    work on the wallet starts from it without reading the row again. It is taken out while
    a book is open (a book never closed leaves the next one to read the row) and rolled
    back with a failed work's savepoint, as the row is."""
    repo = WalletRepository.of(conn)
    kept = memo(conn)
    wallet = kept.pop(_kept(merchant_id, wallet_id), None) if kept is not None else None
    if wallet is None:
        row = await repo.wallet(merchant_id, wallet_id, lock=True)
        if row is None:
            raise NotFound(f"No wallet {wallet_id}.")
        wallet = read_wallet(row)
    book = Book(repo, dict(wallet), clock.now(), actor)
    await book.sweep()
    return book


def _kept(merchant_id: uuid.UUID, wallet_id: uuid.UUID) -> tuple[str, uuid.UUID, uuid.UUID]:
    """A group's key (`kit.group.memo`) of the locked wallet's row, as its last book left it."""
    return ("wallets: locked row", merchant_id, wallet_id)
