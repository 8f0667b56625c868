-- Link availability, file contents and 5-star openness (odwatch check-links).
-- Applied after schema.sql by warehouse.store.connect(); idempotent.
-- URLs are stored trimmed of surrounding whitespace; join with trim(x, ' ' || chr(9) || chr(10) || chr(13)).

-- One row per `odwatch check-links` (or the link step of `odwatch run`).
CREATE TABLE IF NOT EXISTS link_check_runs (
    check_run_id   VARCHAR PRIMARY KEY,
    started_at     TIMESTAMPTZ NOT NULL,
    finished_at    TIMESTAMPTZ,
    status         VARCHAR NOT NULL,    -- running | ok | failed
    portals        VARCHAR[],
    urls_known     BIGINT,              -- distinct URLs in the latest snapshots of those portals
    urls_due       BIGINT,              -- checked this time (the rest were checked recently)
    requests       BIGINT,
    content_checks BIGINT,
    seconds        DOUBLE,
    summary        VARCHAR,             -- e.g. "ok 812, dead 37, blocked 4, timeout 2"
    error          VARCHAR
);

-- One row per URL and check.
CREATE TABLE IF NOT EXISTS link_checks (
    check_run_id   VARCHAR NOT NULL,
    url            VARCHAR NOT NULL,
    checked_at     TIMESTAMPTZ NOT NULL,
    outcome        VARCHAR NOT NULL,    -- the verdict (checks.links.judge): ok | dead | failing | blocked | server-error | timeout | invalid-url | refused-private-address | error
    observed       VARCHAR,             -- this check on its own (dead: looked gone; judged dead only when confirmed); NULL: written before 2026.12
    reason         VARCHAR,             -- http-404, dns-failure, connection-refused, bot-challenge, rate-limited, redirect-loop, read-timeout ...
    http_status    INTEGER,
    method         VARCHAR,             -- HEAD | GET (GET when HEAD was refused with 400/403/405/501)
    final_url      VARCHAR,             -- after redirects
    redirects      INTEGER,
    content_type   VARCHAR,
    content_length BIGINT,
    last_modified  VARCHAR,
    etag           VARCHAR,
    retry_after_s  DOUBLE,
    elapsed_ms     DOUBLE,
    requests       INTEGER,
    error          VARCHAR              -- one line, when something failed before an HTTP answer
);

ALTER TABLE link_checks ADD COLUMN IF NOT EXISTS observed VARCHAR;

-- Per URL: the newest check, plus its history across runs. failure_count counts the checks
-- since the last ok one; first_failure is the first of them.
CREATE OR REPLACE VIEW latest_link_status AS
WITH s AS (
    SELECT url,
           max(checked_at) FILTER (WHERE outcome = 'ok') AS last_success,
           count(*) AS check_count
    FROM link_checks GROUP BY url
), f AS (
    SELECT c.url, count(*) AS failure_count, min(c.checked_at) AS first_failure
    FROM link_checks c JOIN s USING (url)
    WHERE c.outcome <> 'ok' AND (s.last_success IS NULL OR c.checked_at > s.last_success)
    GROUP BY c.url
), latest AS (
    SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY url ORDER BY checked_at DESC, check_run_id DESC) AS rn
        FROM link_checks
    ) WHERE rn = 1
)
SELECT latest.*, s.last_success, f.first_failure, coalesce(f.failure_count, 0) AS failure_count,
       s.check_count
FROM latest JOIN s USING (url) LEFT JOIN f USING (url);

-- Each distribution of the latest snapshots with the newest outcome of each of its URLs
-- (NULL outcome: not checked yet, or no such URL). For MQA: accessURL / downloadURL reachable.
CREATE OR REPLACE VIEW latest_distribution_links AS
SELECT d.run_id, d.portal_id, d.dataset_id, d.distribution_id, d.url, d.access_url, d.download_url,
       u.outcome AS url_outcome, u.reason AS url_reason, u.http_status AS url_http_status, u.checked_at AS url_checked_at,
       a.outcome AS access_url_outcome, a.checked_at AS access_url_checked_at,
       w.outcome AS download_url_outcome, w.checked_at AS download_url_checked_at
FROM latest_distributions d
LEFT JOIN latest_link_status u ON u.url = trim(d.url, ' ' || chr(9) || chr(10) || chr(13))
LEFT JOIN latest_link_status a ON a.url = trim(d.access_url, ' ' || chr(9) || chr(10) || chr(13))
LEFT JOIN latest_link_status w ON w.url = trim(d.download_url, ' ' || chr(9) || chr(10) || chr(13));

