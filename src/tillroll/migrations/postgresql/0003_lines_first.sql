-- Ingest writes a receipt's lines first and the receipt itself last, right after taking the
-- merchant's number counter, so the counter's row lock is held as briefly as possible: the
-- lines' reference to their receipt is checked at commit.
ALTER TABLE receipt_lines ALTER CONSTRAINT receipt_lines_merchant_id_receipt_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
-- The stored CSV cells no longer include the receipt number (it is allocated last):
-- `tillroll migrate` renders them again.
UPDATE receipts SET csv_head = NULL, csv_tail = NULL;
-- Every merchant has its receipt counter from the start (ingest numbers receipts in the
-- same statement that inserts them, where it can).
INSERT INTO counters (merchant_id, name, value)
SELECT m.id, 'receipt', (SELECT COALESCE(MAX(r.number), 0) FROM receipts r WHERE r.merchant_id = m.id)
FROM merchants m
WHERE NOT EXISTS (SELECT 1 FROM counters c WHERE c.merchant_id = m.id AND c.name = 'receipt');
