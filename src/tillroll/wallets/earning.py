"""Earning: a receipt earns into its customer's wallets by the campaigns that apply, and a
return (or an order lowered after the fact) claws back exactly what its lines earned.

Everything runs in the receipt's own transaction, as an in-transaction listener of
`receipt.created`, `receipt.claimed` and `order.total_lowered` (so single POSTs, batches and
Spaaza baskets alike). What a campaign earns on a receipt is split over its eligible lines
(`shares`) and kept per line in `wallet_earnings`; a return line claws back, of each
campaign, `earned × returned so far ÷ bought` (floored) minus what was clawed already, so
partial returns add up to the earn exactly and never beyond it. The rows' keys (per return
line, per order revision) and the wallet lock make a replay write nothing twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tillroll.events.service import Emitted, listen
from tillroll.kit import parse
from tillroll.kit.db import Connection
from tillroll.merchants.service import merchant as merchant_service
from tillroll.orders.events import ORDER_TOTAL_LOWERED, TotalLowered
from tillroll.orders.service import order as order_service
from tillroll.receipts.events import RECEIPT_CLAIMED, RECEIPT_CREATED, ReceiptEvent
from tillroll.receipts.rules import quantity_micro
from tillroll.receipts.schemas import Line
from tillroll.receipts.service import receipt as receipt_service
from tillroll.wallets import vouchers
from tillroll.wallets.campaign_repository import CampaignRepository
from tillroll.wallets.campaign_schemas import Campaign
from tillroll.wallets.campaigns import applies, earn, eligible, shares
from tillroll.wallets.campaigns import campaign as campaign_service
from tillroll.wallets.clock import clock, expiry
from tillroll.wallets.ledger import Book, open_book, read_wallet
from tillroll.wallets.repository import WalletRepository
from tillroll.wallets.schemas import WalletCreate
from tillroll.wallets.service import wallet as wallet_service

EARN, RETURN = "earn", "return"
"""`wallet_earnings.cause`: a purchase line's earn, a return line's clawback; an order
change is `order:<revision>`."""


@dataclass(slots=True)
class Earn:
    """What one campaign earns on one receipt, per line."""

    receipt: ReceiptEvent
    campaign: Campaign
    amount: int
    lines: list[tuple[Line, int]]  # (line, its share)


@dataclass(slots=True)
class Claw:
    """One original line given back: by a return line, or by an order change."""

    receipt_id: uuid.UUID  # the return receipt (or the order's own receipt)
    line_no: int  # the return line (or the order line)
    cause: str
    of: tuple[uuid.UUID, int]  # the original receipt and line
    quantity: int  # returned, in millionths (an order: the fraction removed, see `_target`)
    ordered: int = 0  # an order change: the line's ordered quantity


@dataclass(slots=True)
class Plan:
    """A batch's work, grouped by wallet so that wallets are locked in one order."""

    earns: dict[uuid.UUID, list[Earn]] = field(default_factory=lambda: defaultdict(list))
    claws: dict[uuid.UUID, list[Claw]] = field(default_factory=lambda: defaultdict(list))


@listen
async def on_events(conn: Connection, emitted: Sequence[Emitted]) -> None:
    """The listener: one event type per call (a stored batch), one merchant.

    A stored receipt's earns, clawbacks and voucher codes may touch several wallets of a
    customer: they are all planned first, then locked in id order with one statement, so
    no two transactions ever wait for each other's wallets in opposite orders."""
    kind, merchant_id = emitted[0].type, emitted[0].merchant_id
    if kind is RECEIPT_CREATED or kind is RECEIPT_CLAIMED:
        events = [e.data for e in emitted if isinstance(e.data, ReceiptEvent)]
        plan = await _plan_receipts(conn, merchant_id, events, claimed=kind is RECEIPT_CLAIMED)
        spend = await vouchers.plan(conn, merchant_id, events) if kind is RECEIPT_CREATED else None
        if spend:
            wallets = [*plan.earns, *plan.claws, *spend.wallets]
            await WalletRepository.of(conn).lock_wallets(merchant_id, wallets)
        await _apply(conn, merchant_id, plan)  # a return claws back first, then restores
        if spend:
            await vouchers.apply(conn, merchant_id, spend)
    elif kind is ORDER_TOTAL_LOWERED:
        for e in emitted:
            assert isinstance(e.data, TotalLowered)
            await _order_lowered(conn, merchant_id, e.data)


