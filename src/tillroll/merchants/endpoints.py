from __future__ import annotations

from tillroll.kit.http import Access, Call, Router
from tillroll.merchants.schemas import Merchant, MerchantSettingsUpdate
from tillroll.merchants.service import merchant as merchant_service

router = Router("/v1/merchant", tag="merchant")


@router.get("", access=Access.read)
async def get(call: Call) -> Merchant:
    """The caller's merchant and its settings."""
    return await merchant_service.get(call.conn, call.principal.merchant_id)


@router.patch("", access=Access.admin, errors=(422,))
async def update(call: Call, body: MerchantSettingsUpdate) -> Merchant:
    """Change the merchant's name or settings (admin)."""
    return await merchant_service.update(call.conn, call.principal.merchant_id, body)
