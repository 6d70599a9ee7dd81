"""A property-based state machine over grant / debit / redeem / consume / cancel / reverse /
earn on a receipt (a 10 % back campaign) / a receipt paying with the active code / partial
return (clawback, and the code's pro-rata restore) / clock advance, checked after
every step against the independent model (`model.py`): balance, available, held, each live
lot's remainder, and the ledger's Σ entries.

Runs through the wallet services on the suite's real database (SQLite, or PostgreSQL when
TILLROLL_TEST_DATABASE_URL is set). `WALLET_MODEL_EXAMPLES` runs more examples.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Tenant
from tests.wallets.helpers import T0, Hands
from tests.wallets.model import MCode, Model, MSale
from tillroll.customers.schemas import CustomerCreate
from tillroll.customers.service import customer as customer_service
from tillroll.errors import Conflict
from tillroll.kit.db import Connection, Database, run
from tillroll.kit.schemas import ListQuery
from tillroll.kit.viewer import Viewer
from tillroll.receipts.schemas import ReceiptCreate
from tillroll.receipts.service import receipt as receipts
from tillroll.wallets import earning, vouchers  # noqa: F401  (receipts earn and use codes)
from tillroll.wallets.campaign_schemas import CampaignCreate
from tillroll.wallets.campaigns import campaign as campaigns
from tillroll.wallets.clock import clock
from tillroll.wallets.ledger import InsufficientFunds
from tillroll.wallets.redemptions import redemption
from tillroll.wallets.schemas import (
    ConsumeBody,
    EntryCreate,
    EntryQuery,
    Reason,
    RedemptionCreate,
    WalletCreate,
)
from tillroll.wallets.service import wallet as wallets

EXAMPLES = int(os.environ.get("WALLET_MODEL_EXAMPLES", "25"))
STEP = st.sampled_from(
    [
        "grant",
        "grant",
        "grant",
        "debit",
        "debit",
        "redeem",
        "redeem",
        "consume",
        "cancel",
        "reverse",
        "advance",
        "edge",
        "earn",
        "earn",
        "pay_with_code",
        "pay_with_code",
        "give_back",
        "give_back",
    ]
)
PERCENT = 10  # fmt: skip


class Run:
    """One wallet in the database and its model, stepped together."""

    def __init__(self, db: Database, tenant: Tenant, wallet_id: uuid.UUID, model: Model) -> None:
        self.db, self.m, self.w, self.model = db, tenant.id, wallet_id, model
        self.hands = Hands(T0)
        self.debits: list[str] = []
        self.prices: dict[str, int] = {}  # receipt → its unit price
        self.wrote = False  # the last step committed a write (which sweeps first)

    async def tx(self, work: Any) -> Any:
        with clock.use(self.hands):
            result = await run(self.db, work, write=True, retries=0)
        self.wrote = True
        return result

    async def grant(self, data: st.DataObject) -> None:
        amount = data.draw(st.integers(1, 100), label="grant")
        hours = data.draw(st.none() | st.integers(1, 96), label="lifetime_hours")
        expires = self.hands.now + timedelta(hours=hours) if hours else None
        body = EntryCreate(amount=amount, expires_at=expires)
        entry = await self.tx(lambda c: wallets.post_entry(c, self.m, self.w, body, "model"))
        self.model.settle(self.hands.now)
        self.model.grant(str(entry.id), amount, self.hands.now, expires)

    async def debit(self, data: st.DataObject) -> None:
        amount = data.draw(st.integers(1, 150), label="debit")
        body = EntryCreate(amount=-amount)
        self.model.settle(self.hands.now)
        if not self.model.can_take(amount, self.hands.now, self.model.overdraft):
            try:
                await self.tx(lambda c: wallets.post_entry(c, self.m, self.w, body, "model"))
            except InsufficientFunds as exc:
                assert exc.available == self.model.available(self.hands.now)
                return
            raise AssertionError("an overdrawing debit was accepted")
        entry = await self.tx(lambda c: wallets.post_entry(c, self.m, self.w, body, "model"))
        self.model.debits[str(entry.id)] = self.model.take(amount, self.hands.now)
        self.debits.append(str(entry.id))

    async def redeem(self, data: st.DataObject) -> None:
        amount = data.draw(st.integers(1, 80), label="redeem")
        self.model.settle(self.hands.now)
        customer = (await self._wallet()).customer_id
        body = RedemptionCreate(wallet=self.w, amount=amount)
        total = amount + self.model.held()
        if total > self.model.available(self.hands.now) + self.model.held_live(self.hands.now):
            try:
                await self.tx(lambda c: redemption.redeem(c, self.m, customer, body, "model"))
            except InsufficientFunds:
                return
            raise AssertionError("a code beyond the balance was issued")
        made = await self.tx(lambda c: redemption.redeem(c, self.m, customer, body, "model"))
        if self.model.code:
            self.model._give_back(self.model.code.draws)
        draws, left = self.model.take(total, self.hands.now)
        assert left == 0
        self.model.code = MCode(made.code, total, draws, made.expires_at)

    async def consume(self, data: st.DataObject) -> None:
        await self._close("consume")

    async def cancel(self, data: st.DataObject) -> None:
        await self._close("cancel")

    async def _close(self, how: str) -> None:
        self.model.settle(self.hands.now)
        code = self.model.code
        if code is None:
            return
        if how == "consume":
            await self.tx(lambda c: redemption.consume(c, self.m, code.code, ConsumeBody()))
        else:
            await self.tx(lambda c: redemption.cancel(c, self.m, code.code))
            self.model._give_back(code.draws)
        self.model.code = None
        try:  # a closed code is closed for good
            await self.tx(lambda c: redemption.consume(c, self.m, code.code, ConsumeBody()))
        except Conflict:
            return
        raise AssertionError("a closed code was consumed")

    async def reverse(self, data: st.DataObject) -> None:
        if not self.debits:
            return
        key = data.draw(st.sampled_from(self.debits), label="reverse")
        target = uuid.UUID(key)
        self.model.settle(self.hands.now)
        if key in self.model.reversed:
            try:
                await self.tx(lambda c: wallets.reverse(c, self.m, self.w, target, "model"))
            except Conflict:
                return
            raise AssertionError("a debit was reversed twice")
        entry = await self.tx(lambda c: wallets.reverse(c, self.m, self.w, target, "model"))
        self.model.reverse(key, str(entry.id), self.hands.now)

    async def pay_with_code(self, data: st.DataObject) -> None:
        """A receipt that uses the active code as a basket voucher: it consumes the code."""
        self.model.settle(self.hands.now)
        if self.model.code is None:
            return
        await self.earn(data, self.model.code)

    async def earn(self, data: st.DataObject, code: MCode | None = None) -> None:
        """A receipt for the customer: the campaign credits 10 % of it, floored."""
        quantity = data.draw(st.integers(1, 5), label="quantity")
        price = data.draw(st.integers(1, 700), label="price")
        body = self._receipt([{"name": "Item", "quantity": str(quantity), "unit_price": price,
                               "total": quantity * price}])  # fmt: skip
        body["customer"] = {"id": str((await self._wallet()).customer_id)}
        if code is not None:
            off = min(code.amount, body["total"])
            voucher = {"amount": off, "kind": "voucher", "code": code.code}
            body.update(discount_total=off, total=body["total"] - off, discounts=[voucher])
        stored, _ = await self.tx(
            lambda c: receipts.create(c, self.m, msgspec.convert(body, ReceiptCreate))
        )
        earned = quantity * price * PERCENT // 100
        self.wrote = bool(earned or code)  # a receipt that earns nothing opens no wallet
        self.model.settle(self.hands.now)
        if code is not None:
            self.model.code = None
        if earned:
            self.model.grant(await self._last_entry("purchase_earn"), earned, self.hands.now, None)
        if earned or code is not None:
            self.model.sales[str(stored.id)] = MSale(quantity, earned, voucher=code)
            self.prices[str(stored.id)] = price

    async def give_back(self, data: st.DataObject) -> None:
        """A return of part of an earning receipt: its pro-rata share of the earn goes back."""
        open_sales = [k for k, s in self.model.sales.items() if s.returned < s.quantity]
        if not open_sales:
            return
        sale = data.draw(st.sampled_from(open_sales), label="sale")
        left = self.model.sales[sale].quantity - self.model.sales[sale].returned
        quantity = data.draw(st.integers(1, left), label="returned")
        price = self.prices[sale]
        body = self._receipt([{"name": "Item", "quantity": str(-quantity), "unit_price": price,
                               "total": -quantity * price,
                               "return_of": {"receipt_id": sale, "line_no": 1}}])  # fmt: skip
        await self.tx(lambda c: receipts.create(c, self.m, msgspec.convert(body, ReceiptCreate)))
        self.model.settle(self.hands.now)
        due = self.model.clawback(sale, quantity)
        if due:
            self.model.take(due, self.hands.now)
        self.model.restore(sale)

    def _receipt(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        total = sum(line["total"] for line in lines)
        return {"external_id": f"M-{uuid.uuid4()}", "issued_at": self.hands.now.isoformat(),
                "currency": "EUR", "lines": lines, "subtotal": total, "total": total}  # fmt: skip

    async def _last_entry(self, reason: Reason) -> str:
        async def read(c: Connection) -> Any:
            query = EntryQuery(limit=500, reason=[reason])
            return await wallets.entries(c, Viewer(self.m), self.w, query)

        with clock.use(self.hands):
            page = await run(self.db, read, write=False)
        return str(page.data[-1].id)

    async def advance(self, data: st.DataObject) -> None:
        self.hands.advance(minutes=data.draw(st.integers(1, 3000), label="advance_minutes"))

    async def edge(self, data: st.DataObject) -> None:
        """Jump to a lot's expiry boundary, or one microsecond before it."""
        ends = sorted(
            {
                lot.expires_at
                for lot in self.model.lots
                if lot.expires_at and lot.expires_at > self.hands.now
            }
        )
        if ends:
            end = data.draw(st.sampled_from(ends), label="edge")
            self.hands.now = end - timedelta(microseconds=data.draw(st.sampled_from([0, 1])))

    async def _wallet(self) -> Any:
        with clock.use(self.hands):
            return await run(self.db, lambda c: wallets.get(c, Viewer(self.m), self.w), write=False)

    async def check(self) -> None:
        t = self.hands.now
        self.model.settle(t)
        view = await self._wallet()
        assert view.balance == self.model.balance(t), (view, self.model)
        assert view.available == self.model.available(t)
        assert view.held == self.model.held()

        async def read(c: Connection) -> tuple[Any, Any]:
            viewer = Viewer(self.m)
            lots = await wallets.lots(c, viewer, self.w, ListQuery(limit=500))
            return lots, await wallets.entries(c, viewer, self.w, EntryQuery(limit=500))

        with clock.use(self.hands):
            lots, page = await run(self.db, read, write=False)
        lots = lots.data
        live = {lot.key: lot.remaining for lot in self.model.lots if lot.live(t)}
        assert {str(x.entry_id): x.remaining for x in lots if x.status != "expired"} == live
        total = sum(e.amount for e in page.data)
        assert not page.data or page.data[-1].balance_after == total
        if self.wrote:  # a write sweeps first: the ledger has caught up with time
            assert total == self.model.balance(t)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), overdraft=st.booleans(), code_hours=st.none() | st.integers(1, 48))
async def test_the_ledger_matches_the_model_after_every_step(
    db: Database, tenant: Tenant, data: st.DataObject, overdraft: bool, code_hours: int | None
) -> None:
    async def setup(conn: Connection) -> uuid.UUID:
        person = await customer_service.create(conn, tenant.id, CustomerCreate())
        body = WalletCreate(
            kind="credit", allow_overdraft=overdraft, code_lifetime_hours=code_hours
        )
        made = await wallets.create(conn, tenant.id, person.id, body)
        if not await campaigns.live(conn, tenant.id):
            back = CampaignCreate(title="10% back", kind="percent_back", percent=str(PERCENT))
            await campaigns.create(conn, tenant.id, back)
        return made.id

    with clock.use(lambda: T0):
        wallet_id = await run(db, setup, write=True)
    state = Run(db, tenant, wallet_id, Model(overdraft))
    for _ in range(data.draw(st.integers(5, 40), label="steps")):
        state.wrote = False
        await getattr(state, data.draw(STEP, label="step"))(data)
        await state.check()
