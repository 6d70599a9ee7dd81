from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page
from tillroll.products.schemas import Product, ProductCreate, ProductUpdate
from tillroll.products.service import product as product_service

router = Router("/v1/products", tag="products")


@router.post("", access=Access.write, status=201, idempotent=True, errors=(409, 422))
async def create(call: Call, body: ProductCreate) -> Product:
    """Add a product to the catalogue."""
    return await product_service.create(call.conn, call.principal.merchant_id, body)


@router.get("", access=Access.read)
async def list_products(call: Call, query: ListQuery) -> Page[Product]:
    """List products, oldest first."""
    return await product_service.list(
        call.conn, call.principal.merchant_id, query.cursor, query.limit
    )


@router.get("/{product_id}", access=Access.read, errors=(404,))
async def get(call: Call, product_id: uuid.UUID) -> Product:
    """Get one product."""
    return await product_service.get(call.conn, call.principal.merchant_id, product_id)


@router.patch("/{product_id}", access=Access.write, errors=(404, 409, 422))
async def update(call: Call, product_id: uuid.UUID, body: ProductUpdate) -> Product:
    """Change a product."""
    return await product_service.update(call.conn, call.principal.merchant_id, product_id, body)


@router.delete("/{product_id}", access=Access.admin, errors=(404, 409))
async def delete(call: Call, product_id: uuid.UUID) -> None:
    """Delete a product no receipt line points at."""
    await product_service.delete(call.conn, call.principal.merchant_id, product_id)
