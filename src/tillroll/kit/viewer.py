"""What a caller may see, decided once per request from its credential."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    """One merchant's data, or, for a shopper session, only one customer's within it.

    The router derives it from the principal; services that a shopper may call take it in
    place of a bare merchant id and narrow their reads with `customer_filter` and `sees`.
    """

    merchant_id: uuid.UUID
    customer_id: uuid.UUID | None = None  # set for a shopper session

    @property
    def is_shopper(self) -> bool:
        return self.customer_id is not None

    def sees(self, owner: uuid.UUID | None) -> bool:
        """Whether a row belonging to customer `owner` (None: anonymous) is visible."""
        return self.customer_id is None or owner == self.customer_id

    def customer_filter(self, asked: uuid.UUID | None) -> tuple[bool, uuid.UUID | None]:
        """(anything visible, customer to filter by) for a query that asked for `asked`.

        A merchant gets what it asked; a shopper always its own customer, and nothing when
        it asked for another.
        """
        if self.customer_id is None:
            return True, asked
        return asked in (None, self.customer_id), self.customer_id
