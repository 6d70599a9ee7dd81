-- Paid orders, owned by the Paid facade (compat/paid): a customer's contract with product
-- lines, the scope a value receipt's `orderId` names. Billing (invoices, amounts) is not kept.
CREATE TABLE paid_orders (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number BIGINT NOT NULL,
    customer_id UUID NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT,
    creation_state TEXT NOT NULL,
    start_date TIMESTAMPTZ NOT NULL,
    end_date TIMESTAMPTZ,
    subscription_terms BIGINT,
    payment_terms TEXT,
    purchase_order_reference TEXT,
    metadata JSONB,
    lines JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, external_id),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE INDEX ix_paid_orders_customer ON paid_orders (merchant_id, customer_id, id);
