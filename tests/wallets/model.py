"""An independent, pure-Python model of a wallet's lots, for the property-based test.

It restates the rules plainly, sharing no code with `tillroll.wallets`: lots valid on
[granted_at, expires_at), debits draw soonest expiry first (never-expiring last) then oldest,
an overdraft is a debt the next credits pay first, a code holds what it drew and gives it
back when cancelled or lapsed, a reversal gives a debit's draws back, a return restores its
pro-rata share of a code its receipt used into the code's draws, in draw order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class MLot:
    key: str  # the id of the entry that granted it
    amount: int
    remaining: int
    granted_at: datetime
    expires_at: datetime | None
    order: int

    def live(self, t: datetime) -> bool:
        return self.expires_at is None or t < self.expires_at


@dataclass
class MCode:
    code: str
    amount: int
    draws: dict[int, int]
    expires_at: datetime | None
    status: str = "active"


@dataclass
class MSale:
    """A receipt that earned: `quantity` bought, `earned`, and how much returns took back."""

    quantity: int
    earned: int
    returned: int = 0
    clawed: int = 0
    voucher: MCode | None = None  # the code the receipt consumed
    restored: int = 0


@dataclass
class Model:
    overdraft: bool
    lots: list[MLot] = field(default_factory=list)
    debt: int = 0
    debits: dict[str, tuple[dict[int, int], int]] = field(default_factory=dict)
    reversed: set[str] = field(default_factory=set)
    code: MCode | None = None
    sales: dict[str, MSale] = field(default_factory=dict)

    def available(self, t: datetime) -> int:
        return sum(lot.remaining for lot in self.lots if lot.live(t))

    def balance(self, t: datetime) -> int:
        return self.available(t) - self.debt

    def held(self) -> int:
        return self.code.amount if self.code else 0

    def held_live(self, t: datetime) -> int:
        """What the active code's hold gives back usable at `t` (a lot expired meanwhile
        comes back expired)."""
        if self.code is None:
            return 0
        return sum(a for order, a in self.code.draws.items() if self.lots[order].live(t))

    def settle(self, t: datetime) -> None:
        """A lapsed code gives its hold back (whenever it is noticed: the effect is the same)."""
        if self.code and self.code.expires_at is not None and self.code.expires_at <= t:
            self._give_back(self.code.draws)
            self.code = None

    def grant(self, key: str, amount: int, t: datetime, expires_at: datetime | None) -> None:
        pay = min(self.debt, amount)
        self.debt -= pay
        self.lots.append(MLot(key, amount, amount - pay, t, expires_at, len(self.lots)))

    def can_take(self, amount: int, t: datetime, overdraft: bool) -> bool:
        return overdraft or amount <= self.available(t)

    def take(self, amount: int, t: datetime) -> tuple[dict[int, int], int]:
        """Draw `amount`: (lot index → amount drawn, the part left as debt)."""
        order = sorted(
            (lot for lot in self.lots if lot.live(t) and lot.remaining > 0),
            key=lambda lot: (
                lot.expires_at is None,
                lot.expires_at or t,
                lot.granted_at,
                lot.order,
            ),
        )
        draws: dict[int, int] = {}
        left = amount
        for lot in order:
            step = min(left, lot.remaining)
            if step:
                lot.remaining -= step
                draws[lot.order] = step
                left -= step
        self.debt += left
        return draws, left

    def _give_back(self, draws: dict[int, int]) -> None:
        for order, amount in draws.items():
            self.lots[order].remaining += amount

    def reverse(self, key: str, new_key: str, t: datetime) -> None:
        draws, unbacked = self.debits[key]
        self._give_back(draws)
        paid = min(self.debt, unbacked)
        self.debt -= paid
        if unbacked > paid:
            rest = unbacked - paid
            self.lots.append(MLot(new_key, rest, rest, t, None, len(self.lots)))
        self.reversed.add(key)

    def clawback(self, sale: str, quantity: int) -> int:
        """A return of `quantity` of `sale` takes back its pro-rata part of the earn (floored
        on the running total returned), drawn like a debit that may go into debt."""
        s = self.sales[sale]
        s.returned += quantity
        due = s.earned * s.returned // s.quantity - s.clawed
        s.clawed += due
        return due

    def restore(self, sale: str) -> None:
        """After a return: the code the sale used gives back `amount × returned ÷ bought`
        (floored) minus what earlier returns restored, filling its draws in draw order."""
        s = self.sales[sale]
        if s.voucher is None:
            return
        target = s.voucher.amount * s.returned // s.quantity
        start, end, at = s.restored, target, 0
        for order, amount in s.voucher.draws.items():  # in draw order
            part = min(at + amount, end) - max(at, start)
            at += amount
            if part > 0:
                self.lots[order].remaining += part
        s.restored = target
