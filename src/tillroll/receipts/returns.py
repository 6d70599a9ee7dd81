"""Returns: a return line gives back part of an original line, never more than is left."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tillroll.errors import Conflict, InvalidInput, TillrollError
from tillroll.receipts.repository import OriginalLine, ReceiptRepository
from tillroll.receipts.rules import decimal_text, quantity_micro

if TYPE_CHECKING:
    from tillroll.receipts.ingest import Item


async def check_returns(repo: ReceiptRepository, merchant_id: uuid.UUID, items: list[Item]) -> None:
    """Resolve every return line to its original and refuse over-returns (409).

    Returns earlier in the same batch count against later ones.
    """
    refs = [line.return_of for i in items for line in i.body.lines if line.return_of]
    if not refs:
        return
    ids = sorted({r.receipt_id for r in refs if r.receipt_id is not None})
    externals = sorted({r.receipt_external_id for r in refs if r.receipt_external_id is not None})
    originals = (await repo.original_lines(merchant_id, "id", ids) if ids else []) + (
        await repo.original_lines(merchant_id, "external_id", externals) if externals else []
    )
    by_id = {(o.receipt_id, o.line_no): o for o in originals}
    by_external = {(o.external_id, o.line_no): o for o in originals}
    consumed: dict[tuple[uuid.UUID, int], tuple[int, int]] = {}
    for item in items:
        taken = _check_item(item, by_id, by_external, consumed)
        if item.error is None:
            for key, (quantity, refund) in taken.items():
                before = consumed.get(key, (0, 0))
                consumed[key] = (before[0] + quantity, before[1] + refund)


def _check_item(
    item: Item,
    by_id: dict[tuple[uuid.UUID, int], OriginalLine],
    by_external: dict[tuple[str, int], OriginalLine],
    consumed: dict[tuple[uuid.UUID, int], tuple[int, int]],
) -> dict[tuple[uuid.UUID, int], tuple[int, int]]:
    """What this receipt returns of each original line: (quantity in millionths, refund)."""
    taken: dict[tuple[uuid.UUID, int], tuple[int, int]] = {}
    for index, line in enumerate(item.body.lines):
        ref = line.return_of
        if ref is None:
            continue
        loc = f"lines[{index}].return_of"
        original = (
            by_id.get((ref.receipt_id, ref.line_no))
            if ref.receipt_id is not None
            else by_external.get((ref.receipt_external_id or "", ref.line_no))
        )
        if original is None:
            item.error = InvalidInput.field(loc, "no such receipt line to return")
            return taken
        if original.is_return_line:
            item.error = InvalidInput.field(loc, "points at a return line; return the original")
            return taken
        if original.currency != item.body.currency:
            item.error = InvalidInput.field(
                "currency",
                f"is {item.body.currency} but the original receipt is in {original.currency}",
            )
            return taken
        key = (original.receipt_id, original.line_no)
        wanted = -quantity_micro(line.quantity)
        already = original.returned_micro + consumed.get(key, (0, 0))[0] + taken.get(key, (0, 0))[0]
        if already + wanted > original.quantity_micro:
            item.error = Conflict(
                f"lines[{index}] returns {decimal_text(wanted, 6)} of line {original.line_no} of "
                f"receipt {original.external_id!r}, but "
                f"{decimal_text(original.quantity_micro, 6)} were bought and "
                f"{decimal_text(already, 6)} already returned."
            )
            return taken
        refunded = original.refunded + consumed.get(key, (0, 0))[1] + taken.get(key, (0, 0))[1]
        error = _refund_error(index, line.total, already + wanted, original, refunded)
        if error is not None:
            item.error = error
            return taken
        before = taken.get(key, (0, 0))
        taken[key] = (before[0] + wanted, before[1] - line.total)
        item.return_targets[index] = original.receipt_id
    return taken


def _refund_error(
    index: int, total: int, returned: int, original: OriginalLine, refunded: int
) -> TillrollError | None:
    """All refunds of a line, this one included, stay within what the line charged for the
    quantity returned so far, rounded up once (in the customer's favour): so many small
    returns never gain more than one minor unit, and a full return refunds exactly the line."""
    refund = -total
    if refund < 0:
        return InvalidInput.field(f"lines[{index}].total", f"a return line refunds; got +{total}")
    cap = -(-original.total * returned // original.quantity_micro)
    if refunded + refund > cap:
        return InvalidInput.field(
            f"lines[{index}].total",
            f"refunds {refund}, but line {original.line_no} of receipt {original.external_id!r} "
            f"charged {original.total} for {decimal_text(original.quantity_micro, 6)}: returning "
            f"{decimal_text(returned, 6)} of it refunds at most {cap} in all, and {refunded} was "
            "already refunded",
        )
    return None
