-- Receipt documents, issue 13: revoking one receipt's signed links, and pre-rendering the
-- PDF of every issued receipt when the merchant asks for it.

-- A receipt's link generation (no row: 0). A link signs the generation it was issued
-- with; revoking bumps it, so every earlier link of that receipt stops working.
CREATE TABLE receipt_links (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    generation INTEGER NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id)
);

ALTER TABLE document_branding ADD COLUMN prerender_pdf BOOLEAN NOT NULL DEFAULT FALSE;
