-- The EU High-Value Dataset marks of each snapshot (issue 18, checks/hvd.py): every dataset's
-- dcatap:hvdCategory / dcatap:applicableLegislation (dataset_rows.hvd_categories /
-- applicable_legislation) judged once by the assessment, read by the city pages, downloads and
-- a user's queries. One row per judged snapshot (hvd_runs) and per marked dataset (hvd_marks).

CREATE TABLE IF NOT EXISTS hvd_runs (
    run_id     VARCHAR PRIMARY KEY,
    portal_id  VARCHAR NOT NULL,
    judged_at  TIMESTAMPTZ NOT NULL,
    datasets   BIGINT,   -- in the snapshot
    can_mark   BIGINT,   -- whose platform carries the marks (NULL columns: data.json, Opendatasoft)
    marked     BIGINT    -- with any mark
);

CREATE TABLE IF NOT EXISTS hvd_marks (
    run_id     VARCHAR NOT NULL,
    portal_id  VARCHAR NOT NULL,
    dataset_id VARCHAR NOT NULL,
    categories VARCHAR[],   -- checks.hvd.CATEGORIES keys: geospatial, environment, mobility ...
    unknown    VARCHAR[],   -- category values that are no top-level category, as given
    regulation BOOLEAN,     -- applicableLegislation names Regulation (EU) 2023/138
    problem    VARCHAR,     -- no_regulation | no_category | unknown_category; NULL: complete
    PRIMARY KEY (run_id, dataset_id)
);

-- Each portal's latest judged snapshot, one row per HVD category its datasets are marked with.
-- A user's query:  SELECT * FROM hvd_coverage WHERE portal_id = 'leipzig';
CREATE OR REPLACE VIEW hvd_coverage AS
WITH latest AS (
    SELECT r.run_id, r.portal_id FROM hvd_runs r JOIN harvest_runs h USING (run_id)
    QUALIFY row_number() OVER (PARTITION BY r.portal_id ORDER BY h.started_at DESC, r.run_id DESC) = 1
)
SELECT l.portal_id, l.run_id, u.category, count(*) AS datasets,
       count(*) FILTER (WHERE u.problem IS NULL) AS complete,
       list(u.dataset_id ORDER BY u.dataset_id) AS dataset_ids
FROM latest l
JOIN (SELECT run_id, dataset_id, problem, unnest(categories) AS category FROM hvd_marks) u USING (run_id)
GROUP BY l.portal_id, l.run_id, u.category;
