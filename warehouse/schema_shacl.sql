-- SHACL validation of each snapshot's DCAT-AP.de graphs (issue 16). Written by the assessment
-- (flows/shacl.py through warehouse/shacl.py), read by the MQA "dcat-ap-compliance" indicator,
-- the GovData dashboard score, `odwatch findings` and the fix lists. One verdict per dataset and
-- profile (shacl_datasets), every result behind it (shacl_results), one row per validation
-- (shacl_runs), so each point is traceable to a shape, a focus node and a path.

CREATE TABLE IF NOT EXISTS shacl_runs (
    run_id        VARCHAR NOT NULL,   -- the snapshot validated
    profile       VARCHAR NOT NULL,   -- dcat-ap-de-2.0 | dcat-ap-de-3.0 | govdata-dashboard
    shapes_sha256 VARCHAR NOT NULL,   -- fingerprint of the shapes files read
    validated_at  TIMESTAMPTZ NOT NULL,
    datasets      BIGINT,             -- datasets validated
    conforming    BIGINT,             -- of which with no Violation
    seconds       DOUBLE,
    error         VARCHAR,            -- one line when validation could not run (then no results)
    PRIMARY KEY (run_id, profile)
);

CREATE TABLE IF NOT EXISTS shacl_datasets (
    run_id      VARCHAR NOT NULL,
    profile     VARCHAR NOT NULL,
    dataset_id  VARCHAR NOT NULL,     -- datasets.dataset_id of that snapshot
    conforms    BOOLEAN,              -- no Violation (NULL: its graph could not be built, see error)
    violations  INTEGER NOT NULL DEFAULT 0,
    warnings    INTEGER NOT NULL DEFAULT 0,
    infos       INTEGER NOT NULL DEFAULT 0,
    unknowable  INTEGER NOT NULL DEFAULT 0,  -- results on fields the platform's API cannot supply
    error       VARCHAR,
    PRIMARY KEY (run_id, profile, dataset_id)
);

CREATE TABLE IF NOT EXISTS shacl_results (
    run_id          VARCHAR NOT NULL,
    profile         VARCHAR NOT NULL,
    dataset_id      VARCHAR NOT NULL,
    distribution_id VARCHAR,          -- set when the focus node is one of its distributions
    focus           VARCHAR NOT NULL, -- the focus node (IRI, or _:label of a blank node)
    path            VARCHAR,          -- sh:resultPath as a CURIE where a prefix is known
    value           VARCHAR,          -- sh:value, at most 500 characters
    severity        VARCHAR NOT NULL, -- Violation | Warning | Info
    source_shape    VARCHAR,
    constraint_component VARCHAR,     -- local name, e.g. MinCountConstraintComponent
    message_de      VARCHAR,
    message_en      VARCHAR,
    unknowable      BOOLEAN NOT NULL DEFAULT false  -- the platform's API cannot supply this field,
                                                    -- or only an aggregator sets it: shown, not counted
);

-- what judged a validation besides the shapes: a digest of odwatch's graph-building and
-- validation code and of the pyshacl and rdflib versions (flows/shacl.py)
ALTER TABLE shacl_runs ADD COLUMN IF NOT EXISTS fingerprint VARCHAR;
-- of `datasets`, how many kept the verdict of an earlier snapshot holding the same stored
-- dataset (the same origin run: its graph is the same) judged with the same shapes and fingerprint
ALTER TABLE shacl_runs ADD COLUMN IF NOT EXISTS kept BIGINT;
