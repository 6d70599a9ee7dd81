from __future__ import annotations

import uuid

from tillroll.kit.http import Access, Call, Router
from tillroll.kit.schemas import ListQuery, Page
from tillroll.webhooks import delivery as delivery  # registers the delivery job's handler
from tillroll.webhooks.schemas import (
    AttemptQuery,
    DeliveryAttempt,
    Redelivered,
    Redelivery,
    SecretRotation,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointUpdate,
)
from tillroll.webhooks.service import webhooks

router = Router("/v1/webhook-endpoints", tag="webhooks")


@router.post("", access=Access.admin, status=201, idempotent=True, errors=(422,))
async def create_endpoint(call: Call, body: WebhookEndpointCreate) -> WebhookEndpointCreated:
    """Subscribe a URL to event types; the signing secret is shown only in this response."""
    merchant_id, dev = call.principal.merchant_id, bool(call.settings.dev_mode)
    return await webhooks.create(call.conn, merchant_id, body, dev_mode=dev)


@router.get("", access=Access.admin, errors=(422,))
async def list_endpoints(call: Call, query: ListQuery) -> Page[WebhookEndpoint]:
    """The merchant's webhook endpoints, oldest first (never their secrets)."""
    return await webhooks.list(call.conn, call.principal.merchant_id, query)


@router.get("/{endpoint_id}", access=Access.admin, errors=(404,))
async def get_endpoint(call: Call, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """Get one webhook endpoint."""
    return await webhooks.get(call.conn, call.principal.merchant_id, endpoint_id)


@router.patch("/{endpoint_id}", access=Access.admin, errors=(404, 422))
async def update_endpoint(
    call: Call, endpoint_id: uuid.UUID, body: WebhookEndpointUpdate
) -> WebhookEndpoint:
    """Change the URL, the event types, the description, or enable / disable it."""
    merchant_id, dev = call.principal.merchant_id, bool(call.settings.dev_mode)
    return await webhooks.update(call.conn, merchant_id, endpoint_id, body, dev_mode=dev)


@router.delete("/{endpoint_id}", access=Access.admin, status=204, errors=(404,))
async def delete_endpoint(call: Call, endpoint_id: uuid.UUID) -> None:
    """Delete the endpoint, its queued messages and its delivery log."""
    await webhooks.delete(call.conn, call.principal.merchant_id, endpoint_id)


@router.post("/{endpoint_id}/rotate-secret", access=Access.admin, errors=(404, 422))
async def rotate_secret(
    call: Call, endpoint_id: uuid.UUID, body: SecretRotation
) -> WebhookEndpointCreated:
    """A new secret (shown once); the old one also signs for `overlap_seconds`."""
    return await webhooks.rotate(call.conn, call.principal.merchant_id, endpoint_id, body)


@router.post("/{endpoint_id}/redeliver", access=Access.admin, errors=(404, 422))
async def redeliver(call: Call, endpoint_id: uuid.UUID, body: Redelivery) -> Redelivered:
    """Deliver one event again (`event_id`), or every subscribed event since a time."""
    return await webhooks.redeliver(call.conn, call.principal.merchant_id, endpoint_id, body)


@router.get("/{endpoint_id}/attempts", access=Access.admin, errors=(404, 422))
async def list_attempts(
    call: Call, endpoint_id: uuid.UUID, query: AttemptQuery
) -> Page[DeliveryAttempt]:
    """The delivery log: every attempt, newest first, with status, duration, response."""
    return await webhooks.attempts(call.conn, call.principal.merchant_id, endpoint_id, query)
