-- Unit prices may carry more decimals than the currency (fuel at 1.859 EUR per litre is
-- `"185.9"` minor units): `receipt_lines.unit_price` holds the exact decimal string of minor
-- units, as the API returns it. SQLite cannot change a column's type, so the new column is
-- added, filled, and takes the old one's name; PostgreSQL takes the very same steps, so both
-- schemas stay alike (column order included). The default only exists because SQLite adds
-- a NOT NULL column only with one; Tillroll always writes the price.
ALTER TABLE receipt_lines ADD COLUMN unit_price_exact TEXT NOT NULL DEFAULT '0';
UPDATE receipt_lines SET unit_price_exact = CAST(unit_price AS TEXT);
ALTER TABLE receipt_lines DROP COLUMN unit_price;
ALTER TABLE receipt_lines RENAME COLUMN unit_price_exact TO unit_price;
