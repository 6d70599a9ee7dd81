"""Repository base: every repository holds the transaction's connection on `self`."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Self

import msgspec

from tillroll.kit import group
from tillroll.kit.db import Connection


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @classmethod
    def of(cls, conn: Connection) -> Self:
        return cls(conn)


def to_json(value: Any) -> str | None:
    """Encode a JSON column (None stays NULL)."""
    return None if value is None else msgspec.json.encode(value).decode()


def from_json(text: str | None, kind: Any = Any) -> Any:
    """Decode a JSON column into `kind`."""
    return None if text is None else msgspec.json.decode(text, type=kind)


async def next_number(
    conn: Connection, merchant_id: Any, name: str, count: int = 1, *, now: bool = False
) -> int:
    """Allocate `count` consecutive per-merchant numbers; return the first.

    The counter row is locked until commit (row lock on PostgreSQL, the write lock on
    SQLite), so concurrent transactions get distinct, gapless numbers. In a group commit
    (`kit.group`) the row is read and locked once, numbers are handed out in memory (rolled
    back with a failed work's savepoint) and the row is written once, before the COMMIT;
    `now`: update the row at once all the same (a group's own flush).
    """
    numbers = None if now else group.memo(conn)
    if numbers is not None:
        return await _grouped_number(conn, numbers, merchant_id, name, count)
    value = await conn.fetchval(
        "UPDATE counters SET value = value + :n WHERE merchant_id = :m AND name = :name "
        "RETURNING value",
        {"n": count, "m": merchant_id, "name": name},
    )
    if value is None:
        await conn.execute(
            "INSERT INTO counters (merchant_id, name, value) VALUES (:m, :name, :n)",
            {"n": count, "m": merchant_id, "name": name},
        )
        value = count
    return int(value) - count + 1


async def _grouped_number(
    conn: Connection, numbers: dict[Hashable, Any], merchant_id: Any, name: str, count: int
) -> int:
    key = ("counter", merchant_id, name)
    params = {"m": merchant_id, "name": name}
    if key not in numbers:
        value = await conn.fetchval(
            "SELECT value FROM counters WHERE merchant_id = :m AND name = :name"
            + conn.for_update(),
            params,
        )
        if value is None:
            await conn.execute(
                "INSERT INTO counters (merchant_id, name, value) VALUES (:m, :name, 0)", params
            )
        numbers[key] = int(value or 0)

    async def write(c: Connection) -> None:
        last = group.memo(c)[key]  # type: ignore[index]
        await c.execute(
            "UPDATE counters SET value = :v WHERE merchant_id = :m AND name = :name",
            {**params, "v": last},
        )

    numbers[key] += count
    group.before_commit(conn, key, write)
    return int(numbers[key]) - count + 1


def is_number(value: int, *, bits: int = 63) -> bool:
    """Whether `value` can be one of our sequential numbers (a positive BIGINT, or INTEGER
    with `bits=31`): anything else matches nothing, and PostgreSQL could not even bind it."""
    return 0 < value < 1 << bits


def in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """`(:p0, :p1, …)` and its parameters, for an `IN` over `values`."""
    params = {f"{prefix}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(":" + k for k in params) + ")", params
