"""The webhook events."""

from __future__ import annotations

from tillroll.events.catalog import EventType
from tillroll.webhooks.schemas import WebhookEndpoint

ENDPOINT_DISABLED = EventType(
    "webhook_endpoint.disabled",
    WebhookEndpoint,
    "An endpoint was disabled after its deliveries failed for too long.",
)
