"""The wallets' event types, and the one place wallet events are emitted from."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

import msgspec

from tillroll.events.catalog import EventType
from tillroll.events.service import emit
from tillroll.kit.db import Connection
from tillroll.wallets.levels_schemas import Programme
from tillroll.wallets.schemas import Entry, Redemption

S = TypeVar("S", bound=msgspec.Struct)

WALLET_CREDITED = EventType(
    "wallet.credited",
    Entry,
    "A credit entry was added to a wallet (grant, earn, cancel, reversal).",
)
WALLET_DEBITED = EventType(
    "wallet.debited", Entry, "A debit entry was added to a wallet (spend, hold, expiry, clawback)."
)
REDEMPTION_CREATED = EventType(
    "redemption.created", Redemption, "A redemption code was issued, holding its amount."
)
REDEMPTION_CONSUMED = EventType("redemption.consumed", Redemption, "A redemption code was used.")
REDEMPTION_CANCELLED = EventType(
    "redemption.cancelled", Redemption, "A redemption code was cancelled; its hold returned."
)
REDEMPTION_EXPIRED = EventType(
    "redemption.expired", Redemption, "A redemption code expired unused; its hold returned."
)


class VoucherNotConsumed(msgspec.Struct, kw_only=True):
    """A receipt's `REDEEM+` voucher that was not consumed, and why."""

    receipt_id: uuid.UUID
    code: str
    amount: int
    reason: Literal["unknown", "other_customer", "consumed", "cancelled", "expired"]


REDEMPTION_NOT_CONSUMED = EventType(
    "redemption.not_consumed",
    VoucherNotConsumed,
    "A receipt carried a redemption code that could not be used (the receipt is kept).",
)


class ProgrammeChanged(msgspec.Struct, kw_only=True):
    """A loyalty programme as it is after the change, and which of its fields changed."""

    programme: Programme
    changed: list[str]


class ProgrammeDeleted(msgspec.Struct, kw_only=True):
    """A loyalty programme as it was, and how many customers' standings went with it."""

    programme: Programme
    statuses_removed: int


PROGRAMME_CREATED = EventType(
    "loyalty.programme_created", ProgrammeChanged, "A loyalty programme was set up."
)
PROGRAMME_UPDATED = EventType(
    "loyalty.programme_updated",
    ProgrammeChanged,
    "A loyalty programme's name, description, levels or review period changed.",
)
PROGRAMME_DELETED = EventType(
    "loyalty.programme_deleted",
    ProgrammeDeleted,
    "A loyalty programme was deleted, with its customers' standings.",
)
_CODE_EVENTS = {
    "active": REDEMPTION_CREATED, "consumed": REDEMPTION_CONSUMED,
    "cancelled": REDEMPTION_CANCELLED, "expired": REDEMPTION_EXPIRED,
}  # fmt: skip


def shape(schema: type[S], row: Mapping[str, Any]) -> S:
    """A row as `schema` (its own fields only)."""
    return schema(**{name: row[name] for name in schema.__struct_fields__})


async def entry_written(conn: Connection, entry: Mapping[str, Any]) -> None:
    kind = WALLET_CREDITED if entry["amount"] > 0 else WALLET_DEBITED
    await emit(conn, entry["merchant_id"], kind, shape(Entry, entry))


async def code_changed(conn: Connection, code: Mapping[str, Any]) -> None:
    """A code was issued (`active`) or closed: the event of its new status."""
    await emit(conn, code["merchant_id"], _CODE_EVENTS[code["status"]], shape(Redemption, code))
