"""Who is calling: a merchant API key or a shopper session."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from tillroll.kit.http import Access
from tillroll.kit.viewer import Viewer


class Scope(enum.StrEnum):
    """API key scopes. `write` includes `read`; `admin` includes both."""

    read = "read"
    write = "write"
    admin = "admin"


_RANK = {Scope.read: 1, Scope.write: 2, Scope.admin: 3}
_NEEDS = {Access.read: 1, Access.write: 2, Access.admin: 3}


@dataclass(frozen=True, slots=True)
class MerchantKey:
    merchant_id: uuid.UUID
    key_id: uuid.UUID
    scopes: frozenset[Scope]
    last_used_at: datetime | None

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.merchant_id)

    def may(self, access: Access, *, shopper_ok: bool) -> bool:
        return max(_RANK[s] for s in self.scopes) >= _NEEDS[access]


@dataclass(frozen=True, slots=True)
class ShopperSession:
    """A short-lived token a merchant minted for one customer: reads that customer's data."""

    merchant_id: uuid.UUID
    customer_id: uuid.UUID
    expires_at: datetime

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.merchant_id, self.customer_id)

    def may(self, access: Access, *, shopper_ok: bool) -> bool:
        return shopper_ok and access is Access.read
