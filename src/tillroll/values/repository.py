"""The values domain's SQL, on its own tables only, every statement scoped by merchant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tillroll.kit.db import Row
from tillroll.kit.repository import Repository, in_list, to_json
from tillroll.values.tables import (
    EMBED_SETTINGS,
    SIGNAL_VALUES,
    SIGNALS,
    VALUE_METRICS,
    VALUE_RECEIPT_LINES,
    VALUE_RECEIPTS,
)

_METRIC = VALUE_METRICS.reader(VALUE_METRICS.names)
_SIGNAL = SIGNALS.reader(SIGNALS.names)
_RECEIPT = VALUE_RECEIPTS.reader(VALUE_RECEIPTS.names)
_LINE = VALUE_RECEIPT_LINES.reader(VALUE_RECEIPT_LINES.names)
_EMBED = EMBED_SETTINGS.reader(EMBED_SETTINGS.names)


_TIME = {
    "occurred_from": "occurred_at >= :occurred_from",
    "occurred_to": "occurred_at < :occurred_to",
}


def _where(
    filters: dict[str, Any], ops: dict[str, str] | None = None
) -> tuple[str, dict[str, Any]]:
    """`AND col = :col …` for the filters that are set (`ops` maps a key to its clause)."""
    clauses, params = [], {}
    for name, value in filters.items():
        if value is None:
            continue
        clauses.append((ops or {}).get(name, f"{name} = :{name}"))
        params[name] = value
    return "".join(f" AND {c}" for c in clauses), params


class MetricRepository(Repository):
    async def insert(self, row: dict[str, Any]) -> None:
        await VALUE_METRICS.insert(self.conn, [_encoded(row, VALUE_METRICS.json)])

    async def update(
        self, merchant_id: uuid.UUID, metric_id: uuid.UUID, row: dict[str, Any]
    ) -> None:
        values = _encoded(row, VALUE_METRICS.json)
        sets = ", ".join(f"{k} = :{k}" for k in values)
        await self.conn.execute(
            f"UPDATE value_metrics SET {sets} WHERE merchant_id = :m_ AND id = :id_",
            {**values, "m_": merchant_id, "id_": metric_id},
        )

    async def model_version(self, merchant_id: uuid.UUID, counter: str) -> int:
        value = await self.conn.fetchval(
            "SELECT value FROM counters WHERE merchant_id = :m AND name = :name",
            {"m": merchant_id, "name": counter},
        )
        return int(value or 0)

    async def get_by(
        self, merchant_id: uuid.UUID, column: str, value: Any
    ) -> dict[str, Any] | None:
        assert column in ("id", "slug")
        row = await self.conn.fetchone(
            f"SELECT {VALUE_METRICS.select()} FROM value_metrics "
            f"WHERE merchant_id = :m AND {column} = :v",
            {"m": merchant_id, "v": value},
        )
        return None if row is None else _METRIC(row)

    async def page(
        self, merchant_id: uuid.UUID, include_archived: bool, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        where = "" if include_archived else " AND archived_at IS NULL"
        params = {"m": merchant_id}
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM value_metrics WHERE merchant_id = :m{where}", params
        )
        rows = await self.conn.fetchall(
            f"SELECT {VALUE_METRICS.select()} FROM value_metrics WHERE merchant_id = :m{where} "
            "ORDER BY id LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
        return [_METRIC(r) for r in rows], int(total)

    async def for_events(
        self, merchant_id: uuid.UUID, events: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Every metric (archived ones too: their signals still count) bound to `events`."""
        if not events:
            return []
        marks, params = in_list("e", events)
        rows = await self.conn.fetchall(
            f"SELECT {VALUE_METRICS.select()} FROM value_metrics "
            f"WHERE merchant_id = :m AND event_name IN {marks} ORDER BY id",
            {"m": merchant_id, **params},
        )
        return [_METRIC(r) for r in rows]

    async def get_many(
        self, merchant_id: uuid.UUID, ids: Sequence[uuid.UUID]
    ) -> list[dict[str, Any]]:
        if not ids:
            return []
        marks, params = in_list("i", ids)
        rows = await self.conn.fetchall(
            f"SELECT {VALUE_METRICS.select()} FROM value_metrics "
            f"WHERE merchant_id = :m AND id IN {marks} ORDER BY id",
            {"m": merchant_id, **params},
        )
        return [_METRIC(r) for r in rows]


