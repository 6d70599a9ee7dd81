-- The number of items on a receipt (Σ line quantities, in millionths), for exports.
ALTER TABLE receipts ADD COLUMN items_micro BIGINT NOT NULL DEFAULT 0;
UPDATE receipts SET items_micro = (
    SELECT COALESCE(SUM(l.quantity_micro), 0) FROM receipt_lines l
    WHERE l.merchant_id = receipts.merchant_id AND l.receipt_id = receipts.id
);
