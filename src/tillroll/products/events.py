"""The product events: `product.created`, `product.updated`, `product.deleted`."""

from __future__ import annotations

from tillroll.events.catalog import lifecycle
from tillroll.products.schemas import Product

PRODUCT_EVENTS = lifecycle("product", Product)
