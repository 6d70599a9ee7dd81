"""The webhooks domain's I/O shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from tillroll.kit.schemas import Limit, Schema

Url = Annotated[str, Meta(min_length=1, max_length=2000, description="http(s) URL.")]
EventTypes = Annotated[
    list[Annotated[str, Meta(max_length=100)]],
    Meta(min_length=1, max_length=100, description="Event types delivered (docs/events.md)."),
]
Description = Annotated[str, Meta(max_length=500)]


class WebhookEndpoint(Schema):
    id: uuid.UUID
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    failing_since: Annotated[
        datetime | None, Meta(description="Every delivery has failed since then.")
    ]
    disabled_reason: str | None
    previous_secret_until: Annotated[
        datetime | None, Meta(description="Until then the previous secret signs too.")
    ]
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpoint):
    secret: Annotated[str, Meta(description="`whsec_…`: shown only in this response.")]


class WebhookEndpointCreate(Schema):
    url: Url
    events: EventTypes
    description: Description | None = None


class WebhookEndpointUpdate(Schema):
    url: Url | UnsetType = UNSET
    events: EventTypes | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET


class SecretRotation(Schema):
    overlap_seconds: Annotated[
        int, Meta(ge=0, le=7 * 86400, description="How long the old secret still signs.")
    ] = 86400


class Redelivery(Schema):
    """Deliver one event again, or every subscribed event created since a time."""

    event_id: uuid.UUID | None = None
    since: datetime | None = None


class Redelivered(Schema):
    queued: Annotated[int, Meta(description="Messages queued for delivery.")]


class DeliveryAttempt(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    attempt: int
    status_code: int | None
    duration_ms: int
    response_body: Annotated[str | None, Meta(description="The first 1,000 characters.")]
    error: str | None
    created_at: datetime


class AttemptQuery(Schema):
    limit: Limit = 50
    cursor: str | None = None
