-- odwatch warehouse schema (DuckDB). Applied idempotently by warehouse.store.connect().
-- A dataset's rows are stored once, under the run that fetched them (dataset_rows,
-- distribution_rows); snapshot_members says which stored rows make up each snapshot, so an
-- incremental harvest records the unchanged datasets it carries forward without copying them.
-- Readers use the `datasets` / `distributions` views: one row per dataset / distribution per
-- snapshot, run_id = the snapshot. A run's rows only become visible in the latest_* views
-- once its harvest_runs row says status = 'ok' (atomic snapshots).

CREATE TABLE IF NOT EXISTS harvest_runs (
    run_id             VARCHAR PRIMARY KEY,
    portal_id          VARCHAR NOT NULL,
    platform           VARCHAR NOT NULL,
    api_url            VARCHAR NOT NULL,
    organization       VARCHAR,             -- organisation filter on a shared portal, if any
    started_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ,
    status             VARCHAR NOT NULL,    -- running | ok | failed | abandoned
    error              VARCHAR,             -- one line: why the harvest failed
    warnings           VARCHAR,             -- e.g. the portal's count and ours differ
    method             VARCHAR,             -- package_search | package_list (fallback) ...
    expected_count     BIGINT,              -- what the portal said it holds (package_search count)
    dataset_count      BIGINT,
    distribution_count BIGINT,
    request_count      BIGINT,
    odwatch_version    VARCHAR
);

-- Every API response body of a run, zlib-compressed, so parsing can be replayed offline.
CREATE TABLE IF NOT EXISTS raw_pages (
    run_id       VARCHAR NOT NULL,
    seq          INTEGER NOT NULL,
    url          VARCHAR NOT NULL,
    status       INTEGER,
    content_type VARCHAR,
    fetched_at   TIMESTAMPTZ NOT NULL,
    elapsed_ms   DOUBLE,
    body_bytes   BIGINT,
    body_zlib    BLOB                 -- pages stored before raw_page_parts; NULL since
);

-- A raw page's zlib stream in parts of RAW_PAGE_PART bytes (warehouse/records.py), in order.
-- Parts stay below DuckDB's 4 KB string-block size, so they live in ordinary data blocks: one
-- 2.5 MB BLOB per page went to overflow blocks, which a checkpoint pins per row group, so a
-- harvest needed all its raw pages inside the memory limit (bench/README.md, issue 15).
CREATE TABLE IF NOT EXISTS raw_page_parts (
    run_id VARCHAR NOT NULL,
    seq    INTEGER NOT NULL,
    part   INTEGER NOT NULL,
    bytes  BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS dataset_rows (
    -- run_id: the run whose harvest fetched this row (see snapshot_members)
    run_id            VARCHAR NOT NULL,
    portal_id         VARCHAR NOT NULL,
    dataset_id        VARCHAR NOT NULL,   -- the portal's own id
    name              VARCHAR,            -- slug on the portal
    title             VARCHAR,
    description       VARCHAR,
    landing_page      VARCHAR,            -- the dataset's page on the portal
    source_url        VARCHAR,            -- the publisher's own page (CKAN `url`)
    organization      VARCHAR,
    organization_title VARCHAR,
    publisher         VARCHAR,
    contact_name      VARCHAR,
    contact_email     VARCHAR,
    contact_url       VARCHAR,
    keywords          VARCHAR[],
    themes            VARCHAR[],
    license_raw       VARCHAR,            -- as the portal sent it (id, URI or title)
    license_title_raw VARCHAR,
    license_url_raw   VARCHAR,
    access_rights     VARCHAR,
    spatial           VARCHAR,
    temporal_start    VARCHAR,
    temporal_end      VARCHAR,
    issued            VARCHAR,            -- raw date strings; checks parse and judge them
    modified          VARCHAR,
    frequency_raw     VARCHAR,            -- declared update frequency (DCAT accrualPeriodicity ...)
    version           VARCHAR,
    num_distributions INTEGER,
    raw               JSON
);

CREATE TABLE IF NOT EXISTS distribution_rows (
    run_id          VARCHAR NOT NULL,
    portal_id       VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    distribution_id VARCHAR NOT NULL,
    position        INTEGER,
    title           VARCHAR,
    description     VARCHAR,
    url             VARCHAR,              -- the URL to check: download URL, else access URL
    access_url      VARCHAR,
    download_url    VARCHAR,
    format_raw      VARCHAR,
    media_type_raw  VARCHAR,
    license_raw     VARCHAR,              -- resource-level licence (GovData puts it here)
    rights          VARCHAR,
    byte_size       BIGINT,
    issued          VARCHAR,
    modified        VARCHAR,
    checksum        VARCHAR,
    raw             JSON
);

-- Added in issue 13: true for a distribution the platform generated (an Opendatasoft export
-- of the dataset's records), false or NULL for one the publisher made. Scores count a
-- dataset's generated exports once, and they never earn 4 or 5 stars.
ALTER TABLE distribution_rows ADD COLUMN IF NOT EXISTS generated BOOLEAN;
-- DCAT-AP's High-Value Dataset marks as the portal gave them (checks/hvd.py judges them);
-- NULL where the platform has no such field (data.json, Opendatasoft)
ALTER TABLE dataset_rows ADD COLUMN IF NOT EXISTS hvd_categories VARCHAR[];
ALTER TABLE dataset_rows ADD COLUMN IF NOT EXISTS applicable_legislation VARCHAR[];

-- Which stored rows make up a snapshot: one row per dataset of run_id, pointing at the run
-- (origin_run) under which its dataset_rows / distribution_rows are stored. A full harvest's
-- datasets point at itself; an incremental one's unchanged datasets at an earlier run.
CREATE TABLE IF NOT EXISTS snapshot_members (
    run_id     VARCHAR NOT NULL,
    portal_id  VARCHAR NOT NULL,
    dataset_id VARCHAR NOT NULL,
    origin_run VARCHAR NOT NULL
);

-- Every snapshot's datasets and distributions, as if each had been stored in full.
CREATE OR REPLACE VIEW datasets AS
SELECT r.* REPLACE (m.run_id AS run_id)
FROM snapshot_members m JOIN dataset_rows r ON r.run_id = m.origin_run AND r.dataset_id = m.dataset_id;

CREATE OR REPLACE VIEW distributions AS
SELECT r.* REPLACE (m.run_id AS run_id)
FROM snapshot_members m JOIN distribution_rows r ON r.run_id = m.origin_run AND r.dataset_id = m.dataset_id;

-- The last complete snapshot of each portal.
CREATE OR REPLACE VIEW latest_runs AS
SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC) AS rn
    FROM harvest_runs WHERE status = 'ok'
) WHERE rn = 1;

CREATE OR REPLACE VIEW latest_datasets AS
SELECT d.* FROM datasets d JOIN latest_runs r USING (run_id);

CREATE OR REPLACE VIEW latest_distributions AS
SELECT d.* FROM distributions d JOIN latest_runs r USING (run_id);
