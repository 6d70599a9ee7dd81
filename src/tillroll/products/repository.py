from __future__ import annotations

from tillroll.kit.crud import TableRepository
from tillroll.products.schemas import Product
from tillroll.products.tables import PRODUCTS


class ProductRepository(TableRepository[Product]):
    table = PRODUCTS
    schema = Product