async def _plan_receipts(
    conn: Connection, merchant_id: uuid.UUID, events: list[ReceiptEvent], *, claimed: bool
) -> Plan:
    """Earn on the receipts with a customer, claw back for their return lines."""
    plan = Plan()
    wanted = [e for e in events if e.customer_id is not None or e.is_return]
    if not wanted:
        return plan
    buyers = [e for e in wanted if e.customer_id is not None]
    campaigns = await campaign_service.live(conn, merchant_id) if buyers else []
    if not campaigns:
        wanted = [e for e in wanted if e.is_return]
        if not wanted:
            return plan
    lines = await receipt_service.lines_of(conn, merchant_id, [e.id for e in wanted])
    found = [
        got
        for event in buyers
        for c in campaigns
        if (got := _earn(event, c, lines.get(event.id, []), _moment(event, claimed)))
    ]
    wallets = await _wallets_for(conn, merchant_id, found)
    for got in found:
        wallet = wallets[_kind_of(got)]
        if _kind_of(got)[1] == "points" or wallet["currency"] == got.receipt.currency:
            plan.earns[wallet["id"]].append(got)  # credit in another currency earns nothing
    returns = [
        Claw(e.id, line.line_no, RETURN, (line.return_of.receipt_id, line.return_of.line_no),
             -quantity_micro(line.quantity))
        for e in wanted if e.is_return for line in lines.get(e.id, []) if line.return_of
    ]  # fmt: skip
    await _plan_claws(conn, merchant_id, plan, returns)
    return plan


def _moment(event: ReceiptEvent, claimed: bool) -> datetime:
    return (event.claimed_at or clock.now()) if claimed else event.issued_at


def _earn(event: ReceiptEvent, c: Campaign, lines: list[Line], moment: datetime) -> Earn | None:
    if not applies(c, moment, event.branch_id):
        return None
    chosen = [line for line in lines if eligible(c, line)]
    amount = earn(c, sum(line.total for line in chosen))
    if amount == 0:
        return None
    split = shares(amount, [line.total for line in chosen])
    return Earn(event, c, amount, list(zip(chosen, split, strict=True)))


def _kind_of(found: Earn) -> tuple[uuid.UUID, str]:
    """(customer, wallet kind) an earn goes into."""
    assert found.receipt.customer_id is not None
    return (
        found.receipt.customer_id,
        "credit" if found.campaign.kind == "percent_back" else "points",
    )


async def _wallets_for(
    conn: Connection, merchant_id: uuid.UUID, found: list[Earn]
) -> dict[tuple[uuid.UUID, str], dict[str, Any]]:
    """(customer, kind) → the wallet the earns go into: one query for the whole batch, and
    the wallets of first earns opened with one statement (a credit wallet in the currency
    of the first receipt that earns into it)."""
    if not found:
        return {}
    repo = WalletRepository.of(conn)
    have = await repo.wallets_of_customers(merchant_id, [_kind_of(f)[0] for f in found])
    wallets = {(w["customer_id"], w["kind"]): w for w in map(read_wallet, have)}
    missing: dict[tuple[uuid.UUID, str], WalletCreate] = {}
    for f in found:
        key = _kind_of(f)
        if key not in wallets and key not in missing:
            missing[key] = WalletCreate(
                kind=key[1],  # type: ignore[arg-type]
                currency=f.receipt.currency if key[1] == "credit" else None,
                title=f.campaign.wallet_title or None,
            )
    if missing:
        await wallet_service.open_absent(
            conn, merchant_id, [(c, b) for (c, _), b in missing.items()]
        )
        opened = await repo.wallets_of_customers(merchant_id, [c for c, _ in missing])
        wallets |= {(w["customer_id"], w["kind"]): w for w in map(read_wallet, opened)}
    return wallets


async def _plan_claws(
    conn: Connection, merchant_id: uuid.UUID, plan: Plan, claws: list[Claw]
) -> None:
    """File each clawback under the wallets its original line earned into."""
    if not claws:
        return
    repo = CampaignRepository.of(conn)
    earned = await repo.earnings_of_lines(merchant_id, [c.of for c in claws])
    wallets: dict[tuple[uuid.UUID, int], set[uuid.UUID]] = defaultdict(set)
    for row in earned:
        if row["cause"] == EARN:
            wallets[(row["of_receipt_id"], row["of_line_no"])].add(row["wallet_id"])
    for claw in claws:
        for wallet_id in wallets[claw.of]:
            plan.claws[wallet_id].append(claw)


async def _apply(conn: Connection, merchant_id: uuid.UUID, plan: Plan) -> None:
    """Lock each wallet concerned, in id order, and write its entries and earnings."""
    zone = None
    for wallet_id in sorted({*plan.earns, *plan.claws}):
        book = await open_book(conn, merchant_id, wallet_id, "campaigns")
        rows: list[dict[str, Any]] = []
        for found in plan.earns.get(wallet_id, []):
            days = found.campaign.credit_lifetime_days or book.wallet["lifetime_days"]
            if days is not None and zone is None:
                settings = (await merchant_service.get(conn, merchant_id)).settings
                zone = parse.zone(settings.timezone, field="settings.timezone")
            expires = expiry(book.now, days, zone) if days is not None and zone else None
            entry = await book.credit(
                found.amount, "purchase_earn", expires, receipt_id=found.receipt.id,
                campaign_id=found.campaign.id, note=found.campaign.title,
            )  # fmt: skip
            rows += [
                _row(book, entry["id"], found.receipt.id, line.line_no, found.campaign.id, EARN,
                     (found.receipt.id, line.line_no), quantity_micro(line.quantity), share)
                for line, share in found.lines
            ]  # fmt: skip
        rows += await _claw(book, plan.claws.get(wallet_id, []))
        await CampaignRepository.of(conn).insert_earnings(rows)
        await book.close()


