"""Products: the optional catalogue receipt lines may point at."""

from __future__ import annotations

from tillroll.kit.resource import Resource
from tillroll.products.repository import ProductRepository
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate


class ProductService(Resource[Product, ProductCreate, ProductUpdate]):
    noun = "product"
    repository = ProductRepository
    create_schema = ProductCreate
    update_schema = ProductUpdate
    unique = ("external_id",)
    label = "external_id"
    referred_by = "receipt lines"


product = ProductService()
