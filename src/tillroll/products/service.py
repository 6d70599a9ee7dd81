"""Products: the optional catalogue receipt lines may point at."""

from __future__ import annotations

from tillroll.events.service import EmitsLifecycle
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
    referred_by = "receipt lines"


product = ProductService()
