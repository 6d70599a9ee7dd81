-- Webhooks (tillroll.webhooks): endpoints, one message per (endpoint, event) still to
-- deliver (deleted once delivered; delivered in event order), and the log of every attempt.
CREATE TABLE webhook_endpoints (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    events TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMPTZ,
    basic_auth TEXT,
    failing_since TIMESTAMPTZ,
    disabled_reason TEXT,
    drain_claim UUID,
    drain_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id)
);

CREATE TABLE webhook_messages (
    merchant_id UUID NOT NULL,
    endpoint_id UUID NOT NULL,
    event_id UUID NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, endpoint_id, event_id),
    FOREIGN KEY (merchant_id, endpoint_id) REFERENCES webhook_endpoints (merchant_id, id),
    FOREIGN KEY (merchant_id, event_id) REFERENCES events (merchant_id, id)
);

CREATE TABLE webhook_attempts (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    endpoint_id UUID NOT NULL,
    event_id UUID NOT NULL,
    attempt INTEGER NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    response_body TEXT,
    error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    FOREIGN KEY (merchant_id, endpoint_id) REFERENCES webhook_endpoints (merchant_id, id)
);
CREATE INDEX ix_webhook_attempts_endpoint ON webhook_attempts (merchant_id, endpoint_id, id);
