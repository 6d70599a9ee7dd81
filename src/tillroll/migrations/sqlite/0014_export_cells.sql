-- The native export.csv renders a receipt's own cells (`id` … `branch_id`: a receipt never
-- changes) once, at ingest, instead of per row per export. Receipts stored before this are
-- rendered by `tillroll migrate` (its data upgrades), and rendered per export until then.
ALTER TABLE receipts ADD COLUMN csv_cells TEXT;
