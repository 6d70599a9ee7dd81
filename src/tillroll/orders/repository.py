"""All SQL of orders, revisions and shipments. Every statement is scoped by `merchant_id`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, in_list, to_json
from tillroll.kit.tables import Table
from tillroll.orders.tables import (
    ORDER_ITEMS,
    ORDERS,
    REVISIONS,
    SHIPMENT_EVENTS,
    SHIPMENTS,
    SUBSCRIPTIONS,
)

_read_order = ORDERS.reader(ORDERS.names)
_read_item = ORDER_ITEMS.reader(ORDER_ITEMS.names)
_read_revision = REVISIONS.reader(REVISIONS.names)
_read_shipment = SHIPMENTS.reader(SHIPMENTS.names)
_read_event = SHIPMENT_EVENTS.reader(SHIPMENT_EVENTS.names)


def encoded(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """A row with its JSON columns encoded."""
    return {k: to_json(v) if k in table.json else v for k, v in values.items()}


class OrderRepository(Repository):
    async def lock(self, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> dict[str, Any] | None:
        """The order row, locked until commit on PostgreSQL (SQLite's write transaction
        already serializes): concurrent updates and shipments of one order queue here."""
        row = await self.conn.fetchone(
            f"SELECT {ORDERS.select()} FROM orders WHERE merchant_id = :m AND receipt_id = :r"
            + self.conn.for_update(),
            {"m": merchant_id, "r": receipt_id},
        )
        return None if row is None else _read_order(row)

    async def get(self, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {ORDERS.select()} FROM orders WHERE merchant_id = :m AND receipt_id = :r",
            {"m": merchant_id, "r": receipt_id},
        )
        return None if row is None else _read_order(row)

    async def items(self, merchant_id: uuid.UUID, receipt_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.conn.fetchall(
            f"SELECT {ORDER_ITEMS.select()} FROM order_items "
            "WHERE merchant_id = :m AND receipt_id = :r ORDER BY line_no",
            {"m": merchant_id, "r": receipt_id},
        )
        return [_read_item(r) for r in rows]

    async def insert_order(
        self, order: dict[str, Any], items: list[dict[str, Any]], revision: dict[str, Any]
    ) -> None:
        await ORDERS.insert(self.conn, [encoded(ORDERS, order)])
        await ORDER_ITEMS.insert(self.conn, [encoded(ORDER_ITEMS, i) for i in items])
        await REVISIONS.insert(self.conn, [encoded(REVISIONS, revision)])

    async def update_order(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, changes: dict[str, Any]
    ) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in changes)
        await self.conn.execute(
            f"UPDATE orders SET {sets} WHERE merchant_id = :m_ AND receipt_id = :r_",
            {**encoded(ORDERS, changes), "m_": merchant_id, "r_": receipt_id},
        )

    async def set_items(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, items: list[dict[str, Any]]
    ) -> None:
        """Write back the live and shipped quantities of `items`."""
        await self.conn.executemany(
            "UPDATE order_items SET quantity = :q, shipped = :s "
            "WHERE merchant_id = :m AND receipt_id = :r AND line_no = :l",
            [
                {"m": merchant_id, "r": receipt_id, "l": i["line_no"], "q": i["quantity"],
                 "s": i["shipped"]}
                for i in items
            ],
        )  # fmt: skip

    async def insert_revision(self, revision: dict[str, Any]) -> None:
        await REVISIONS.insert(self.conn, [encoded(REVISIONS, revision)])

    async def revision_by_update_id(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, update_id: str
    ) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {REVISIONS.select()} FROM order_revisions "
            "WHERE merchant_id = :m AND receipt_id = :r AND update_id = :u",
            {"m": merchant_id, "r": receipt_id, "u": update_id},
        )
        return None if row is None else _read_revision(row)

    async def revisions(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        rows = await self.conn.fetchall(
            f"SELECT {REVISIONS.select()} FROM order_revisions "
            "WHERE merchant_id = :m AND receipt_id = :r ORDER BY revision",
            {"m": merchant_id, "r": receipt_id},
        )
        return [_read_revision(r) for r in rows]

    async def insert_shipment(self, shipment: dict[str, Any]) -> None:
        await SHIPMENTS.insert(self.conn, [encoded(SHIPMENTS, shipment)])

    async def shipments(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID
    ) -> list[dict[str, Any]]:
        rows = await self.conn.fetchall(
            f"SELECT {SHIPMENTS.select()} FROM shipments "
            "WHERE merchant_id = :m AND receipt_id = :r ORDER BY created_at, id",
            {"m": merchant_id, "r": receipt_id},
        )
        return [_read_shipment(r) for r in rows]

    async def shipment(self, merchant_id: uuid.UUID, shipment_id: uuid.UUID) -> Row | None:
        """The receipt id of a shipment (None: not the merchant's)."""
        return await self.conn.fetchone(
            "SELECT receipt_id FROM shipments WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": shipment_id},
        )

    async def set_shipment_status(
        self,
        merchant_id: uuid.UUID,
        shipment_id: uuid.UUID,
        status: str,
        at: datetime,
        delivered_at: datetime | None,
    ) -> None:
        await self.conn.execute(
            "UPDATE shipments SET status = :s, status_at = :at, delivered_at = :d "
            "WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": shipment_id, "s": status, "at": at, "d": delivered_at},
        )

    async def events(
        self, merchant_id: uuid.UUID, shipment_ids: list[uuid.UUID]
    ) -> list[dict[str, Any]]:
        if not shipment_ids:
            return []
        marks, params = in_list("s", shipment_ids)
        rows = await self.conn.fetchall(
            f"SELECT {SHIPMENT_EVENTS.select()} FROM shipment_events "
            f"WHERE merchant_id = :m AND shipment_id IN {marks} ORDER BY shipment_id, seq",
            {"m": merchant_id, **params},
        )
        return [_read_event(r) for r in rows]

    async def insert_event(self, event: dict[str, Any]) -> None:
        await SHIPMENT_EVENTS.insert(self.conn, [event])


