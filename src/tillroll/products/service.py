"""Products: the optional catalogue receipt lines may point at."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tillroll.events.service import EmitsLifecycle
from tillroll.kit.db import Connection
from tillroll.kit.resource import Resource
from tillroll.products.events import PRODUCT_EVENTS
from tillroll.products.repository import ProductRepository
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate


class ProductService(EmitsLifecycle, Resource[Product, ProductCreate, ProductUpdate]):
    noun = "product"
    events = PRODUCT_EVENTS
    repository = ProductRepository
    create_schema = ProductCreate
    update_schema = ProductUpdate
    unique = ("external_id",)
    label = "external_id"

    async def update(
        self,
        conn: Connection,
        merchant_id: uuid.UUID,
        object_id: uuid.UUID,
        update: ProductUpdate,
        note: Any = None,
    ) -> Product:
        """Change a product; one that comes back in stock is handed to the ON_RESTOCK
        listeners in the same transaction, with the caller's `note` about it (opaque here)."""
        before = await self.get(conn, merchant_id, object_id)
        after = await super().update(conn, merchant_id, object_id, update)
        if after.available and not before.available:
            for listener in ON_RESTOCK:
                await listener(conn, merchant_id, after, note)
        return after


Listener = Callable[[Connection, uuid.UUID, Product, Any], Awaitable[None]]
ON_RESTOCK: list[Listener] = []
"""Called when a product's availability turns on (back-in-stock notifications register here)."""


product = ProductService()
