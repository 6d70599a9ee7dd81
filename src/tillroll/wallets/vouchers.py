"""Wallet vouchers on receipts: a stored receipt whose basket voucher carries a `REDEEM+`
code of the merchant consumes that code, in the receipt's own transaction.

The receipt is a record of what happened at the till, so it is never refused for its code:
a code that cannot be used (unknown, another customer's, already used, cancelled, expired)
stays as it is, and a `redemption.not_consumed` event says why.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tillroll.events.service import Emitted, emit, listen
from tillroll.kit.db import Connection
from tillroll.receipts.events import RECEIPT_CREATED, ReceiptEvent
from tillroll.wallets.events import REDEMPTION_NOT_CONSUMED, VoucherNotConsumed
from tillroll.wallets.redemptions import PREFIX, redemption


@listen
async def on_receipts(conn: Connection, emitted: Sequence[Emitted]) -> None:
    """Consume the codes of the stored (purchase) receipts' wallet vouchers."""
    if emitted[0].type is not RECEIPT_CREATED:
        return
    merchant_id = emitted[0].merchant_id
    for event in (e.data for e in emitted if isinstance(e.data, ReceiptEvent)):
        if not event.is_return:
            await _consume(conn, merchant_id, event)


async def _consume(conn: Connection, merchant_id: uuid.UUID, event: ReceiptEvent) -> None:
    for voucher in event.vouchers:
        code = voucher.code or ""
        if not code.startswith(PREFIX):
            continue
        why = await redemption.use_on_receipt(conn, merchant_id, code, event.customer_id, event.id)
        if why is not None:
            refused = VoucherNotConsumed(
                receipt_id=event.id,
                code=code[:40],
                amount=voucher.amount,
                reason=why,  # type: ignore[arg-type]
            )
            await emit(conn, merchant_id, REDEMPTION_NOT_CONSUMED, refused)
