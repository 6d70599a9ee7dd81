"""Ingest: one pipeline for a single receipt and for a batch of up to 500.

Each receipt is checked on its own (rules, references, returns) and is stored or refused as
a whole; the accepted ones are written together (one number block, two multi-row inserts).
Posting the same receipt again answers with the stored one; the same `external_id` with
different content is a 409.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import msgspec

from tillroll.branches.schemas import BranchSummary
from tillroll.branches.service import branch as branch_service
from tillroll.customers.schemas import CustomerSummary
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict, InvalidInput, TillrollError
from tillroll.events.service import emit_many
from tillroll.kit import group
from tillroll.kit.clock import utc_now
from tillroll.kit.db import ConflictRetry, Connection
from tillroll.kit.ids import uuid7
from tillroll.products.service import product as product_service
from tillroll.receipts import references
from tillroll.receipts.events import RECEIPT_CREATED, summary
from tillroll.receipts.repository import ReceiptRepository
from tillroll.receipts.returns import check_returns
from tillroll.receipts.rules import check_receipt
from tillroll.receipts.schemas import Receipt, ReceiptCreate
from tillroll.receipts.stored import as_stored, line_rows, receipt_row

Listener = Callable[[Connection, uuid.UUID, Sequence[Receipt]], Awaitable[None]]
ON_STORE: list[Listener] = []
"""Called in the storing transaction with the new receipts, after their lines and before
their numbered rows (`receipt.number` is not final yet; references to the receipts are
checked at commit). The app wires facades in (e.g. Spaaza's CSV cells); the core knows none."""


@dataclass(slots=True)
class Item:
    """One receipt on its way in."""

    index: int
    body: ReceiptCreate
    body_hash: str = ""
    error: TillrollError | None = None
    stored_id: uuid.UUID | None = None  # already stored (replay)
    stored: Receipt | None = None  # stored by this request
    duplicate_of: Item | None = None  # the same receipt earlier in this batch
    branch: BranchSummary | None = None
    customer: CustomerSummary | None = None
    return_targets: dict[int, uuid.UUID] = field(default_factory=dict)  # line index → receipt

    @property
    def pending(self) -> bool:
        return self.error is None and self.stored_id is None and self.duplicate_of is None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: int
    receipt: Receipt | None = None
    error: TillrollError | None = None


def body_hash(body: ReceiptCreate) -> str:
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


@dataclass(frozen=True, slots=True)
class Checked:
    """What a receipt's body alone decides: its rule errors, else its content hash."""

    error: TillrollError | None
    body_hash: str


def check(bodies: list[ReceiptCreate]) -> list[Checked]:
    """The rules and hashes of `bodies`: CPU only, so the router runs it before the
    transaction (`Endpoint.prepare`), off SQLite's write lock."""
    checked = []
    for body in bodies:
        errors = check_receipt(body)
        error = InvalidInput.fields(errors) if errors else None
        checked.append(Checked(error, "" if errors else body_hash(body)))
    return checked


async def ingest(
    conn: Connection,
    merchant_id: uuid.UUID,
    bodies: list[ReceiptCreate],
    checked: list[Checked] | None = None,
) -> list[Outcome]:
    """Store `bodies` (each on its own); `checked`: their `check`, if already made."""
    checked = checked or check(bodies)
    items = [
        Item(index, body, c.body_hash, c.error)
        for index, (body, c) in enumerate(zip(bodies, checked, strict=True))
    ]
    repo = ReceiptRepository.of(conn)
    await _match_stored(repo, merchant_id, items)
    await _resolve_branches(conn, merchant_id, [i for i in items if i.pending])
    await _resolve_customers(conn, merchant_id, [i for i in items if i.pending])
    await _check_products(conn, merchant_id, [i for i in items if i.pending])
    await check_returns(repo, merchant_id, [i for i in items if i.pending])
    await _write(repo, merchant_id, [i for i in items if i.pending])
    return await _outcomes(conn, merchant_id, items)


async def _match_stored(repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]) -> None:
    live = [i for i in items if i.error is None]
    stored = await repo.existing(merchant_id, sorted({i.body.external_id for i in live}))
    first_seen: dict[str, Item] = {}
    for item in live:
        external_id = item.body.external_id
        match = stored.get(external_id)
        earlier = first_seen.setdefault(external_id, item)
        if match is not None:
            same = match["body_hash"] == item.body_hash
            item.stored_id = match["id"] if same else None
        else:
            same = earlier.body_hash == item.body_hash
            item.duplicate_of = earlier if earlier is not item and same else None
        if not same:
            item.error = Conflict(
                f"external_id {external_id!r} is already used by a receipt with other content; "
                "a receipt is immutable (post a return to correct it)."
            )


