"""Spaaza receipts facade at `/compat/spaaza` (seed 001; docs/compat-spaaza.md).

`schemas` holds what Spaaza clients send, `translate` the shapes both ways (money crosses
only there), `endpoints` the routes, Spaaza auth and its error envelope.
"""

from tillroll.compat.spaaza.endpoints import router

__all__ = ["router"]
