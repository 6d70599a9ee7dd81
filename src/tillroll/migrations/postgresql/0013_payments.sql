-- B2B invoices, the payments allocated across them, the payment receipts and receipt lines
-- a payment creates (one line per invoice paid), and the audit trail of every change
-- (src/tillroll/b2b/). Receipts and lines copy the payment's descriptive fields, so that
-- search and sort over a million lines read one table through its own indexes.
CREATE TABLE invoices (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    invoice_number TEXT NOT NULL,
    customer_id UUID NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    open_balance BIGINT NOT NULL,
    due_date DATE,
    external_id TEXT,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, number),
    UNIQUE (merchant_id, invoice_number),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE INDEX ix_invoices_customer ON invoices (merchant_id, customer_id, number);

CREATE TABLE payments (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    customer_id UUID NOT NULL,
    payer_name TEXT NOT NULL,
    payer_customer_id UUID,
    payment_type TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    memo TEXT NOT NULL,
    external_id TEXT,
    external_customer_id TEXT,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    processing_status INTEGER NOT NULL,
    applied BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, number),
    FOREIGN KEY (merchant_id, customer_id) REFERENCES customers (merchant_id, id)
);
CREATE INDEX ix_payments_created ON payments (merchant_id, created_at, number);

CREATE TABLE payment_receipts (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    payment_id UUID NOT NULL,
    payment_number INTEGER NOT NULL,
    customer_id UUID NOT NULL,
    payer_name TEXT NOT NULL,
    payer_customer_id UUID,
    payment_type TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    memo TEXT NOT NULL,
    external_id TEXT,
    external_customer_id TEXT,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    payment_status INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, number),
    UNIQUE (merchant_id, payment_id),
    FOREIGN KEY (merchant_id, payment_id) REFERENCES payments (merchant_id, id)
);
CREATE INDEX ix_payment_receipts_created ON payment_receipts (merchant_id, created_at, number);
CREATE INDEX ix_payment_receipts_payer ON payment_receipts (merchant_id, payer_name);
CREATE INDEX ix_payment_receipts_reference ON payment_receipts (merchant_id, reference_number);

CREATE TABLE payment_receipt_lines (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    number INTEGER NOT NULL,
    receipt_id UUID NOT NULL,
    receipt_number INTEGER NOT NULL,
    payment_id UUID NOT NULL,
    payment_number INTEGER NOT NULL,
    invoice_id UUID NOT NULL,
    invoice_seq INTEGER NOT NULL,
    invoice_number TEXT NOT NULL,
    customer_id UUID NOT NULL,
    payer_name TEXT NOT NULL,
    payer_customer_id UUID,
    payment_type TEXT NOT NULL,
    reference_number TEXT NOT NULL,
    transaction_type TEXT NOT NULL,
    external_id TEXT,
    external_customer_id TEXT,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    payment_status INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, id),
    UNIQUE (merchant_id, number),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES payment_receipts (merchant_id, id),
    FOREIGN KEY (merchant_id, invoice_id) REFERENCES invoices (merchant_id, id)
);
CREATE INDEX ix_payment_receipt_lines_created ON payment_receipt_lines (merchant_id, created_at, number);
CREATE INDEX ix_payment_receipt_lines_receipt ON payment_receipt_lines (merchant_id, receipt_id, number);
CREATE INDEX ix_payment_receipt_lines_invoice ON payment_receipt_lines (merchant_id, invoice_id, number);
CREATE INDEX ix_payment_receipt_lines_customer ON payment_receipt_lines (merchant_id, customer_id, number);
CREATE INDEX ix_payment_receipt_lines_payer ON payment_receipt_lines (merchant_id, payer_name);
CREATE INDEX ix_payment_receipt_lines_reference ON payment_receipt_lines (merchant_id, reference_number);
CREATE INDEX ix_payment_receipt_lines_external ON payment_receipt_lines (merchant_id, external_id);
CREATE INDEX ix_payment_receipt_lines_external_customer
    ON payment_receipt_lines (merchant_id, external_customer_id);

CREATE TABLE payment_audit (
    merchant_id UUID NOT NULL REFERENCES merchants (id),
    id UUID NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id UUID NOT NULL,
    changes JSONB NOT NULL,
    PRIMARY KEY (merchant_id, id)
);
CREATE INDEX ix_payment_audit_object ON payment_audit (merchant_id, object_id, id);
