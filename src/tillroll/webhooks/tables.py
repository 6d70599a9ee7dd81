"""The webhooks domain's tables: endpoints, messages to deliver, and attempts made."""

from __future__ import annotations

from tillroll.kit.tables import BOOLEAN, INTEGER, TEXT, TIMESTAMPTZ, UUID, Table, col

ENDPOINTS = Table(
    "webhook_endpoints",
    col("merchant_id", UUID),
    col("id", UUID),
    col("url", TEXT),
    col("description", TEXT, null=True),
    col("events", TEXT, json=list[str]),
    col("enabled", BOOLEAN),
    col("secret", TEXT),
    col("previous_secret", TEXT, null=True),
    col("previous_secret_until", TIMESTAMPTZ, null=True),
    col("basic_auth", TEXT, null=True),  # "user:password", for facades (Spaaza)
    col("failing_since", TIMESTAMPTZ, null=True),
    col("disabled_reason", TEXT, null=True),
    col("drain_claim", UUID, null=True),  # the worker delivering to it, until drain_until
    col("drain_until", TIMESTAMPTZ, null=True),
    col("created_at", TIMESTAMPTZ),
    col("updated_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
)

MESSAGES = Table(
    "webhook_messages",
    col("merchant_id", UUID),
    col("endpoint_id", UUID),
    col("event_id", UUID),
    col("attempts", INTEGER),  # a row is a message still to deliver: deleted once delivered
    col("next_attempt_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "endpoint_id", "event_id"),
)

ATTEMPTS = Table(
    "webhook_attempts",
    col("merchant_id", UUID),
    col("id", UUID),
    col("endpoint_id", UUID),
    col("event_id", UUID),
    col("attempt", INTEGER),
    col("status_code", INTEGER, null=True),
    col("duration_ms", INTEGER),
    col("response_body", TEXT, null=True),
    col("error", TEXT, null=True),
    col("created_at", TIMESTAMPTZ),
    primary_key=("merchant_id", "id"),
)
