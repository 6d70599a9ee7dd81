"""The typed Python client of the Tillroll API.

    from tillroll.client import Tillroll

    with Tillroll(base_url="https://receipts.example.com", api_key="tr_sk_...") as client:
        receipt = client.receipts.create(body)
        for receipt in client.receipts.iter(customer_id=customer.id):
            ...

Requests take the API's own msgspec Structs (`tillroll.receipts.schemas.ReceiptCreate`, ...)
or plain dicts; answers are decoded into those Structs. Errors are `TillrollError`s, see
`tillroll.client._exceptions` for the tree. `AsyncTillroll` is the asyncio twin.
"""

from tillroll.client._client import AsyncTillroll, Tillroll
from tillroll.client._exceptions import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequest,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RateLimited,
    ServerError,
    TillrollError,
    UnprocessableEntity,
)

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "AsyncTillroll",
    "AuthenticationError",
    "BadRequest",
    "ConflictError",
    "NotFoundError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "Tillroll",
    "TillrollError",
    "UnprocessableEntity",
]
