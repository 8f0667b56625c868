-- The GovData dashboard profile (issue 16, checks/dashboard.py): judged once per snapshot by
-- the assessment, read by the city pages, downloads and `odwatch findings`. One row per
-- judgement of a snapshot (dashboard_runs) and per dataset (dashboard_verdicts).

CREATE TABLE IF NOT EXISTS dashboard_runs (
    run_id              VARCHAR PRIMARY KEY,
    portal_id           VARCHAR NOT NULL,
    judged_at           TIMESTAMPTZ NOT NULL,
    license_list        VARCHAR,          -- the shapes file the licence list was read from
    license_list_sha256 VARCHAR,
    contributor_judged  BOOLEAN,          -- a govdata-dashboard SHACL validation was read
    error               VARCHAR           -- one line when it could not be judged (then no verdicts)
);

CREATE TABLE IF NOT EXISTS dashboard_verdicts (
    run_id                    VARCHAR NOT NULL,
    portal_id                 VARCHAR NOT NULL,
    dataset_id                VARCHAR NOT NULL,
    distributions             INTEGER,   -- units judged (a dataset without any: its stand-in)
    license_once              BOOLEAN,   -- stage 1: every distribution has exactly one licence
    license_listed            BOOLEAN,   -- stage 2: every licence, as written, is on the list
    license_open              BOOLEAN,   -- stage 3: a licence, as written, is listed and open
    license_listed_normalised BOOLEAN,   -- stage 2 after normalising the spelling
    license_open_normalised   BOOLEAN,   -- stage 3 after normalising the spelling
    keywords                  BOOLEAN,
    publisher                 BOOLEAN,
    contributor               VARCHAR,   -- ok | missing | aggregator (not counted) | unknown
    licenses                  VARCHAR,   -- the licence values as written, ' | '
    score                     DOUBLE,    -- share of the judged criteria met (0..1)
    PRIMARY KEY (run_id, dataset_id)
);