async def _resolve_branches(conn: Connection, merchant_id: uuid.UUID, items: list[Item]) -> None:
    refs = [i.body.branch for i in items if i.body.branch is not None]
    if not refs:
        return
    ids = sorted({r.id for r in refs if r.id is not None})
    codes = sorted({r.code for r in refs if r.code is not None})
    found = [
        *(await branch_service.summaries(conn, merchant_id, "id", ids)),
        *(await branch_service.summaries(conn, merchant_id, "code", codes)),
    ]
    by_id = {b.id: b for b in found}
    by_code = {b.code: b for b in found}
    for item in items:
        ref = item.body.branch
        if ref is None:
            continue
        item.branch = by_id.get(ref.id) if ref.id is not None else by_code.get(ref.code or "")
        if item.branch is None:
            what = f"id {ref.id}" if ref.id is not None else f"code {ref.code!r}"
            item.error = InvalidInput.field("branch", f"no branch with {what}")


async def _resolve_customers(conn: Connection, merchant_id: uuid.UUID, items: list[Item]) -> None:
    for column in ("id", "external_id", "member_number"):
        wanted = {
            getattr(i.body.customer, column): i
            for i in items
            if i.body.customer is not None and getattr(i.body.customer, column) is not None
        }
        if not wanted:
            continue
        found = {
            getattr(c, column): c
            for c in await customer_service.summaries(
                conn, merchant_id, column, sorted(wanted, key=str)
            )
        }
        for item in items:
            value = getattr(item.body.customer, column, None)
            if value is None:
                continue
            item.customer = found.get(value)
            if item.customer is None:
                item.error = InvalidInput.field(
                    f"customer.{column}", f"no customer with {column} {value}"
                )


async def _check_products(conn: Connection, merchant_id: uuid.UUID, items: list[Item]) -> None:
    wanted = {line.product_id for i in items for line in i.body.lines if line.product_id}
    if not wanted:
        return
    known = await product_service.known_ids(conn, merchant_id, sorted(wanted))
    for item in items:
        for index, line in enumerate(item.body.lines):
            if line.product_id is not None and line.product_id not in known:
                item.error = InvalidInput.field(f"lines[{index}].product_id", "no such product")


async def _write(repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]) -> None:
    """Lines first, then the listeners, the numbered receipts last (see
    `ReceiptRepository.insert_numbered`)."""
    if not items:
        return
    now = utc_now()
    drafts = [as_stored(item, uuid7(), 0, now) for item in items]
    await repo.insert_lines([row for draft in drafts for row in line_rows(merchant_id, draft)])
    for listener in ON_STORE:
        await listener(repo.conn, merchant_id, drafts)
    await emit_many(repo.conn, merchant_id, RECEIPT_CREATED, [summary(d) for d in drafts])
    rows = [receipt_row(merchant_id, d, i.body_hash) for d, i in zip(drafts, items, strict=True)]
    await repo.insert_numbered(merchant_id, rows)
    for draft, row, item in zip(drafts, rows, items, strict=True):
        item.stored = msgspec.structs.replace(draft, number=row["number"])
    if rows[0]["number"] < 0:  # a placeholder: numbered at the group's end (kit.tables)

        async def numbered(_: Connection) -> None:
            for row, item in zip(rows, items, strict=True):
                assert item.stored is not None
                item.stored.number = row["number"]

        group.before_commit(repo.conn, ("receipt numbers", id(rows)), numbered)


async def _outcomes(conn: Connection, merchant_id: uuid.UUID, items: list[Item]) -> list[Outcome]:
    """One outcome per item; only receipts stored by earlier requests are read back."""
    replays = sorted({i.stored_id for i in items if i.stored_id is not None and not i.error})
    receipts = {r.id: r for r in await references.get_many(conn, merchant_id, replays)}
    if any(r.number < 0 for r in receipts.values()):  # stored earlier in this group
        raise ConflictRetry("a replay of a receipt whose number is given at the group's end")
    outcomes = []
    for item in items:
        first = item.duplicate_of or item
        error = item.error or first.error
        if error is not None:
            outcomes.append(Outcome(error.status, error=error))
        else:
            receipt = first.stored or receipts[first.stored_id]  # type: ignore[index]
            outcomes.append(Outcome(201 if item.stored else 200, receipt=receipt))
    return outcomes
