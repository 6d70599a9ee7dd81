-- B2B payments, the BigCommerce facade's payment list (issue 12): the company each payment
-- is for, as its receipts and lines keep it, so payments sort and search by it:
-- * customer_ref: the customer's external id, else its number (BC's `customerId`);
-- * customer_name: its first and last name (BC's `customerName`, a company's name).
-- Both kept current by the b2b listener of `customer.updated`.
ALTER TABLE payments ADD COLUMN customer_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';
UPDATE payments SET
    customer_ref = COALESCE((
        SELECT COALESCE(c.external_id, CAST(c.number AS TEXT)) FROM customers c
        WHERE c.merchant_id = payments.merchant_id AND c.id = payments.customer_id
    ), ''),
    customer_name = COALESCE((
        SELECT TRIM(COALESCE(c.first_name, '') || ' ' || COALESCE(c.last_name, ''))
        FROM customers c
        WHERE c.merchant_id = payments.merchant_id AND c.id = payments.customer_id
    ), '');
CREATE INDEX ix_payments_customer_ref ON payments (merchant_id, customer_ref, number);
CREATE INDEX ix_payments_customer_name ON payments (merchant_id, customer_name);
