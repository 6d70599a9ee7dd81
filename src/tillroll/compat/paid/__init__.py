"""Paid-compatible API at `/compat/paid/api/v2` (seed 000; docs/paid.md), driven in the tests
by the official `paid-python` client: `schemas` holds Paid's shapes, `translate` the
conversions both ways, `endpoints` the routes and Paid's error envelope, `orders` Paid's
orders on the facade's own table."""

from tillroll.compat.paid import orders  # registers the order routes
from tillroll.compat.paid.endpoints import router

__all__ = ["orders", "router"]
