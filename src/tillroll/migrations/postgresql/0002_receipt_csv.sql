-- Export fragments. A receipt is immutable, so its own cells of the CSV export (Spaaza's
-- columns) are rendered once, when it is stored; branch and customer cells are rendered at
-- export time, so they are always current. `tillroll migrate` renders any that are missing.
ALTER TABLE receipts ADD COLUMN csv_head TEXT;
ALTER TABLE receipts ADD COLUMN csv_tail TEXT;
