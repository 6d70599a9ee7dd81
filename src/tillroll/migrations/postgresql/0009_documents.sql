-- Receipt documents (tillroll.documents): a merchant's branding, the rendered HTML/PDF cache
-- and the e-mail state of each receipt.
CREATE TABLE document_branding (
    merchant_id UUID PRIMARY KEY REFERENCES merchants (id),
    logo_svg TEXT,
    primary_color TEXT NOT NULL,
    background_color TEXT NOT NULL,
    footer_text TEXT,
    email_subject TEXT NOT NULL,
    language TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- One rendering per receipt and variant (format, size, language); `digest` is the hash of
-- the view model it was rendered from, so a later revision or branding renders anew.
CREATE TABLE receipt_renders (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    variant TEXT NOT NULL,
    digest TEXT NOT NULL,
    content BYTEA NOT NULL,
    rendered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id, variant),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id)
);

-- The e-mail of a receipt: queued, sent or failed (with the last error).
CREATE TABLE receipt_emails (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    status TEXT NOT NULL,
    recipient TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    updated_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    PRIMARY KEY (merchant_id, receipt_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id)
);