-- One row per sampled distribution and content check.
CREATE TABLE IF NOT EXISTS content_checks (
    check_run_id     VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,  -- the harvest snapshot the distribution was taken from
    portal_id        VARCHAR NOT NULL,
    dataset_id       VARCHAR NOT NULL,
    distribution_id  VARCHAR NOT NULL,
    url              VARCHAR NOT NULL,
    checked_at       TIMESTAMPTZ NOT NULL,
    outcome          VARCHAR NOT NULL,  -- link outcome of the GET (ok when the sample was read)
    http_status      INTEGER,
    final_url        VARCHAR,
    content_type     VARCHAR,
    last_modified    VARCHAR,
    etag             VARCHAR,
    bytes_read       BIGINT,
    truncated        BOOLEAN,           -- the file goes on past the sample cap
    sha256           VARCHAR,           -- of the bytes read: did the data change?
    declared_format  VARCHAR,           -- canonical, from format / media type / URL
    sniffed_format   VARCHAR,           -- canonical, from the bytes (NULL: empty or unknown)
    sniffed_how      VARCHAR,
    encoding         VARCHAR,
    delimiter        VARCHAR,
    has_header       BOOLEAN,
    columns          VARCHAR[],
    column_count     INTEGER,
    row_count        BIGINT,            -- data rows with a value (in the sample)
    empty_rows       BIGINT,
    ragged_rows      BIGINT,
    finding_count    INTEGER,
    error            VARCHAR            -- the check itself failed (e.g. an expectation raised)
);

-- Findings of the content checks, in the columns of the assessment's findings.
CREATE TABLE IF NOT EXISTS content_findings (
    check_run_id    VARCHAR NOT NULL,
    run_id          VARCHAR NOT NULL,
    portal_id       VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    distribution_id VARCHAR NOT NULL,
    url             VARCHAR,
    checked_at      TIMESTAMPTZ NOT NULL,
    code            VARCHAR NOT NULL,   -- html-instead-of-data, format-mismatch, not-utf8, ragged-rows ...
    severity        VARCHAR NOT NULL,   -- error | warning | info
    message         VARCHAR NOT NULL,
    evidence        VARCHAR
);

-- The newest content check of each distribution of the latest snapshots, and its findings.
CREATE OR REPLACE VIEW latest_content_checks AS
SELECT c.* EXCLUDE (rn) FROM (
    SELECT cc.*, row_number() OVER (
        PARTITION BY cc.portal_id, cc.distribution_id ORDER BY cc.checked_at DESC, cc.check_run_id DESC) AS rn
    FROM content_checks cc JOIN latest_runs r ON r.portal_id = cc.portal_id
) c WHERE rn = 1;

CREATE OR REPLACE VIEW latest_content_findings AS
SELECT f.* FROM content_findings f
JOIN latest_content_checks c USING (check_run_id, portal_id, distribution_id);

-- 5-star openness per distribution of a snapshot (recomputed by every check-links run).
CREATE TABLE IF NOT EXISTS distribution_stars (
    run_id          VARCHAR NOT NULL,
    portal_id       VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    distribution_id VARCHAR NOT NULL,
    computed_at     TIMESTAMPTZ NOT NULL,
    stars           INTEGER NOT NULL,   -- 0-5
    format          VARCHAR,            -- the format the stars were given for
    format_source   VARCHAR,            -- sniffed | url | declared
    reason          VARCHAR,            -- format | format-unknown | generated-export | license-not-open | link-dead
    license_status  VARCHAR,            -- open | not-open | unknown | missing
    link_outcome    VARCHAR             -- newest outcome of the distribution's URL (NULL: not checked)
);

-- Added in issue 13: the level before the licence (link and format only; a generated export
-- at most 3). The assessment sets stars from it and its own licence verdict.
ALTER TABLE distribution_stars ADD COLUMN IF NOT EXISTS format_stars INTEGER;
ALTER TABLE distribution_stars ADD COLUMN IF NOT EXISTS format_reason VARCHAR;

CREATE OR REPLACE VIEW dataset_stars AS
SELECT run_id, portal_id, dataset_id, max(stars) AS stars, count(*) AS distributions
FROM distribution_stars GROUP BY ALL;

CREATE OR REPLACE VIEW portal_stars AS
SELECT s.run_id, s.portal_id, count(*) AS datasets, round(avg(s.stars), 2) AS avg_stars,
       count(*) FILTER (WHERE s.stars = 0) AS stars_0, count(*) FILTER (WHERE s.stars = 1) AS stars_1,
       count(*) FILTER (WHERE s.stars = 2) AS stars_2, count(*) FILTER (WHERE s.stars = 3) AS stars_3,
       count(*) FILTER (WHERE s.stars = 4) AS stars_4, count(*) FILTER (WHERE s.stars = 5) AS stars_5
FROM dataset_stars s JOIN latest_runs r USING (run_id) GROUP BY ALL;
