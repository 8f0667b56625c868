-- Incremental harvests and scheduling. Applied after schema.sql by warehouse.store.connect();
-- idempotent. Runs written before this file existed have mode NULL and count as full.
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS mode VARCHAR;  -- full | incremental
-- incremental: how many datasets were fetched as changed / carried forward unchanged
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS changed_count BIGINT;
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS carried_count BIGINT;
-- the newest CKAN metadata_modified in the snapshot (raw string): where the next incremental
-- harvest starts asking for changes
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS max_modified VARCHAR;
-- the Prefect flow run whose attempt imported this run (scheduled harvests; NULL otherwise):
-- a flow run put back to the pool after it landed (a heartbeat that arrived late made it
-- look lost) finds its snapshot here and does not harvest the portal a second time
ALTER TABLE harvest_runs ADD COLUMN IF NOT EXISTS flow_run_id VARCHAR;
