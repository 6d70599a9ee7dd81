"""BigCommerce B2B Edition invoice-management facade at
`/compat/bigcommerce-b2b/api/v3/io/ip` (seed 003; docs/compat-bigcommerce-b2b.md).

`schemas` holds BC's request and response shapes, `translate` the conversions both ways
(money as `{code, value}` 4-decimal strings crosses only there), `endpoints` the routes, BC
auth headers and BC's `{code, data, meta}` envelope.
"""

from tillroll.compat.bigcommerce.endpoints import BigCommerceAuth, router

__all__ = ["BigCommerceAuth", "router"]
