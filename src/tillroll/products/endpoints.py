"""Products: create, list, get, change, delete (`kit.resource`)."""

from __future__ import annotations

from tillroll.kit.http import Router
from tillroll.kit.resource import crud_endpoints
from tillroll.products.service import product

router = Router("/v1/products", tag="products")
crud_endpoints(router, product)
