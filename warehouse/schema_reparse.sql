-- odwatch reparse (flows/reparse.py): a snapshot whose rows were rebuilt from its stored raw
-- pages by a later adapter. Applied after schema.sql by warehouse.store.connect(); idempotent.
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS reparsed_at TIMESTAMPTZ;  -- NULL: rows as harvested
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS reparsed_by VARCHAR;      -- the odwatch version that reparsed it
