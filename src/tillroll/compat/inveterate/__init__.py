"""Inveterate credits facade at `/compat/inveterate` (seed 002; docs/compat-inveterate.md).

The legacy public API (`/customers/credits`, `/redemption-discount-code`) and Public API 2.0
(`/v2.0/admin/members/{id}/credits`, `/v2.0/storefront/members/{id}/credits/redemption`),
over the native wallets. `customerId` is the customer's `external_id`; amounts are in the
wallet currency's major units (`5` = 5.00).
"""

from tillroll.compat.inveterate.endpoints import ApiKeyHeader, router

__all__ = ["ApiKeyHeader", "router"]
