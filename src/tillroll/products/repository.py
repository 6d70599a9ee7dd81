from __future__ import annotations

import uuid
from typing import Any

from tillroll.kit.crud import TableRepository
from tillroll.products.schemas import Product


class ProductRepository(TableRepository[Product]):
    table = "products"
    schema = Product
    json_columns = {"metadata": dict[str, Any]}

    async def is_referenced(self, merchant_id: uuid.UUID, product_id: uuid.UUID) -> bool:
        row = await self.conn.fetchone(
            "SELECT 1 FROM receipt_lines WHERE merchant_id = :m AND product_id = :p LIMIT 1",
            {"m": merchant_id, "p": product_id},
        )
        return row is not None
