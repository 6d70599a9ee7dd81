-- The native core knows no facade: the Spaaza CSV cells a receipt renders once (its own
-- 27-column cells, see compat/spaaza/) move out of `receipts` into a table the facade owns,
-- filled while receipts are stored. Cells already rendered are kept; `tillroll migrate`
-- renders any that are missing.
CREATE TABLE spaaza_receipt_cells (
    merchant_id UUID NOT NULL,
    receipt_id UUID NOT NULL,
    head TEXT NOT NULL,
    tail TEXT NOT NULL,
    PRIMARY KEY (merchant_id, receipt_id),
    FOREIGN KEY (merchant_id, receipt_id) REFERENCES receipts (merchant_id, id)
);
INSERT INTO spaaza_receipt_cells (merchant_id, receipt_id, head, tail)
SELECT merchant_id, id, csv_head, csv_tail FROM receipts WHERE csv_head IS NOT NULL;
ALTER TABLE receipts DROP COLUMN csv_head;
ALTER TABLE receipts DROP COLUMN csv_tail;
