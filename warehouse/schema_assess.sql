-- Assessments of snapshots: findings and scores (flows/assess.py writes them; checks/ defines them).
-- One assessment per (run, method version): re-assessing replaces it, a new method version adds
-- one beside it, so a snapshot's scores under two methods can be compared.

-- Every scoring method ever used here, with its full definition (weights, checks, hints).
CREATE TABLE IF NOT EXISTS methods (
    method_version     VARCHAR PRIMARY KEY,
    method_fingerprint VARCHAR NOT NULL,    -- hash of the definition; a changed method needs a new version
    first_used_at      TIMESTAMPTZ NOT NULL, -- orders methods: the newest is the current one
    definition         JSON NOT NULL        -- checks.scoring.Method.definition()
);

CREATE TABLE IF NOT EXISTS method_checks (
    method_version VARCHAR NOT NULL,
    code           VARCHAR NOT NULL,
    title          VARCHAR NOT NULL,
    severity       VARCHAR NOT NULL,
    level          VARCHAR NOT NULL,        -- dataset | distribution
    kind           VARCHAR NOT NULL,        -- mqa | conformance | open-data | freshness | catalogue | content
    fix            VARCHAR NOT NULL,
    indicators     VARCHAR[]                -- MQA indicators whose points the finding can cost
);