class SignalRepository(Repository):
    async def existing_keys(self, merchant_id: uuid.UUID, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        marks, params = in_list("k", keys)
        rows = await self.conn.fetchall(
            f"SELECT idempotency_key FROM value_signals "
            f"WHERE merchant_id = :m AND idempotency_key IN {marks}",
            {"m": merchant_id, **params},
        )
        return {r["idempotency_key"] for r in rows}

    async def insert(self, signals: list[dict[str, Any]], values: list[dict[str, Any]]) -> None:
        await SIGNALS.insert(self.conn, [_encoded(s, SIGNALS.json) for s in signals])
        if values:
            await SIGNAL_VALUES.insert(self.conn, values)

    async def get(self, merchant_id: uuid.UUID, signal_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {SIGNALS.select()} FROM value_signals WHERE merchant_id = :m AND id = :id",
            {"m": merchant_id, "id": signal_id},
        )
        return None if row is None else _SIGNAL(row)

    async def page(
        self,
        merchant_id: uuid.UUID,
        filters: dict[str, Any],
        before: uuid.UUID | None,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        """Newest first, after the keyset cursor id `before` or from `offset`."""
        ops = {**_TIME, "before": "id < :before"}
        where, params = _where({**filters, "before": before}, ops)
        rows = await self.conn.fetchall(
            f"SELECT {SIGNALS.select()} FROM value_signals WHERE merchant_id = :m{where} "
            "ORDER BY id DESC LIMIT :limit OFFSET :offset",
            {**params, "m": merchant_id, "limit": limit, "offset": offset},
        )
        return [_SIGNAL(r) for r in rows]

    async def count(self, merchant_id: uuid.UUID, filters: dict[str, Any]) -> int:
        where, params = _where(filters, _TIME)
        return int(
            await self.conn.fetchval(
                f"SELECT count(*) FROM value_signals WHERE merchant_id = :m{where}",
                {**params, "m": merchant_id},
            )
        )

    async def of_event(
        self, merchant_id: uuid.UUID, event_name: str, after: uuid.UUID | None, limit: int
    ) -> list[dict[str, Any]]:
        """A batch of one event's signals in id order (to recompute a metric's values)."""
        where = " AND id > :after" if after else ""
        params: dict[str, Any] = {"m": merchant_id, "e": event_name, "limit": limit}
        if after:
            params["after"] = after
        rows = await self.conn.fetchall(
            f"SELECT {SIGNALS.select()} FROM value_signals "
            f"WHERE merchant_id = :m AND event_name = :e{where} ORDER BY id LIMIT :limit",
            params,
        )
        return [_SIGNAL(r) for r in rows]

    async def drop_values(self, merchant_id: uuid.UUID, metric_id: uuid.UUID) -> None:
        await self.conn.execute(
            "DELETE FROM value_signal_values WHERE merchant_id = :m AND metric_id = :metric",
            {"m": merchant_id, "metric": metric_id},
        )

    async def totals(
        self, merchant_id: uuid.UUID, scope: dict[str, Any], start: datetime, end: datetime
    ) -> list[Row]:
        """Per metric and day: occurrences `n` and quantity `q`, in the scope and
        `[start, end)` (one `GROUP BY` over the stored values)."""
        where, params = _where(scope)
        days = {"d0": start.astimezone(UTC).toordinal(), "d1": end.astimezone(UTC).toordinal()}
        return await self.conn.fetchall(
            "SELECT metric_id, day, count(*) AS n, sum(quantity_micro) AS q "
            f"FROM value_signal_values WHERE merchant_id = :m{where} "
            "AND day >= :d0 AND day <= :d1 AND occurred_at >= :start AND occurred_at < :end "
            "GROUP BY day, metric_id",
            {**params, **days, "m": merchant_id, "start": start, "end": end},
        )


class ReceiptRepository(Repository):
    async def insert(self, row: dict[str, Any]) -> None:
        await VALUE_RECEIPTS.insert(self.conn, [_encoded(row, VALUE_RECEIPTS.json)])

    async def update(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, row: dict[str, Any]
    ) -> None:
        values = _encoded(row, VALUE_RECEIPTS.json)
        sets = ", ".join(f"{k} = :{k}" for k in values)
        await self.conn.execute(
            f"UPDATE value_receipts SET {sets} WHERE merchant_id = :m_ AND id = :id_",
            {**values, "m_": merchant_id, "id_": receipt_id},
        )

    async def get(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, lock: str = ""
    ) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {VALUE_RECEIPTS.select()} FROM value_receipts "
            f"WHERE merchant_id = :m AND id = :id{lock}",
            {"m": merchant_id, "id": receipt_id},
        )
        return None if row is None else _RECEIPT(row)

    async def by_token(self, token: str) -> dict[str, Any] | None:
        """Any merchant's receipt by its share token (the public pages)."""
        row = await self.conn.fetchone(
            f"SELECT {VALUE_RECEIPTS.select()} FROM value_receipts WHERE share_token = :t",
            {"t": token},
        )
        return None if row is None else _RECEIPT(row)

    async def by_key(self, merchant_id: uuid.UUID, key: dict[str, Any]) -> dict[str, Any] | None:
        """The oldest receipt with this natural key (customer, period, product, order)."""
        clauses = " AND ".join(
            f"{k} IS NULL" if v is None else f"{k} = :{k}" for k, v in key.items()
        )
        params = {k: v for k, v in key.items() if v is not None}
        row = await self.conn.fetchone(
            f"SELECT {VALUE_RECEIPTS.select()} FROM value_receipts "
            f"WHERE merchant_id = :m AND {clauses} ORDER BY id LIMIT 1",
            {**params, "m": merchant_id},
        )
        return None if row is None else _RECEIPT(row)

    async def page(
        self,
        merchant_id: uuid.UUID,
        filters: dict[str, Any],
        archived: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        where, params = _where(filters)
        where += " AND archived_at IS NOT NULL" if archived else " AND archived_at IS NULL"
        params["m"] = merchant_id
        total = await self.conn.fetchval(
            f"SELECT count(*) FROM value_receipts WHERE merchant_id = :m{where}", params
        )
        rows = await self.conn.fetchall(
            f"SELECT {VALUE_RECEIPTS.select()} FROM value_receipts WHERE merchant_id = :m{where} "
            "ORDER BY id DESC LIMIT :limit OFFSET :offset",
            {**params, "limit": limit, "offset": offset},
        )
        return [_RECEIPT(r) for r in rows], int(total)

    async def lines(
        self, merchant_id: uuid.UUID, receipt_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
        found: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in receipt_ids}
        if not receipt_ids:
            return found
        marks, params = in_list("r", receipt_ids)
        rows = await self.conn.fetchall(
            f"SELECT {VALUE_RECEIPT_LINES.select()} FROM value_receipt_lines "
            f"WHERE merchant_id = :m AND receipt_id IN {marks} ORDER BY receipt_id, line_no",
            {"m": merchant_id, **params},
        )
        for row in rows:
            line = _LINE(row)
            found[line["receipt_id"]].append(line)
        return found

    async def replace_lines(
        self, merchant_id: uuid.UUID, receipt_id: uuid.UUID, lines: list[dict[str, Any]]
    ) -> None:
        await self.conn.execute(
            "DELETE FROM value_receipt_lines WHERE merchant_id = :m AND receipt_id = :r",
            {"m": merchant_id, "r": receipt_id},
        )
        if lines:
            rows = [_encoded(line, VALUE_RECEIPT_LINES.json) for line in lines]
            await VALUE_RECEIPT_LINES.insert(self.conn, rows)

    async def unpublish_all(self, merchant_id: uuid.UUID, now: datetime) -> int:
        rows = await self.conn.fetchall(
            "UPDATE value_receipts SET is_published = :f, updated_at = :now "
            "WHERE merchant_id = :m AND is_published = :t RETURNING id",
            {"m": merchant_id, "f": False, "t": True, "now": now},
        )
        return len(rows)


class EmbedRepository(Repository):
    async def get(self, merchant_id: uuid.UUID) -> dict[str, Any] | None:
        row = await self.conn.fetchone(
            f"SELECT {EMBED_SETTINGS.select()} FROM value_embed_settings WHERE merchant_id = :m",
            {"m": merchant_id},
        )
        return None if row is None else _EMBED(row)

    async def put(self, row: dict[str, Any]) -> None:
        await self.conn.execute(
            "DELETE FROM value_embed_settings WHERE merchant_id = :m", {"m": row["merchant_id"]}
        )
        await EMBED_SETTINGS.insert(self.conn, [_encoded(row, EMBED_SETTINGS.json)])


def _encoded(row: dict[str, Any], json: dict[str, Any]) -> dict[str, Any]:
    return {k: to_json(v) if k in json else v for k, v in row.items()}