async def _claw(book: Book, claws: list[Claw]) -> list[dict[str, Any]]:
    """The clawbacks on one locked wallet: read what was earned and clawed as of the lock,
    one `refund_clawback` entry per receipt (or order change) and campaign."""
    if not claws:
        return []
    repo = CampaignRepository.of(book.repo.conn)
    ledger = await repo.earnings_of_lines(book.merchant_id, [c.of for c in claws])
    ledger = [r for r in ledger if r["wallet_id"] == book.id]
    due: dict[tuple[uuid.UUID, str, uuid.UUID], list[tuple[Claw, int]]] = defaultdict(list)
    zero: list[dict[str, Any]] = []
    for claw in claws:
        mine = [r for r in ledger if (r["of_receipt_id"], r["of_line_no"]) == claw.of]
        for got in (r for r in mine if r["cause"] == EARN):
            same = [r for r in mine if r["campaign_id"] == got["campaign_id"]]
            amount = _clawback(claw, got, same)
            # kept even when it rounds to 0: the quantity returned counts for later returns
            # (a 0 row names the earn's entry, no entry moved anything)
            row = _row(book, got["entry_id"], claw.receipt_id, claw.line_no, got["campaign_id"],
                       claw.cause, claw.of, claw.quantity, -amount)  # fmt: skip
            ledger.append(row)
            if amount > 0:
                due[(claw.receipt_id, claw.cause, got["campaign_id"])].append((claw, amount))
            else:
                zero.append(row)
    rows = zero
    for (receipt_id, cause, campaign_id), parts in due.items():
        entry = await book.debit(
            sum(a for _, a in parts), "refund_clawback", overdraft=True, receipt_id=receipt_id,
            campaign_id=campaign_id, note=f"{cause} clawback",
        )  # fmt: skip
        rows += [
            _row(book, entry["id"], receipt_id, c.line_no, campaign_id, cause, c.of,
                 c.quantity, -a)
            for c, a in parts
        ]  # fmt: skip
    return rows


def _clawback(claw: Claw, got: dict[str, Any], same: list[dict[str, Any]]) -> int:
    """What `claw` takes back of the earn `got`: its cause's pro-rata target minus what that
    cause took already, never beyond what is left of the earn."""
    earned, bought = got["amount"], got["quantity_micro"]
    clawed = -sum(r["amount"] for r in same if r["cause"] != EARN)
    if claw.cause == RETURN:
        back = [r for r in same if r["cause"] == RETURN]
        returned = sum(r["quantity_micro"] for r in back) + claw.quantity
        target = earned * min(returned, bought) // bought
        already = -sum(r["amount"] for r in back)
    else:
        target = earned * claw.quantity // claw.ordered
        already = -sum(r["amount"] for r in same if r["cause"].startswith("order:"))
    return max(0, min(int(target - already), int(earned - clawed)))


def _row(
    book: Book, entry_id: uuid.UUID, receipt_id: uuid.UUID, line_no: int,
    campaign_id: uuid.UUID, cause: str, of: tuple[uuid.UUID, int], quantity: int, amount: int,
) -> dict[str, Any]:  # fmt: skip
    return {
        "merchant_id": book.merchant_id, "receipt_id": receipt_id, "line_no": line_no,
        "campaign_id": campaign_id, "cause": cause, "wallet_id": book.id, "entry_id": entry_id,
        "of_receipt_id": of[0], "of_line_no": of[1], "quantity_micro": quantity,
        "amount": amount, "created_at": book.now,
    }  # fmt: skip


async def _order_lowered(conn: Connection, merchant_id: uuid.UUID, lowered: TotalLowered) -> None:
    """An order update lowered the total: each line with fewer items than ordered gives back
    `earned × removed ÷ ordered` (floored) in all, once per revision."""
    order = await order_service.get(conn, merchant_id, lowered.receipt_id)
    cause = f"order:{lowered.revision}"
    claws = [
        Claw(lowered.receipt_id, item.line_no, cause, (lowered.receipt_id, item.line_no),
             item.ordered - item.quantity, item.ordered)
        for item in order.items if item.quantity < item.ordered
    ]  # fmt: skip
    plan = Plan()
    await _plan_claws(conn, merchant_id, plan, claws)
    await _apply(conn, merchant_id, plan)
