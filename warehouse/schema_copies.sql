-- One dataset on several harvested portals (issue 18): the city's portal, the Land's
-- (Open.NRW, opendata.ruhr), GovData. Over each portal's latest snapshot, datasets of two
-- portals are copies when they share a key that is distinctive within each portal (held by
-- one dataset there): the same identifier (16 characters or more: UUIDs, IRIs), the same
-- landing page or distribution URL (scheme, "www." and trailing slashes ignored), or the same
-- title and publisher (case, punctuation and spacing ignored). Read by the city pages
-- (copies that disagree) and by anyone asking where a dataset also stands:
--   SELECT * FROM dataset_copies WHERE portal_id = 'rostock' AND differs <> [];

CREATE OR REPLACE VIEW dataset_match_keys AS
WITH d AS (
    SELECT portal_id, dataset_id, title, publisher, landing_page FROM latest_datasets
),
k AS (
    SELECT portal_id, dataset_id, 'identifier' AS matched_by, lower(trim(dataset_id)) AS key
    FROM d WHERE length(trim(dataset_id)) >= 16
    UNION ALL
    SELECT portal_id, dataset_id, 'landing_page',
           regexp_replace(lower(trim(landing_page)), '^[a-z]+://(www\.)?|/+$', '', 'g')
    FROM d WHERE landing_page IS NOT NULL
    UNION ALL
    SELECT portal_id, dataset_id, 'distribution_url',
           regexp_replace(lower(trim(url)), '^[a-z]+://(www\.)?|/+$', '', 'g')
    FROM latest_distributions WHERE url IS NOT NULL
    UNION ALL
    SELECT portal_id, dataset_id, 'title_publisher',
           trim(regexp_replace(lower(title), '[^\p{L}\p{N}]+', ' ', 'g')) || ' | '
           || trim(regexp_replace(lower(publisher), '[^\p{L}\p{N}]+', ' ', 'g'))
    FROM d WHERE title IS NOT NULL AND publisher IS NOT NULL
),
u AS (SELECT DISTINCT * FROM k WHERE length(key) > 3)
SELECT * FROM u
QUALIFY count(*) OVER (PARTITION BY portal_id, matched_by, key) = 1;

-- Per pair of copies (both directions): the keys they share and what differs between the
-- layers: the licence (as the assessment recognised it, else as written), the modification
-- date, the number of distributions.
CREATE OR REPLACE VIEW dataset_copies AS
WITH pairs AS (
    SELECT a.portal_id, a.dataset_id, b.portal_id AS copy_portal_id,
           b.dataset_id AS copy_dataset_id,
           list(DISTINCT a.matched_by ORDER BY a.matched_by) AS matched_by
    FROM dataset_match_keys a
    JOIN dataset_match_keys b
      ON a.matched_by = b.matched_by AND a.key = b.key AND a.portal_id <> b.portal_id
    GROUP BY ALL
),
lic AS (
    SELECT v.portal_id, v.dataset_id, coalesce(v.license_id, v.license_raw) AS license
    FROM verdicts v JOIN latest_assessments a USING (assessment_id)
    WHERE v.distribution_id IS NULL
),
facts AS (
    SELECT d.portal_id, d.dataset_id, d.title, d.landing_page, d.modified,
           coalesce(l.license, d.license_raw) AS license,
           (SELECT count(*) FROM latest_distributions x
            WHERE x.portal_id = d.portal_id AND x.dataset_id = d.dataset_id) AS distributions
    FROM latest_datasets d LEFT JOIN lic l USING (portal_id, dataset_id)
)
SELECT p.portal_id, p.dataset_id, a.title, a.landing_page, p.copy_portal_id,
       p.copy_dataset_id, b.title AS copy_title, b.landing_page AS copy_landing_page,
       p.matched_by, a.license, b.license AS copy_license, a.modified,
       b.modified AS copy_modified, a.distributions, b.distributions AS copy_distributions,
       list_filter([
           CASE WHEN a.license IS DISTINCT FROM b.license THEN 'license' END,
           CASE WHEN left(a.modified, 10) IS DISTINCT FROM left(b.modified, 10) THEN 'modified' END,
           CASE WHEN a.distributions <> b.distributions THEN 'distributions' END
       ], lambda x: x IS NOT NULL) AS differs
FROM pairs p
JOIN facts a ON a.portal_id = p.portal_id AND a.dataset_id = p.dataset_id
JOIN facts b ON b.portal_id = p.copy_portal_id AND b.dataset_id = p.copy_dataset_id;