CREATE TABLE IF NOT EXISTS assessments (
    assessment_id      VARCHAR PRIMARY KEY, -- run_id/method_version
    run_id             VARCHAR NOT NULL,
    portal_id          VARCHAR NOT NULL,
    method_version     VARCHAR NOT NULL,
    method_fingerprint VARCHAR NOT NULL,
    vocab_fingerprint  VARCHAR NOT NULL,    -- hash of checks/data/*.csv (licences, formats ...)
    snapshot_at        TIMESTAMPTZ NOT NULL, -- the harvest's start: "now" for freshness
    assessed_at        TIMESTAMPTZ NOT NULL,
    status             VARCHAR NOT NULL,    -- ok | failed
    error              VARCHAR,
    link_checks        BOOLEAN,             -- were link-check results available?
    dataset_count      BIGINT,
    distribution_count BIGINT,
    finding_count      BIGINT,
    seconds            DOUBLE,
    gx_success         BOOLEAN,             -- Great Expectations suites on the snapshot's tables
    gx_results         JSON,                -- per expectation: success, counts, sample values
    odwatch_version    VARCHAR
);

-- One row per failed check per dataset (distribution_id NULL) or distribution.
-- Content findings (kind content) are copied from content_findings, with points_lost 0.
CREATE TABLE IF NOT EXISTS findings (
    assessment_id   VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    portal_id       VARCHAR NOT NULL,
    method_version  VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    distribution_id VARCHAR,
    code            VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL,
    message         VARCHAR NOT NULL,     -- the check's title: one line for people
    evidence        VARCHAR,              -- the value seen: URL, raw licence, date ...
    points_lost     DOUBLE NOT NULL       -- the dataset's points that fixing this would gain
);

-- Each judgement made once: the licence and format every dataset and distribution was judged
-- to have (checks/licenses.py, checks/formats.py). The licence mix, format mix and open-licence
-- share all read these rows, so they cannot disagree after checks/data/*.csv changes.
CREATE TABLE IF NOT EXISTS verdicts (
    assessment_id    VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    portal_id        VARCHAR NOT NULL,
    method_version   VARCHAR NOT NULL,
    dataset_id       VARCHAR NOT NULL,
    distribution_id  VARCHAR,             -- NULL: the dataset's row (its least open licence)
    license_raw      VARCHAR,             -- the value the verdict is about
    license_id       VARCHAR,             -- checks/data/licenses.csv id; NULL: not recognised
    license_status   VARCHAR NOT NULL,    -- open | not-open | unknown | missing
    license_open     BOOLEAN NOT NULL,
    format           VARCHAR,             -- distributions: checks.formats' format; NULL unknown
    machine_readable BOOLEAN,
    non_proprietary  BOOLEAN
);

-- Per dataset (level 'dataset') and per portal (level 'portal', dataset_id NULL).
CREATE TABLE IF NOT EXISTS scores (
    assessment_id          VARCHAR NOT NULL,
    run_id                 VARCHAR NOT NULL,
    portal_id              VARCHAR NOT NULL,
    method_version         VARCHAR NOT NULL,
    level                  VARCHAR NOT NULL,
    dataset_id             VARCHAR,
    findability            DOUBLE,
    accessibility          DOUBLE,
    interoperability       DOUBLE,
    reusability            DOUBLE,
    contextuality          DOUBLE,
    points                 DOUBLE,        -- sum of the five
    max_assessable         INTEGER,       -- weights of the indicators that could be judged
    max_points             INTEGER,       -- 405
    scaled                 DOUBLE,        -- points / max_assessable x max_points
    band                   VARCHAR,       -- excellent | good | sufficient | bad (of scaled)
    not_checked            VARCHAR[],     -- indicators that could not be judged
    share_open_license     DOUBLE,        -- datasets whose (least open) licence is open
    share_machine_readable DOUBLE,        -- distributions in a machine-readable format
    share_non_proprietary  DOUBLE,        -- distributions in an open format
    share_on_time          DOUBLE,        -- datasets updated as declared, of those judged
    datasets               BIGINT,
    distributions          BIGINT,
    -- the headline (checks.metadata.released): reachable, machine-readable, open, on time
    released               BOOLEAN,       -- dataset rows; NULL: undetermined (link unverified)
    share_released         DOUBLE,        -- released datasets, of those determined
    released_datasets      BIGINT,
    released_unverified    BIGINT,        -- datasets left undetermined
    -- 5-star openness (distribution_stars of this run; NULL: not computed for it)
    stars                  DOUBLE,        -- dataset: its best distribution's; portal: average
    stars_0                BIGINT,        -- portal: datasets at 0 stars; dataset: 1 at its level, else 0
    stars_1                BIGINT,
    stars_2                BIGINT,
    stars_3                BIGINT,
    stars_4                BIGINT,
    stars_5                BIGINT
);
-- Warehouses made before method 2026.11-2 have the table without them (no-ops afterwards).
ALTER TABLE scores ADD COLUMN IF NOT EXISTS released BOOLEAN;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS share_released DOUBLE;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS released_datasets BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS released_unverified BIGINT;
-- ... and before method 2026.11-3 without the 5-star columns.
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars DOUBLE;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_0 BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_1 BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_2 BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_3 BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_4 BIGINT;
ALTER TABLE scores ADD COLUMN IF NOT EXISTS stars_5 BIGINT;

-- Per portal and MQA indicator: units judged, passed, points.
CREATE TABLE IF NOT EXISTS score_indicators (
    assessment_id  VARCHAR NOT NULL,
    run_id         VARCHAR NOT NULL,
    portal_id      VARCHAR NOT NULL,
    method_version VARCHAR NOT NULL,
    indicator      VARCHAR NOT NULL,
    dimension      VARCHAR NOT NULL,
    weight         INTEGER NOT NULL,
    level          VARCHAR NOT NULL,
    passed         BIGINT NOT NULL,
    failed         BIGINT NOT NULL,
    share          DOUBLE,                -- NULL: not checked
    points         DOUBLE
);

-- The latest assessment (newest method, then newest run of it) of each portal's latest snapshot.
CREATE OR REPLACE VIEW latest_assessments AS
SELECT * EXCLUDE (rn) FROM (
    SELECT a.*, row_number() OVER (
        PARTITION BY a.portal_id ORDER BY m.first_used_at DESC, a.assessed_at DESC) AS rn
    FROM assessments a
    JOIN latest_runs r USING (run_id)
    JOIN methods m USING (method_version)
    WHERE a.status = 'ok'
) WHERE rn = 1;

CREATE OR REPLACE VIEW latest_findings AS
SELECT f.* FROM findings f JOIN latest_assessments a USING (assessment_id);

CREATE OR REPLACE VIEW latest_scores AS
SELECT s.* FROM scores s JOIN latest_assessments a USING (assessment_id);

-- Did a portal's score move because the city changed something or because the method did?
-- city_change: latest snapshot vs the one before, both under the current method.
-- method_change: the previous snapshot under the current method vs under the method before it.
CREATE OR REPLACE VIEW score_changes AS
WITH ok_runs AS (
    SELECT run_id, portal_id,
           row_number() OVER (PARTITION BY portal_id ORDER BY started_at DESC, run_id DESC) AS k
    FROM harvest_runs WHERE status = 'ok'
),
portal_scores AS (
    SELECT s.run_id, s.portal_id, s.method_version, m.first_used_at, s.points, s.scaled
    FROM scores s
    JOIN assessments a USING (assessment_id)
    JOIN methods m ON m.method_version = s.method_version
    WHERE s.level = 'portal' AND a.status = 'ok'
),
cur AS (
    SELECT l.portal_id, l.run_id, l.method_version, m.first_used_at
    FROM latest_assessments l JOIN methods m USING (method_version)
),
prev AS (
    SELECT c.portal_id, p.run_id FROM cur c JOIN ok_runs p ON p.portal_id = c.portal_id AND p.k = 2
),
prev_old AS (  -- the previous snapshot under the newest method older than the current one
    SELECT c.portal_id, ps.method_version, ps.points
    FROM cur c
    JOIN prev p USING (portal_id)
    JOIN portal_scores ps ON ps.run_id = p.run_id AND ps.first_used_at < c.first_used_at
    QUALIFY row_number() OVER (PARTITION BY c.portal_id ORDER BY ps.first_used_at DESC) = 1
)
SELECT c.portal_id,
       c.run_id,
       p.run_id                           AS previous_run_id,
       c.method_version,
       now_s.points                       AS points,
       prev_same.points                   AS previous_points,
       o.method_version                   AS previous_method_version,
       o.points                           AS previous_points_old_method,
       now_s.points - prev_same.points    AS city_change,
       prev_same.points - o.points        AS method_change
FROM cur c
LEFT JOIN prev p USING (portal_id)
LEFT JOIN portal_scores now_s ON now_s.run_id = c.run_id AND now_s.method_version = c.method_version
LEFT JOIN portal_scores prev_same
       ON prev_same.run_id = p.run_id AND prev_same.method_version = c.method_version
LEFT JOIN prev_old o USING (portal_id);
