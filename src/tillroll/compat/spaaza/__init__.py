"""Spaaza receipts facade at `/compat/spaaza` (seed 001; docs/compat-spaaza.md).

`schemas` holds what Spaaza clients send, `translate` the shapes both ways (money crosses
only there), `endpoints` the routes, Spaaza auth and its error envelope, `webhook` the
chain's receipt webhook.
"""

from tillroll.compat.spaaza import webhook  # noqa: F401  (its routes and job kind)
from tillroll.compat.spaaza.endpoints import router

__all__ = ["router"]
