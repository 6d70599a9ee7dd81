-- Value receipts (issue 10): value metrics, signals, the delivered value stored per signal
-- and metric, value receipts with their lines, and each merchant's embed settings.
CREATE TABLE value_metrics (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    event_name TEXT NOT NULL,
    expression TEXT NOT NULL,
    variables TEXT NOT NULL,
    unit TEXT NOT NULL,
    currency TEXT NOT NULL,
    value_per_unit TEXT,
    description TEXT,
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, slug)
);
CREATE INDEX ix_value_metrics_event ON value_metrics (merchant_id, event_name);

CREATE TABLE value_signals (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    event_name TEXT NOT NULL,
    customer_id UUID NOT NULL,
    external_customer_id TEXT,
    product_id UUID,
    order_id TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    data TEXT,
    idempotency_key TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, idempotency_key),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id),
    FOREIGN KEY (merchant_id, product_id) REFERENCES products (merchant_id, id)
);
CREATE INDEX ix_value_signals_event ON value_signals (merchant_id, event_name, id);
CREATE INDEX ix_value_signals_customer ON value_signals (merchant_id, customer_id, id);

CREATE TABLE value_signal_values (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    signal_id UUID NOT NULL,
    metric_id UUID NOT NULL,
    customer_id UUID NOT NULL,
    product_id UUID,
    order_id TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    day INTEGER NOT NULL,
    quantity_micro BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, signal_id, metric_id),
    FOREIGN KEY (merchant_id, signal_id) REFERENCES value_signals (merchant_id, id),
    FOREIGN KEY (merchant_id, metric_id) REFERENCES value_metrics (merchant_id, id)
);
-- A receipt reads (customer, days) in order and sums without touching the table.
CREATE INDEX ix_value_signal_values_customer
    ON value_signal_values (merchant_id, customer_id, day, metric_id, occurred_at, quantity_micro);
CREATE INDEX ix_value_signal_values_metric ON value_signal_values (merchant_id, metric_id);

CREATE TABLE value_receipts (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    status TEXT NOT NULL,
    customer_id UUID NOT NULL,
    product_id UUID,
    order_id TEXT,
    currency TEXT NOT NULL,
    start_at TIMESTAMPTZ NOT NULL,
    end_at TIMESTAMPTZ NOT NULL,
    total_delivered_value BIGINT NOT NULL,
    series TEXT NOT NULL,
    share_token TEXT NOT NULL,
    is_published BOOLEAN NOT NULL,
    published_at TIMESTAMPTZ,
    publish_expires_at TIMESTAMPTZ,
    archived_at TIMESTAMPTZ,
    sealed_at TIMESTAMPTZ,
    generated_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, share_token),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id),
    FOREIGN KEY (merchant_id, product_id) REFERENCES products (merchant_id, id)
);
CREATE INDEX ix_value_receipts_token ON value_receipts (share_token);
CREATE INDEX ix_value_receipts_customer ON value_receipts (merchant_id, customer_id, start_at);

CREATE TABLE value_receipt_lines (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    receipt_id UUID NOT NULL,
    line_no INTEGER NOT NULL,
    metric_id UUID NOT NULL,
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    occurrences BIGINT NOT NULL,
    quantity_micro BIGINT NOT NULL,
    value BIGINT,
    PRIMARY KEY (merchant_id, receipt_id, line_no),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES value_receipts (merchant_id, id)
);

CREATE TABLE value_embed_settings (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    secret TEXT NOT NULL,
    issuer TEXT NOT NULL,
    audience TEXT,
    ttl_seconds INTEGER NOT NULL,
    login_url TEXT,
    refresh_url TEXT,
    allowed_origins TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id)
);
