-- B2B payments, the BigCommerce facade's gaps (issue 12):
-- * payments.funding_status (BC's `fundingStatus` 0-3) and payments.channel_id (BC's
--   `channelId`, the storefront channel an offline payment was recorded for);
-- * an index on lines' payer_customer_id (the facade's search of every field names it);
-- * customer_ref on receipts and lines: the customer's reference as BC shows `customerId`
--   (its external id, else its number), so a list sorts by that text. Kept current by the
--   b2b listener of `customer.updated`.
ALTER TABLE payments ADD COLUMN funding_status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN channel_id INTEGER;
ALTER TABLE payment_receipts ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE payment_receipt_lines ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
UPDATE payment_receipts SET customer_ref = COALESCE((
    SELECT COALESCE(c.external_id, CAST(c.number AS TEXT)) FROM customers c
    WHERE c.merchant_id = payment_receipts.merchant_id AND c.id = payment_receipts.customer_id
), '');
UPDATE payment_receipt_lines SET customer_ref = COALESCE((
    SELECT COALESCE(c.external_id, CAST(c.number AS TEXT)) FROM customers c
    WHERE c.merchant_id = payment_receipt_lines.merchant_id
    AND c.id = payment_receipt_lines.customer_id
), '');
CREATE INDEX ix_payment_receipts_customer_ref
    ON payment_receipts (merchant_id, customer_ref, number);
CREATE INDEX ix_payment_receipt_lines_customer_ref
    ON payment_receipt_lines (merchant_id, customer_ref, number);
CREATE INDEX ix_payment_receipt_lines_payer_customer
    ON payment_receipt_lines (merchant_id, payer_customer_id);
