from __future__ import annotations

from typing import Any

from tillroll.kit.crud import TableRepository
from tillroll.products.schemas import Product


class ProductRepository(TableRepository[Product]):
    table = "products"
    schema = Product
    json_columns = {"metadata": dict[str, Any]}
