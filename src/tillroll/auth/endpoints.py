from __future__ import annotations

import uuid

from tillroll.auth.schemas import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ShopperSessionCreate,
    ShopperSessionToken,
)
from tillroll.auth.service import auth as auth_service
from tillroll.customers.service import customer as customer_service
from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page

keys = Router("/v1/keys", tag="keys")
sessions = Router("/v1/customers", tag="shopper sessions")


@keys.post("", access=Access.admin, status=201, errors=(422,))
async def create_key(call: Call, body: ApiKeyCreate) -> ApiKeyCreated:
    """Create an API key; its secret is shown only in this response."""
    return await auth_service.create_key(call.conn, call.principal.merchant_id, body)


@keys.get("", access=Access.admin, errors=(422,))
async def list_keys(call: Call, query: ListQuery) -> Page[ApiKey]:
    """One page of the merchant's API keys, oldest first (never their secrets)."""
    return await auth_service.page_keys(call.conn, call.principal.merchant_id, query)


@keys.delete("/{key_id}", access=Access.admin, errors=(404,))
async def revoke_key(call: Call, key_id: uuid.UUID) -> ApiKey:
    """Revoke an API key; it is refused from the next request on."""
    return await auth_service.revoke_key(call.conn, call.principal.merchant_id, key_id)


@sessions.post("/{customer_id}/sessions", access=Access.write, status=201, errors=(404,))
async def create_session(
    call: Call, customer_id: uuid.UUID, body: ShopperSessionCreate
) -> ShopperSessionToken:
    """Mint a short-lived token that reads only this customer's receipts."""
    merchant_id = call.principal.merchant_id
    await customer_service.get(call.conn, merchant_id, customer_id)
    return await auth_service.mint_session(call.conn, merchant_id, customer_id, body.ttl_seconds)
