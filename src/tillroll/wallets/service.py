"""Wallets: create them, post and reverse entries, and read balances, entries and lots."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, FieldError, InvalidInput, NotFound
from tillroll.kit import parse
from tillroll.kit.db import Connection, UniqueViolation
from tillroll.kit.group import cached
from tillroll.kit.ids import uuid7
from tillroll.kit.pagination import decode_cursor, encode_cursor
from tillroll.kit.schemas import ListQuery, Page
from tillroll.kit.validate import check_currency
from tillroll.kit.viewer import Viewer
from tillroll.merchants.service import merchant as merchant_service
from tillroll.wallets.clock import clock, expiry
from tillroll.wallets.events import shape
from tillroll.wallets.ledger import open_book, read_entry, read_lot, read_redemption, read_wallet
from tillroll.wallets.repository import WalletRepository
from tillroll.wallets.schemas import (
    POSTABLE,
    Entry,
    EntryCreate,
    EntryQuery,
    Expiring,
    Lot,
    LotStatus,
    Wallet,
    WalletCreate,
)


class WalletService:
    async def create(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, body: WalletCreate
    ) -> Wallet:
        await customer_service.get(conn, merchant_id, customer_id)  # 404 if not ours
        currency = await self._currency(conn, merchant_id, body)
        now = clock.now()
        row = _new_row(merchant_id, customer_id, body, currency, now)
        try:
            await WalletRepository.of(conn).insert_wallet(row)
        except UniqueViolation:
            raise Conflict(f"Customer {customer_id} already has a {body.kind} wallet.") from None
        return await self._view(conn, row, now, 30)

    async def open_absent(
        self, conn: Connection, merchant_id: uuid.UUID,
        wanted: Sequence[tuple[uuid.UUID, WalletCreate]],
    ) -> None:  # fmt: skip
        """Open the wallets of (customer, body) the customers do not have yet, with one
        statement; one a concurrent transaction opened first is left as that one made it.
        The customers are known to be the merchant's; a credit body names its currency."""
        now = clock.now()
        rows = [_new_row(merchant_id, c, body, body.currency, now) for c, body in wanted]
        rows.sort(key=lambda r: (r["customer_id"], r["kind"]))  # one order for every writer
        await WalletRepository.of(conn).insert_wallets_if_absent(rows)

    async def _currency(
        self, conn: Connection, merchant_id: uuid.UUID, body: WalletCreate
    ) -> str | None:
        if body.kind == "points":
            if body.currency is not None:
                raise InvalidInput.field("currency", "a points wallet has no currency")
            return None
        if body.currency is None:
            return (await merchant_service.get(conn, merchant_id)).settings.default_currency
        errors: list[FieldError] = []
        check_currency("currency", body.currency, errors)
        if errors:
            raise InvalidInput.fields(errors)
        return body.currency

    async def of_customer(
        self, conn: Connection, viewer: Viewer, customer_id: uuid.UUID
    ) -> list[Wallet]:
        await customer_service.seen_by(conn, viewer, customer_id)
        rows = await WalletRepository.of(conn).wallets_of(viewer.merchant_id, customer_id)
        now = clock.now()
        return [await self._view(conn, read_wallet(r), now, 30) for r in rows]

    async def credit_wallet(
        self, conn: Connection, merchant_id: uuid.UUID, customer_id: uuid.UUID, *, create: bool
    ) -> Wallet | None:
        """The customer's credit wallet; opened (merchant's currency, no lifetime) if
        `create` and it has none."""
        rows = await WalletRepository.of(conn).wallets_of(merchant_id, customer_id)
        found = [read_wallet(r) for r in rows if r["kind"] == "credit"]
        if found:
            return await self._view(conn, found[0], clock.now(), 30)
        if not create:
            return None
        return await self.create(conn, merchant_id, customer_id, WalletCreate(kind="credit"))

    async def get(
        self, conn: Connection, viewer: Viewer, wallet_id: uuid.UUID, expiring_days: int = 30
    ) -> Wallet:
        wallet = await self._seen(conn, viewer, wallet_id)
        return await self._view(conn, wallet, clock.now(), expiring_days)

    async def _seen(self, conn: Connection, viewer: Viewer, wallet_id: uuid.UUID) -> dict[str, Any]:
        row = await WalletRepository.of(conn).wallet(viewer.merchant_id, wallet_id, lock=False)
        if row is None or not viewer.sees(row["customer_id"]):
            raise NotFound(f"No wallet {wallet_id}.")
        return read_wallet(row)

    async def _view(
        self, conn: Connection, wallet: dict[str, Any], t: datetime, expiring_days: int
    ) -> Wallet:
        """The wallet as of `t`, computed from its lots: correct whether or not the expiry
        job has run (a lot expired at `t` never counts; a code expired at `t` holds nothing)."""
        repo = WalletRepository.of(conn)
        m = wallet["merchant_id"]
        lots = [read_lot(r) for r in await repo.live_lots(m, wallet["id"], t)]
        back, held = await _lapsed_holds(repo, wallet, t)
        spent = [lot_id for lot_id in back if lot_id not in {lot["id"] for lot in lots}]
        lots += [read_lot(r) for r in await repo.lots_by_id(m, spent)]
        horizon = t + timedelta(days=expiring_days)
        available, soon = 0, defaultdict[datetime, int](int)
        for lot in lots:
            left = lot["remaining"] + back.get(lot["id"], 0)
            end = lot["expires_at"]
            if end is None or end > t:
                available += left
                if end is not None and end <= horizon and left:
                    soon[end] += left
        return Wallet(
            **{k: wallet[k] for k in _WALLET_FIELDS},
            balance=available - wallet["debt"],
            available=available,
            held=held,
            expiring_soon=[Expiring(expires_at=e, amount=a) for e, a in sorted(soon.items())],
        )

    async def post_entry(
        self, conn: Connection, merchant_id: uuid.UUID, wallet_id: uuid.UUID, body: EntryCreate,
        actor: str | None, *, keyed: bool = True,
    ) -> Entry:  # fmt: skip
        """A credit or debit; `keyed`: the request carried an `Idempotency-Key` (required,
        checked once the wallet is known to be the caller's)."""
        if body.amount == 0:
            raise InvalidInput.field("amount", "must not be 0")
        if body.reason not in POSTABLE:
            raise InvalidInput.field("reason", f"{body.reason!r} is written by Tillroll itself")
        book = await open_book(conn, merchant_id, wallet_id, actor)
        if not keyed:
            raise InvalidInput.field("Idempotency-Key", "is required to post a wallet entry")
        links: dict[str, Any] = {
            "note": body.note, "receipt_id": body.receipt_id, "campaign_id": body.campaign_id
        }  # fmt: skip
        if body.amount > 0:
            expires = await self._expiry(conn, book.wallet, book.now, body.expires_at)
            entry = await book.credit(body.amount, body.reason, expires, **links)
        elif body.expires_at is not None:
            raise InvalidInput.field("expires_at", "only a credit expires")
        else:
            entry = await book.debit(-body.amount, body.reason, **links)
        await book.close()
        return shape(Entry, entry)

    async def _expiry(
        self, conn: Connection, wallet: dict[str, Any], now: datetime, asked: datetime | None
    ) -> datetime | None:
        if asked is not None:
            if asked <= now:
                raise InvalidInput.field("expires_at", "must be in the future")
            return asked
        days = wallet["lifetime_days"]
        if days is None:
            return None
        m = wallet["merchant_id"]
        found = await cached(conn, ("wallets: merchant", m), lambda: merchant_service.get(conn, m))
        return expiry(now, days, parse.zone(found.settings.timezone, field="settings.timezone"))

    async def credit(
        self, conn: Connection, merchant_id: uuid.UUID, wallet_id: uuid.UUID, amount: int,
        reason: str, actor: str | None, **links: Any,
    ) -> Entry:  # fmt: skip
        """A credit (> 0) or debit (< 0) by another part of Tillroll (a facade, a campaign)."""
        body = EntryCreate(amount=amount, reason=reason, **links)  # type: ignore[arg-type]
        return await self.post_entry(conn, merchant_id, wallet_id, body, actor)

    async def reverse(
        self, conn: Connection, merchant_id: uuid.UUID, wallet_id: uuid.UUID,
        entry_id: uuid.UUID, actor: str | None,
    ) -> Entry:  # fmt: skip
        book = await open_book(conn, merchant_id, wallet_id, actor)
        row = await book.repo.entry(merchant_id, wallet_id, entry_id)
        if row is None:
            raise NotFound(f"No entry {entry_id} in wallet {wallet_id}.")
        debit = read_entry(row)
        if debit["amount"] > 0:
            raise Conflict("Only a debit can be reversed; post a debit to take a credit back.")
        if debit["reason"] in ("expiry", "redemption") or debit["reverses"] is not None:
            raise Conflict(
                f"A {debit['reason']} entry cannot be reversed"
                + (
                    "; cancel its redemption code instead."
                    if debit["reason"] == "redemption"
                    else "."
                )
            )
        entry = await book.restore(debit, "adjustment")
        await book.close()
        return shape(Entry, entry)

    async def entries(
        self, conn: Connection, viewer: Viewer, wallet_id: uuid.UUID, query: EntryQuery
    ) -> Page[Entry]:
        await self._seen(conn, viewer, wallet_id)
        after = decode_cursor(query.cursor, (int,))[0] if query.cursor else 0
        rows = await WalletRepository.of(conn).entries(
            viewer.merchant_id, wallet_id, after=after, limit=query.limit + 1,
            reasons=query.reason, since=query.created_from, until=query.created_to,
        )  # fmt: skip
        data = [shape(Entry, read_entry(r)) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(data=data, next_cursor=encode_cursor(data[-1].seq) if more else None)

    async def lots(
        self, conn: Connection, viewer: Viewer, wallet_id: uuid.UUID, query: ListQuery
    ) -> Page[Lot]:
        """Oldest first (lot ids are time-ordered), as of now."""
        found = await self._seen(conn, viewer, wallet_id)
        now = clock.now()
        repo = WalletRepository.of(conn)
        back, _ = await _lapsed_holds(repo, found, now)
        after = decode_cursor(query.cursor, (uuid.UUID,))[0] if query.cursor else None
        rows = await repo.lots(viewer.merchant_id, wallet_id, after=after, limit=query.limit + 1)
        data = [_lot(read_lot(r), now, back) for r in rows[: query.limit]]
        more = len(rows) > query.limit
        return Page(data=data, next_cursor=encode_cursor(str(data[-1].id)) if more else None)


def _new_row(
    merchant_id: uuid.UUID, customer_id: uuid.UUID, body: WalletCreate, currency: str | None,
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "merchant_id": merchant_id, "id": uuid7(), "customer_id": customer_id,
        "kind": body.kind, "currency": currency, "title": body.title or currency or "Points",
        "lifetime_days": body.lifetime_days, "allow_overdraft": body.allow_overdraft,
        "code_lifetime_hours": body.code_lifetime_hours, "balance": 0, "debt": 0,
        "entry_count": 0, "created_at": now, "updated_at": now, "next_expiry": None,
    }  # fmt: skip


async def _lapsed_holds(
    repo: WalletRepository, wallet: dict[str, Any], t: datetime
) -> tuple[dict[uuid.UUID, int], int]:
    """(lot id → amount a code lapsed at `t` gives back to it, the amount active codes hold
    at `t`): what the next sweep will write, so that reads never wait for it."""
    m = wallet["merchant_id"]
    codes = [read_redemption(r) for r in await repo.active_redemptions(m, wallet["id"])]
    lapsed = [c for c in codes if c["expires_at"] is not None and c["expires_at"] <= t]
    back: dict[uuid.UUID, int] = defaultdict(int)
    for draw in await repo.draws(m, [c["hold_entry_id"] for c in lapsed]):
        back[draw["lot_id"]] += draw["amount"]
    return back, sum(c["amount"] for c in codes if c not in lapsed)


_WALLET_FIELDS = [
    n
    for n in Wallet.__struct_fields__
    if n not in ("balance", "available", "held", "expiring_soon")
]


def _lot(lot: dict[str, Any], now: datetime, back: dict[uuid.UUID, int]) -> Lot:
    """A lot with its status now (an expired lot has nothing left to spend)."""
    expired = lot["expires_at"] is not None and lot["expires_at"] <= now
    left = 0 if expired else lot["remaining"] + back.get(lot["id"], 0)
    status: LotStatus = "expired" if expired else ("active" if left else "spent")
    return Lot(
        id=lot["id"], entry_id=lot["entry_id"], amount=lot["amount"],
        remaining=left, granted_at=lot["granted_at"],
        expires_at=lot["expires_at"], status=status,
    )  # fmt: skip


wallet = WalletService()
