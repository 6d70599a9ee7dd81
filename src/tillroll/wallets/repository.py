"""The wallets domain's SQL, on its own tables only, every statement scoped by merchant."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, in_list
from tillroll.kit.tables import Table
from tillroll.wallets.tables import DRAWS, ENTRIES, LOTS, REDEMPTIONS, RESTORES, WALLETS

_LIVE = "remaining > 0 AND (expires_at IS NULL OR expires_at > :t)"
_DRAW_ORDER = "(expires_at IS NULL), expires_at, granted_at, id"
"""Soonest expiry first (never-expiring last), then oldest."""


class WalletRepository(Repository):
    # --- wallets ------------------------------------------------------------------------

    async def insert_wallet(self, row: Mapping[str, Any]) -> None:
        await WALLETS.insert(self.conn, [row])

    async def wallet(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, *, lock: bool
    ) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {WALLETS.select()} FROM wallets WHERE merchant_id = :m AND id = :w"
            + (self.conn.for_update() if lock else ""),
            {"m": merchant_id, "w": wallet_id},
        )

    async def wallets_of(self, merchant_id: uuid.UUID, customer_id: uuid.UUID) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {WALLETS.select()} FROM wallets WHERE merchant_id = :m AND customer_id = :c "
            "ORDER BY kind",
            {"m": merchant_id, "c": customer_id},
        )

    # --- a batch of receipts (earning, vouchers): one statement each ----------------------

    async def wallets_of_customers(
        self, merchant_id: uuid.UUID, customer_ids: Sequence[uuid.UUID]
    ) -> list[Row]:
        if not customer_ids:
            return []
        marks, params = in_list("c", sorted(set(customer_ids)))
        return await self.conn.fetchall(
            f"SELECT {WALLETS.select()} FROM wallets WHERE merchant_id = :m "
            f"AND customer_id IN {marks} ORDER BY customer_id, kind",
            {"m": merchant_id, **params},
        )

    async def insert_wallets_if_absent(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the wallets a concurrent transaction has not inserted first (that one's
        wins: this waits for it to commit, then skips the row)."""
        if rows:
            sql, params = _values(WALLETS, rows)
            await self.conn.execute(sql + " ON CONFLICT DO NOTHING", params)

    async def lock_wallets(self, merchant_id: uuid.UUID, wallet_ids: Sequence[uuid.UUID]) -> None:
        """Lock the wallets in id order (`FOR UPDATE` locks rows in the order it returns
        them; SQLite: the write lock is held already)."""
        if wallet_ids:
            marks, params = in_list("w", sorted(set(wallet_ids)))
            await self.conn.fetchall(
                f"SELECT id FROM wallets WHERE merchant_id = :m AND id IN {marks} ORDER BY id"
                + self.conn.for_update(),
                {"m": merchant_id, **params},
            )

    async def redemptions_by_codes(self, merchant_id: uuid.UUID, codes: Sequence[str]) -> list[Row]:
        if not codes:
            return []
        marks, params = in_list("c", sorted(set(codes)))
        return await self.conn.fetchall(
            f"SELECT {REDEMPTIONS.select()} FROM wallet_redemptions "
            f"WHERE merchant_id = :m AND code IN {marks}",
            {"m": merchant_id, **params},
        )

    async def save_wallet(self, w: Mapping[str, Any]) -> None:
        await self.conn.execute(_SAVE_WALLET, {k: w[k] for k in _SAVED})

    async def next_expiry(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, t: datetime
    ) -> datetime | None:
        """The soonest moment after `t` a lot with something left or an active code expires."""
        found: datetime | None = await self.conn.fetchval(
            "SELECT expires_at FROM wallet_lots WHERE merchant_id = :m AND wallet_id = :w "
            "AND remaining > 0 AND expires_at > :t UNION ALL SELECT expires_at "
            "FROM wallet_redemptions WHERE merchant_id = :m AND wallet_id = :w "
            "AND status = 'active' AND expires_at > :t ORDER BY 1 LIMIT 1",
            {"m": merchant_id, "w": wallet_id, "t": t},
        )
        return found

    # --- entries, lots, draws -----------------------------------------------------------

    async def write(
        self, entries: Sequence[Mapping[str, Any]], *, new_lots: Sequence[Mapping[str, Any]] = (),
        lots: Sequence[Mapping[str, Any]] = (), draws: Sequence[Mapping[str, Any]] = (),
        wallet: Mapping[str, Any] | None = None,
    ) -> None:  # fmt: skip
        """Insert `entries`, `new_lots` and `draws`, store the `remaining` of `lots` and the
        `wallet`'s new state (`save_wallet`): one statement on PostgreSQL (`execute_together`)."""
        steps = [_values(table, rows) for table, rows in
                 ((ENTRIES, entries), (LOTS, new_lots), (DRAWS, draws)) if rows]  # fmt: skip
        steps += [(_SAVE_LOT, {k: lot[k] for k in ("remaining", "swept", "merchant_id", "id")})
                  for lot in lots]  # fmt: skip
        if wallet is not None:
            steps.append((_SAVE_WALLET, {k: wallet[k] for k in _SAVED}))
        await self.conn.execute_together(steps)

    async def entry(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, entry_id: uuid.UUID
    ) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {ENTRIES.select()} FROM wallet_entries "
            "WHERE merchant_id = :m AND wallet_id = :w AND id = :e",
            {"m": merchant_id, "w": wallet_id, "e": entry_id},
        )

    async def is_reversed(self, merchant_id: uuid.UUID, entry_id: uuid.UUID) -> bool:
        found = await self.conn.fetchval(
            "SELECT 1 FROM wallet_entries WHERE merchant_id = :m AND reverses = :e",
            {"m": merchant_id, "e": entry_id},
        )
        return found is not None

    async def entries(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, *, after: int, limit: int,
        reasons: Sequence[str] | None, since: datetime | None, until: datetime | None,
    ) -> list[Row]:  # fmt: skip
        """Oldest first, by `seq`, after the keyset `after`."""
        where = ["merchant_id = :m", "wallet_id = :w", "seq > :after"]
        params: dict[str, Any] = {"m": merchant_id, "w": wallet_id, "after": after, "n": limit}
        if reasons:
            marks = ", ".join(f":r{i}" for i in range(len(reasons)))
            where.append(f"reason IN ({marks})")
            params |= {f"r{i}": r for i, r in enumerate(reasons)}
        if since is not None:
            where.append("created_at >= :since")
            params["since"] = since
        if until is not None:
            where.append("created_at < :until")
            params["until"] = until
        return await self.conn.fetchall(
            f"SELECT {ENTRIES.select()} FROM wallet_entries WHERE {' AND '.join(where)} "
            "ORDER BY seq LIMIT :n",
            params,
        )

    async def lots(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, *, after: uuid.UUID | None, limit: int
    ) -> list[Row]:
        """Lots oldest first (ids are time-ordered), after the keyset `after`."""
        since = "" if after is None else "AND id > :after "
        return await self.conn.fetchall(
            f"SELECT {LOTS.select()} FROM wallet_lots WHERE merchant_id = :m AND wallet_id = :w "
            f"{since}ORDER BY id LIMIT :n",
            {"m": merchant_id, "w": wallet_id, "n": limit, **({"after": after} if after else {})},
        )

    async def live_lots(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, t: datetime, *,
        skip: int = 0, limit: int | None = None,
    ) -> list[Row]:  # fmt: skip
        """Lots with something left that are valid at `t`, in draw order (a slice of them)."""
        window = "" if limit is None else " LIMIT :n OFFSET :skip"
        return await self.conn.fetchall(
            f"SELECT {LOTS.select()} FROM wallet_lots WHERE merchant_id = :m AND wallet_id = :w "
            f"AND {_LIVE} ORDER BY {_DRAW_ORDER}{window}",
            {"m": merchant_id, "w": wallet_id, "t": t,
             **({} if limit is None else {"n": limit, "skip": skip})},
        )  # fmt: skip

    async def due_lots(
        self, merchant_id: uuid.UUID, wallet_id: uuid.UUID, t: datetime
    ) -> list[Row]:
        """Lots expired at `t` whose remainder has no `expiry` entry yet."""
        return await self.conn.fetchall(
            f"SELECT {LOTS.select()} FROM wallet_lots WHERE merchant_id = :m AND wallet_id = :w "
            "AND remaining > 0 AND expires_at <= :t ORDER BY expires_at, granted_at, id",
            {"m": merchant_id, "w": wallet_id, "t": t},
        )

    async def lots_by_id(self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
        if not ids:
            return []
        marks = ", ".join(f":l{i}" for i in range(len(ids)))
        return await self.conn.fetchall(
            f"SELECT {LOTS.select()} FROM wallet_lots WHERE merchant_id = :m AND id IN ({marks})",
            {"m": merchant_id, **{f"l{i}": lot for i, lot in enumerate(ids)}},
        )

    async def draws(self, merchant_id: uuid.UUID, entry_ids: Sequence[uuid.UUID]) -> list[Row]:
        """(entry_id, lot_id, amount) of the draws of `entry_ids`."""
        if not entry_ids:
            return []
        marks = ", ".join(f":e{i}" for i in range(len(entry_ids)))
        return await self.conn.fetchall(
            "SELECT entry_id, lot_id, amount FROM wallet_draws "
            f"WHERE merchant_id = :m AND entry_id IN ({marks}) ORDER BY entry_id, lot_id",
            {"m": merchant_id, **{f"e{i}": e for i, e in enumerate(entry_ids)}},
        )

    # --- redemptions ---------------------------------------------------------------------

    async def insert_redemption(self, row: Mapping[str, Any]) -> None:
        await REDEMPTIONS.insert(self.conn, [row])

    async def active_redemptions(self, merchant_id: uuid.UUID, wallet_id: uuid.UUID) -> list[Row]:
        return await self.conn.fetchall(
            f"SELECT {REDEMPTIONS.select()} FROM wallet_redemptions "
            "WHERE merchant_id = :m AND wallet_id = :w AND status = 'active' ORDER BY created_at",
            {"m": merchant_id, "w": wallet_id},
        )

    async def redemption_by_code(self, merchant_id: uuid.UUID, code: str) -> Row | None:
        return await self.conn.fetchone(
            f"SELECT {REDEMPTIONS.select()} FROM wallet_redemptions "
            "WHERE merchant_id = :m AND code = :c",
            {"m": merchant_id, "c": code},
        )

    async def close_redemption(
        self, merchant_id: uuid.UUID, redemption_id: uuid.UUID, status: str, at: datetime,
        receipt_id: uuid.UUID | None = None,
    ) -> None:  # fmt: skip
        await self.conn.execute(
            "UPDATE wallet_redemptions SET status = :s, closed_at = :t, receipt_id = :r "
            "WHERE merchant_id = :m AND id = :id",
            {"s": status, "t": at, "r": receipt_id, "m": merchant_id, "id": redemption_id},
        )

    async def consumed_by_receipts(
        self, merchant_id: uuid.UUID, receipt_ids: Sequence[uuid.UUID]
    ) -> list[Row]:
        """The codes consumed by the receipts."""
        marks, params = in_list("r", sorted(set(receipt_ids)))
        return await self.conn.fetchall(
            f"SELECT {REDEMPTIONS.select()} FROM wallet_redemptions WHERE merchant_id = :m "
            f"AND receipt_id IN {marks} AND status = 'consumed' ORDER BY wallet_id, id",
            {"m": merchant_id, **params},
        )

    async def restores(self, merchant_id: uuid.UUID, redemption_id: uuid.UUID) -> list[Row]:
        """What returns restored so far of a consumed code, per return line."""
        return await self.conn.fetchall(
            f"SELECT {RESTORES.select()} FROM wallet_voucher_restores "
            "WHERE merchant_id = :m AND redemption_id = :r",
            {"m": merchant_id, "r": redemption_id},
        )

    async def insert_restores(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            await RESTORES.insert(self.conn, rows)

    # --- work due (the expiry job) -------------------------------------------------------

    async def wallets_due(self, t: datetime, limit: int) -> list[Row]:
        """(merchant_id, wallet_id) of wallets with a lot or a code expired at `t`, unswept."""
        return await self.conn.fetchall(
            "SELECT merchant_id, wallet_id FROM wallet_lots "
            "WHERE remaining > 0 AND expires_at <= :t "
            "UNION SELECT merchant_id, wallet_id FROM wallet_redemptions "
            "WHERE status = 'active' AND expires_at <= :t LIMIT :n",
            {"t": t, "n": limit},
        )


_SAVE_WALLET = (
    "UPDATE wallets SET balance = :balance, debt = :debt, entry_count = :entry_count, "
    "next_expiry = :next_expiry, updated_at = :updated_at "
    "WHERE merchant_id = :merchant_id AND id = :id"
)
_SAVED = ("balance", "debt", "entry_count", "next_expiry", "updated_at", "merchant_id", "id")
_SAVE_LOT = (
    "UPDATE wallet_lots SET remaining = :remaining, swept = :swept "
    "WHERE merchant_id = :merchant_id AND id = :id"
)


def _values(table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, Any]]:
    """`INSERT INTO table (…) VALUES (…), (…)` of `rows` and its parameters."""
    params: dict[str, Any] = {}
    tuples = []
    for i, row in enumerate(rows):
        params |= {f"r{i}_{name}": row[name] for name in table.names}
        tuples.append("(" + ", ".join(f":r{i}_{name}" for name in table.names) + ")")
    return f"INSERT INTO {table.name} ({table.select()}) VALUES {', '.join(tuples)}", params
