"""Retail-messaging facade at `/compat/retail-messaging` (seed 004;
docs/compat-retail-messaging.md).

`schemas` holds the four documents as clients send them (numbers as strings, unix-second
timestamps), `translate` maps them onto the native order services (money and time cross only
there), `endpoints` the routes and the facade's error envelope.
"""

from tillroll.compat.retail_messaging.endpoints import router

__all__ = ["router"]
