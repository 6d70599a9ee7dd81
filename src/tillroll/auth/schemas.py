from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from tillroll.auth.principals import Scope
from tillroll.kit.schemas import Schema


class ApiKey(Schema):
    id: uuid.UUID
    name: str
    prefix: Annotated[str, Meta(description="The first characters of the key, to recognise it.")]
    scopes: list[Scope]
    created_at: datetime
    last_used_at: Annotated[
        datetime | None, Meta(description="Last use, recorded at most once a minute.")
    ]
    revoked_at: datetime | None


class ApiKeyCreate(Schema):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: [Scope.read]
    )


class ApiKeyCreated(ApiKey):
    """The new key. `secret` is shown only in this response: store it now."""

    secret: Annotated[str, Meta(examples=["tr_sk_9fX…"])]


class ShopperSessionCreate(Schema):
    ttl_seconds: Annotated[int, Meta(ge=60, le=86400, description="Lifetime, 1 min to 24 h.")] = (
        3600
    )


class ShopperSessionToken(Schema):
    token: Annotated[str, Meta(description="Send as `Authorization: Bearer <token>`.")]
    customer_id: uuid.UUID
    expires_at: datetime
