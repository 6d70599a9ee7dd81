-- Issue 11: online receipts carry an order (its details, per-item quantities, revisions,
-- shipments with their tracking timeline) and products a back-in-stock list. The order
-- status is derived by the orders domain and kept on the receipt (`receipts.order_status`)
-- so receipt lists and exports filter on it.
ALTER TABLE receipts ADD COLUMN order_status TEXT;
CREATE INDEX receipts_order_status ON receipts (merchant_id, order_status, issued_at);

CREATE TABLE orders (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    status TEXT NOT NULL,
    account_holder_name TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    shipping_address TEXT NOT NULL,
    shipping_method TEXT,
    payment_method TEXT,
    order_url TEXT,
    cancellation_url TEXT,
    revision INTEGER NOT NULL,
    subtotal BIGINT NOT NULL,
    shipping_total BIGINT NOT NULL,
    tax_total BIGINT NOT NULL,
    total BIGINT NOT NULL,
    body_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id)
);

CREATE TABLE order_items (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    line_no INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    ordered BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    shipped BIGINT NOT NULL,
    item_url TEXT,
    thumb_url TEXT,
    metadata TEXT,
    PRIMARY KEY (merchant_id, receipt_id, line_no),
    UNIQUE (merchant_id, receipt_id, item_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES orders (merchant_id, receipt_id)
);

CREATE TABLE order_revisions (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    revision INTEGER NOT NULL,
    update_id TEXT,
    update_type TEXT NOT NULL,
    changes TEXT NOT NULL,
    totals_before TEXT,
    totals_after TEXT NOT NULL,
    actor TEXT NOT NULL,
    happened_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    body_hash TEXT NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id, revision),
    UNIQUE (merchant_id, receipt_id, update_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES orders (merchant_id, receipt_id)
);

CREATE TABLE shipments (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    carrier TEXT NOT NULL,
    tracking_number TEXT,
    tracking_url TEXT,
    items TEXT NOT NULL,
    ship_date TIMESTAMPTZ NOT NULL,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    weight TEXT NOT NULL,
    weight_unit TEXT NOT NULL,
    status TEXT NOT NULL,
    status_at TIMESTAMPTZ NOT NULL,
    delivered_at TIMESTAMPTZ,
    body_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES orders (merchant_id, receipt_id)
);
CREATE INDEX shipments_receipt ON shipments (merchant_id, receipt_id, created_at);

CREATE TABLE shipment_events (
    merchant_id UUID NOT NULL,
    shipment_id UUID NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    raw_text TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, shipment_id, seq),
    FOREIGN KEY (merchant_id, shipment_id) REFERENCES shipments (merchant_id, id)
);

-- Back in stock: a product's availability, the subscribers waiting for it (one open
-- subscription per subscriber and product: `open_key` is the subscriber while open, NULL once
-- notified or cancelled), and the landing URL a merchant sends them to.
ALTER TABLE products ADD COLUMN available BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TABLE stock_subscriptions (
    merchant_id UUID NOT NULL,
    id UUID NOT NULL,
    product_id UUID NOT NULL,
    customer_id UUID,
    email TEXT,
    open_key TEXT,
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, product_id, open_key),
    FOREIGN KEY (merchant_id, product_id) REFERENCES products (merchant_id, id),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE INDEX stock_subscriptions_waiting ON stock_subscriptions (merchant_id, product_id, status, id);

CREATE TABLE stock_settings (
    merchant_id UUID NOT NULL,
    landing_url TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id),
    FOREIGN KEY (merchant_id) REFERENCES merchants (id)
);