_read_subscription = SUBSCRIPTIONS.reader(SUBSCRIPTIONS.names)


class StockRepository(Repository):
    async def open_subscription(
        self, merchant_id: uuid.UUID, product_id: uuid.UUID, key: str
    ) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {SUBSCRIPTIONS.select()} FROM stock_subscriptions "
            "WHERE merchant_id = :m AND product_id = :p AND open_key = :k",
            {"m": merchant_id, "p": product_id, "k": key},
        )
        return None if row is None else _read_subscription(row)

    async def subscription(
        self, merchant_id: uuid.UUID, product_id: uuid.UUID, subscription_id: uuid.UUID
    ) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {SUBSCRIPTIONS.select()} FROM stock_subscriptions "
            "WHERE merchant_id = :m AND product_id = :p AND id = :id",
            {"m": merchant_id, "p": product_id, "id": subscription_id},
        )
        return None if row is None else _read_subscription(row)

    async def insert_subscriptions(self, rows: list[dict[str, Any]]) -> None:
        await SUBSCRIPTIONS.insert(self.conn, rows)

    async def close(
        self, merchant_id: uuid.UUID, ids: list[uuid.UUID], status: str, at: datetime
    ) -> None:
        """Close open subscriptions (`notified` or `cancelled`): their subscriber may
        subscribe again."""
        marks, params = in_list("s", ids)
        await self.conn.execute(
            "UPDATE stock_subscriptions SET status = :st, open_key = NULL, closed_at = :at "
            f"WHERE merchant_id = :m AND status = 'open' AND id IN {marks}",
            {"m": merchant_id, "st": status, "at": at, **params},
        )

    async def waiting(
        self, merchant_id: uuid.UUID, product_id: uuid.UUID, limit: int
    ) -> list[dict[str, Any]]:
        """The oldest open subscriptions of a product, locked (others' locked ones skipped:
        two workers never notify one subscriber twice)."""
        rows = await self.conn.fetchall(
            f"SELECT {SUBSCRIPTIONS.select()} FROM stock_subscriptions "
            "WHERE merchant_id = :m AND product_id = :p AND status = 'open' "
            "ORDER BY id LIMIT :n" + self.conn.for_update(skip_locked=True),
            {"m": merchant_id, "p": product_id, "n": limit},
        )
        return [_read_subscription(r) for r in rows]

    async def count_waiting(self, merchant_id: uuid.UUID, product_id: uuid.UUID) -> int:
        value = await self.conn.fetchval(
            "SELECT COUNT(*) FROM stock_subscriptions "
            "WHERE merchant_id = :m AND product_id = :p AND status = 'open'",
            {"m": merchant_id, "p": product_id},
        )
        return int(value)

    async def landing_url(self, merchant_id: uuid.UUID) -> str | None:
        value: str | None = await self.conn.fetchval(
            "SELECT landing_url FROM stock_settings WHERE merchant_id = :m", {"m": merchant_id}
        )
        return value

    async def set_landing_url(self, merchant_id: uuid.UUID, url: str, at: datetime) -> None:
        params = {"m": merchant_id, "u": url, "at": at}
        await self.conn.execute(
            "DELETE FROM stock_settings WHERE merchant_id = :m", {"m": merchant_id}
        )
        await self.conn.execute(
            "INSERT INTO stock_settings (merchant_id, landing_url, updated_at) "
            "VALUES (:m, :u, :at)",
            params,
        )
