"""The wallet fields a receipt shows (Spaaza's `monetary_wallet`, `points_wallet`,
`basket_vouchers`, `total_points_balance`): two queries for a whole page of receipts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tillroll.kit.db import Connection
from tillroll.receipts.schemas import Receipt
from tillroll.wallets.campaign_repository import CampaignRepository
from tillroll.wallets.campaign_schemas import BasketVoucher, Contribution, ReceiptWallet
from tillroll.wallets.clock import clock
from tillroll.wallets.redemptions import PREFIX
from tillroll.wallets.schemas import WalletKind

RESTORED = "Wallet voucher restored"
"""The title of a return's contribution that gives back, pro rata, a wallet voucher (a
`REDEEM+` code) the original receipt used."""


async def with_wallets(
    conn: Connection, merchant_id: uuid.UUID, receipts: Sequence[Receipt]
) -> list[Receipt]:
    """The receipts with what each added to or took from the customer's wallets (the
    contributions per campaign, the balance right after) and the points balance now."""
    wallets = await receipt_wallets(conn, merchant_id, [r.id for r in receipts])
    customers = sorted({r.customer.id for r in receipts if r.customer})
    points = await CampaignRepository.of(conn).points_balances(merchant_id, customers, clock.now())
    for receipt in receipts:
        receipt.monetary_wallet = wallets.get((receipt.id, "credit"))
        receipt.points_wallet = wallets.get((receipt.id, "points"))
        receipt.basket_vouchers = vouchers(receipt)
        if receipt.customer is not None:
            receipt.total_points_balance = points.get(receipt.customer.id, 0)
    return list(receipts)


async def receipt_wallets(
    conn: Connection, merchant_id: uuid.UUID, receipt_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, WalletKind], ReceiptWallet]:
    """(receipt, wallet kind) → what the receipt added to or took from that wallet (per
    campaign; a return's voucher restore as a `RESTORED` contribution), and the balance
    right after its last entry (a later receipt does not change it): one query."""
    rows = await CampaignRepository.of(conn).receipt_entries(merchant_id, receipt_ids)
    wallets: dict[tuple[uuid.UUID, WalletKind], ReceiptWallet] = {}
    for row in rows:  # in ledger order: the last entry's balance is the total after
        key = (row["receipt_id"], row["kind"])
        shown = wallets.setdefault(
            key, ReceiptWallet(wallet_id=row["wallet_id"], total=0, title=row["wallet_title"],
                               contributions=[])
        )  # fmt: skip
        shown.total = row["balance_after"]
        title = RESTORED if row["reason"] == "redemption_cancel" else row["campaign_title"]
        shown.contributions.append(
            Contribution(amount=row["amount"], campaign_id=row["campaign_id"],
                         campaign_title=title)
        )  # fmt: skip
    return wallets


async def any_receipt_wallets(conn: Connection, merchant_id: uuid.UUID) -> bool:
    """Whether any receipt of the merchant touched a wallet: an export of a merchant
    without wallets skips `receipt_wallets` (one index probe per batch instead)."""
    return await CampaignRepository.of(conn).any_receipt_entries(merchant_id)


def vouchers(receipt: Receipt) -> list[BasketVoucher]:
    """The receipt's basket vouchers; a redemption code's is a `wallet` voucher."""
    return [
        BasketVoucher(
            campaign_title=d.description or "",
            voucher_text=d.code or "",
            amount=d.amount,
            type="wallet" if (d.code or "").startswith(PREFIX) else "loyalty",
        )
        for d in receipt.discounts
        if d.kind == "voucher"
    ]
