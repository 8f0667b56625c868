"""The method page's notes: how the method reads, then one line per version that changed it.

Part of the method's definition (stored with every assessment and hashed into its
fingerprint): a new version adds its line at the end.
"""

from __future__ import annotations


def notes(min_judged: int, min_judged_share: float) -> tuple[str, ...]:
    """The notes, with the really-released thresholds written in."""
    return (
        "Points per indicator = weight x share of units that pass; a dataset's score is the MQA "
        "score of a catalogue holding only that dataset.",
        "A dataset without distributions counts as one distribution that fails every "
        "distribution indicator (MQA would not count it at all).",
        "Interoperability counts each dataset's best distribution: the one with the most "
        "interoperability points (ties: lowest position, then id).",
        "A platform's generated distributions (Opendatasoft's exports of a dataset's records) count "
        "once per dataset: the best machine-readable one (then open format, position, id).",
        "Indicators that cannot be judged count neither way; bands use points scaled to 405 "
        "(points / assessable x 405).",
        "Freshness and future dates are judged at the snapshot's harvest time, not the wall clock.",
        "Really released (the headline): a dataset is released when it is not late against its "
        "declared frequency and at least one distribution is machine-readable, openly licensed and "
        "its download URL (else access URL) was reachable at the last link check; undetermined when "
        "such a distribution's link is not verified yet (unchecked, failing, blocked, timeout, server error); "
        "the share counts only the datasets that are determined.",
        "2026.11-2: adds the really-released headline (released per dataset, share_released, "
        "released_datasets, released_unverified per portal); MQA points are unchanged.",
        "2026.11-3: adds the content checks' findings (kind content, no points) to the fix list and "
        "5-star openness to the scores (stars, stars_0..stars_5); MQA points are unchanged.",
        f"The really-released share is shown with its base (released of judged; unverified apart) "
        f"and only when at least {min_judged} datasets (or all of a smaller catalogue) and "
        f"{min_judged_share:.0%} of the datasets could be judged; below that it is "
        "'not verifiable yet' and the city is listed unranked.",
        "The fix list puts first the datasets that are not released and have a finding that keeps "
        "them from it (closed or unknown licence, dead or invalid link, a web page or empty file "
        "instead of data, not machine-readable, late), then orders by points to gain.",
        "2026.12-1: German licences in their canonical short and long forms (dl-de/by-2.0, "
        "DL-DE->BY-2.0, Datenlizenz Deutschland Zero - Version 2.0, §5 UrhG, Gemeinfrei) are "
        "recognised, with or without separators and version dots; a platform's generated exports "
        "(Opendatasoft: 9-15 per dataset) count once per dataset, the best machine-readable one, "
        "and earn at most 3 stars: 4 and 5 stars are for linked data the publisher made; the "
        "stars read the assessment's licence verdict. "
        "Only cities are ranked (regional and national catalogues get their own table); "
        "the headline shows its base and a dash below the threshold; the fix list orders by what "
        "keeps data from being released, then by points; the missing-download-url hint no longer "
        "says 'upload'; late evidence says '1 day late'. MQA points are unchanged. "
        "One failure is not dead: a link counts as dead (reachability fails, 0 stars, "
        "not released) only after it failed on two checks at least 24 h apart with no success in "
        "between, or answered 410 Gone; until then it is failing, not judged either way.",
        "2026.12-2: DCAT-AP compliance (30 points) is judged where the snapshot was validated with "
        "GovData's SHACL shapes (its DCAT-AP.de profile, default 2.0 + Konventionen): a dataset "
        "passes with no Violation and fails with one on a field its platform can supply "
        "(finding dcat-ap-violation); a dataset whose only Violations are on fields the "
        "platform's API cannot supply, or only an aggregator sets, is not judged, nor is one "
        "whose graph could not be built; without a validation the indicator stays not checked. "
        "Other points are unchanged.",
    )
