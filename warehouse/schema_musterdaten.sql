-- What a city publishes of the Musterdatenkatalog (issue 18, checks/musterdaten.py): each
-- dataset of a snapshot classified once by the assessment, read by the city pages, downloads
-- and the coverage queries. One row per classification of a snapshot (musterdaten_runs) and per
-- dataset (musterdaten_classes, also those given no class: their best score says how near).

CREATE TABLE IF NOT EXISTS musterdaten_runs (
    run_id           VARCHAR PRIMARY KEY,
    portal_id        VARCHAR NOT NULL,
    judged_at        TIMESTAMPTZ NOT NULL,
    reference        VARCHAR,          -- the labelled datasets file the model was built from
    reference_sha256 VARCHAR,
    fingerprint      VARCHAR,          -- reference + threshold + text recipe
    threshold        DOUBLE,
    error            VARCHAR           -- one line when it could not be classified (then no rows)
);

CREATE TABLE IF NOT EXISTS musterdaten_classes (
    run_id          VARCHAR NOT NULL,
    portal_id       VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    musterdatensatz VARCHAR,           -- "THEMA - BEZEICHNUNG"; NULL: no class reached the threshold
    thema           VARCHAR,
    bezeichnung     VARCHAR,
    score           DOUBLE,            -- cosine similarity with what it matched (0..1)
    evidence        VARCHAR[],         -- the dataset's words shared with it
    matched         VARCHAR,           -- the labelled example ("title (city)") or class name
    PRIMARY KEY (run_id, dataset_id)
);

-- Each portal's latest classified snapshot, one row per Musterdatensatz it has, with the
-- datasets that give it. A user's coverage query:
--   SELECT * FROM musterdaten_coverage WHERE portal_id = 'leipzig' ORDER BY datasets DESC;
CREATE OR REPLACE VIEW musterdaten_coverage AS
WITH latest AS (
    SELECT r.run_id, r.portal_id FROM musterdaten_runs r JOIN harvest_runs h USING (run_id)
    WHERE r.error IS NULL
    QUALIFY row_number() OVER (PARTITION BY r.portal_id ORDER BY h.started_at DESC, r.run_id DESC) = 1
)
SELECT l.portal_id, l.run_id, c.musterdatensatz, any_value(c.thema) AS thema,
       any_value(c.bezeichnung) AS bezeichnung, count(*) AS datasets,
       max(c.score) AS best_score, list(c.dataset_id ORDER BY c.score DESC) AS dataset_ids
FROM latest l JOIN musterdaten_classes c USING (run_id)
WHERE c.musterdatensatz IS NOT NULL
GROUP BY l.portal_id, l.run_id, c.musterdatensatz;
