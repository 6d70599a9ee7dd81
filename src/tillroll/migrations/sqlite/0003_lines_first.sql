-- Ingest writes a receipt's lines first and the receipt itself last (the number counter is
-- taken last); on SQLite the lines' reference is deferred per transaction with
-- `PRAGMA defer_foreign_keys`, so only the stored CSV cells change here: they no longer
-- include the receipt number, and `tillroll migrate` renders them again.
UPDATE receipts SET csv_head = NULL, csv_tail = NULL;
-- Every merchant has its receipt counter from the start (ingest numbers receipts in the
-- same statement that inserts them, where it can).
INSERT INTO counters (merchant_id, name, value)
SELECT m.id, 'receipt', (SELECT COALESCE(MAX(r.number), 0) FROM receipts r WHERE r.merchant_id = m.id)
FROM merchants m
WHERE NOT EXISTS (SELECT 1 FROM counters c WHERE c.merchant_id = m.id AND c.name = 'receipt');
