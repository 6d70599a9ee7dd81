-- The spine: merchants, keys, reference data, purchase receipts, idempotency.
-- Every tenant-owned table leads its primary key and unique constraints with merchant_id
-- (Citus-ready; see docs/scaling.md).

CREATE TABLE merchants (
    id UUID PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings JSONB NOT NULL DEFAULT '{}',
    session_secret TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE counters (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, name)
);

CREATE TABLE api_keys (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id)
);

CREATE TABLE branches (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    address JSONB,
    phone TEXT,
    email TEXT,
    website TEXT,
    timezone TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, code),
    UNIQUE (merchant_id, number)
);

CREATE TABLE customers (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    external_id TEXT,
    member_number TEXT,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone TEXT,
    gender TEXT,
    birthday DATE,
    country TEXT,
    shipping_address JSONB,
    billing_address JSONB,
    registered BOOLEAN NOT NULL,
    send_email_receipt BOOLEAN NOT NULL,
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, number),
    UNIQUE (merchant_id, external_id),
    UNIQUE (merchant_id, member_number)
);

CREATE TABLE products (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    external_id TEXT NOT NULL,
    barcode TEXT,
    name TEXT NOT NULL,
    description TEXT,
    category TEXT,
    brand TEXT,
    image_url TEXT,
    metadata JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, external_id)
);
CREATE INDEX ix_products_barcode ON products (merchant_id, barcode);

CREATE TABLE receipts (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number BIGINT NOT NULL,
    external_id TEXT NOT NULL,
    type TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    branch_id UUID,
    customer_id UUID,
    employee JSONB,
    currency TEXT NOT NULL,
    prices_include_tax BOOLEAN NOT NULL,
    subtotal BIGINT NOT NULL,
    tax_total BIGINT NOT NULL,
    shipping_total BIGINT NOT NULL,
    discount_total BIGINT NOT NULL,
    total BIGINT NOT NULL,
    taxes JSONB NOT NULL,
    payments JSONB NOT NULL,
    discounts JSONB NOT NULL,
    notes TEXT,
    metadata JSONB,
    is_return BOOLEAN NOT NULL,
    body_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    claimed_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, external_id),
    UNIQUE (merchant_id, number),
    FOREIGN KEY (merchant_id, branch_id) REFERENCES branches (merchant_id, id),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE INDEX ix_receipts_issued ON receipts (merchant_id, issued_at, number);
CREATE INDEX ix_receipts_customer ON receipts (merchant_id, customer_id, issued_at, number);
CREATE INDEX ix_receipts_branch ON receipts (merchant_id, branch_id, issued_at, number);

CREATE TABLE receipt_lines (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    line_no INTEGER NOT NULL,
    sku TEXT,
    barcode TEXT,
    product_id UUID,
    name TEXT NOT NULL,
    description TEXT,
    category TEXT,
    quantity TEXT NOT NULL,
    quantity_micro BIGINT NOT NULL,
    unit TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    original_price BIGINT,
    discount BIGINT NOT NULL,
    vouchers BIGINT NOT NULL,
    total BIGINT NOT NULL,
    tax_rate TEXT,
    metadata JSONB,
    return_of_receipt_id UUID,
    return_of_line_no INTEGER,
    PRIMARY KEY (merchant_id, receipt_id, line_no),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id),
    FOREIGN KEY (merchant_id, product_id) REFERENCES products (merchant_id, id)
);
CREATE INDEX ix_receipt_lines_return_of ON receipt_lines
    (merchant_id, return_of_receipt_id, return_of_line_no)
    WHERE return_of_receipt_id IS NOT NULL;

CREATE TABLE idempotency_keys (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    body BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, key)
);
CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
