"""Campaign endpoints: CRUD (`kit.resource`) and archive; the rules are in `campaigns`."""

from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.resource import crud_endpoints
from tillroll.wallets import earning, vouchers  # noqa: F401  (register the receipt listeners)
from tillroll.wallets.campaign_schemas import Campaign
from tillroll.wallets.campaigns import campaign as campaign_service

router = Router("/v1/campaigns", tag="campaigns")
crud_endpoints(router, campaign_service)


@router.post("/{campaign_id}/archive", access=Access.write, idempotent=True, errors=(404,))
async def archive(call: Call, campaign_id: uuid.UUID) -> Campaign:
    """Stop a campaign earning; what it earned stays (and returns still claw it back)."""
    return await campaign_service.archive(call.conn, call.principal.merchant_id, campaign_id)
