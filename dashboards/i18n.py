"""The scorecard's words in English and German, and numbers written the way each language does.

Check titles, fix hints and indicator texts come from ``checks.scoring`` (English, the code's
own table); :data:`CHECKS_DE` and :data:`INDICATORS_DE` give them in German, keyed by the same
codes. A code missing here shows in English (``tests/test_site_i18n.py`` lists any gap).
"""

from __future__ import annotations

from datetime import UTC, datetime

from checks.scoring import MAX_POINTS

LANGS: tuple[str, ...] = ("en", "de")
OTHER = {"en": "de", "de": "en"}

UI: dict[str, dict[str, str]] = {
    "en": {
        "lang_name": "English",
        "switch": "Deutsch",
        "site_title": "odwatch: which cities really release their data",
        "tagline": "Weekly, automated checks of what cities publish on their open-data portals: is the data reachable, machine-readable, openly licensed and up to date?",
        "ranking": "Ranking",
        "method": "Method",
        "downloads": "Downloads",
        "generated": "Generated",
        "rank": "#",
        "city": "City",
        "portal": "Portal",
        "released": "Really released",
        "released_help": "datasets with at least one distribution that is reachable, machine-readable and openly licensed, and on time where a frequency is declared; of the datasets where this could be determined",
        "points": f"Points (of {MAX_POINTS})",
        "points_help": f"MQA-style points scaled to {MAX_POINTS} over what could be judged",
        "band": "Band",
        "datasets": "Datasets",
        "per_100k": "per 100,000 inhabitants",
        "per_100k_short": "per 100k inh.",
        "change": "Change",
        "change_help": "points since the previous snapshot, same method",
        "snapshot": "Snapshot",
        "last_harvest": "Last harvest",
        "not_harvested": "not harvested yet",
        "not_scored": "not scored yet",
        "sort_hint": "Click a column heading to sort.",
        "no_released": "The 'really released' share is not computed by this warehouse yet.",
        "method_changed": "method change",
        "score_by_dimension": "Score by dimension",
        "dimension": "Dimension",
        "assessable": "assessable",
        "max": "max",
        "indicator": "Indicator",
        "weight": "Weight",
        "passed": "passed",
        "failed": "failed",
        "share": "Share",
        "not_checked": "not checked",
        "trend": "Trend over all snapshots",
        "trend_points": f"Points (scaled to {MAX_POINTS}) per snapshot",
        "trend_shares": "Shares per snapshot",
        "licence_mix": "Licence mix",
        "licence": "Licence",
        "open": "open",
        "not_open": "not open",
        "unknown": "unknown",
        "missing": "missing",
        "format_mix": "Format mix",
        "format": "Format",
        "distributions": "Distributions",
        "machine_readable": "machine-readable",
        "non_proprietary": "open format",
        "link_health": "Link health",
        "outcome": "Outcome",
        "links_none": "No link checks for this portal yet.",
        "late": "Late datasets",
        "late_help": "not updated as often as declared (at the snapshot's harvest time)",
        "late_none": "No dataset is late.",
        "api_health": "Portal API health",
        "harvests_ok": "successful harvests",
        "harvest_time": "harvest time",
        "requests": "requests",
        "status": "Status",
        "started": "Started",
        "seconds": "Seconds",
        "error": "Error",
        "fix_list": "Fix list",
        "fix_help": "Datasets that a fix would make really released come first (a closed licence, a dead link, a web page instead of data, a late dataset: marked \u2605), then the others by the points fixing them would gain; grouped by organisation.",
        "organisation": "Organisation",
        "no_org": "(no organisation)",
        "datasets_flagged": "datasets flagged",
        "points_to_gain": "points to gain",
        "top_fixes": "Most to gain",
        "how_to_fix": "How to fix the findings on this page",
        "gain_help": "Gain: points the dataset's own score (MQA-style, as if it were a catalogue of one) would rise by.",
        "requests_h": "Requests",
        "gain": "Gain",
        "dataset": "Dataset",
        "code": "Code",
        "evidence": "Evidence",
        "fix": "Fix",
        "severity": "Severity",
        "page": "Page",
        "of": "of",
        "unverified": "not determined (links not verified)",
        "previous": "previous",
        "next": "next",
        "all_orgs": "all organisations",
        "changes": "Since the last snapshot",
        "new": "new",
        "resolved": "resolved",
        "recurring": "recurring",
        "changes_help": "findings (dataset and code) compared with the previous snapshot under the same method",
        "changes_none": "No previous snapshot to compare with.",
        "dataset_gone": "dataset no longer listed",
        "more_in_downloads": "more in the downloads",
        "back": "back to the ranking",
        "badge": "Badge",
        "badge_help": "Embed this badge on your portal:",
        "download_findings": "This city's findings",
        "method_title": "How scores are computed",
        "method_version": "Method version",
        "fingerprint": "fingerprint",
        "indicators": f"Indicators (MQA, {MAX_POINTS} points)",
        "checks": "Checks (finding codes)",
        "level": "Level",
        "kind": "Kind",
        "costs": "Costs points of",
        "passes_when": "Passes when",
        "requires": "needs",
        "bands": "Bands",
        "lowest": "from",
        "notes": "Notes",
        "methods_in_warehouse": "Methods in this warehouse",
        "first_used": "first used",
        "portals_scored": "portals scored with it",
        "method_mismatch": "The published scores were computed with method {old}; this code runs {new}. Run 'odwatch assess --all' to recompute.",
        "downloads_title": "Downloads: our results are open data",
        "downloads_help": "Every number on these pages comes from these files. CSV cells that a spreadsheet could run as a formula start with an apostrophe.",
        "file": "File",
        "rows": "Rows",
        "size": "Size",
        "catalog": "DCAT catalogue of these downloads",
        "table_scores": "Latest score of every city (the ranking)",
        "table_history": "Score of every snapshot",
        "table_indicators": "Points per MQA indicator, latest snapshot",
        "table_findings": "Findings of the latest snapshots",
        "table_findings_city": "Findings of {city}",
        "license_note": "Licence of these results",
        "harvest_failed": "failed",
        "no_data": "No data yet.",
        "inhabitants": "inhabitants",
        "findings": "Findings",
        "previous_snapshot": "previous snapshot",
        "city_change": "change by the city",
        "method_change": "change by the method",
        "points_raw": "points over the indicators that could be judged",
        "stars": "5-star openness",
        "stars_help": "datasets by their best distribution's stars",
        "skip": "Skip to content",
        "judged_base": "{released} of {judged} judged",
        "unverified_n": "{n} unverified",
        "not_verifiable": "not verifiable yet",
        "not_verifiable_help": "too few datasets could be judged (links not verified yet): a share needs at least {min} datasets (or all of a smaller catalogue) and {share} of the datasets",
        "threshold_help": "A share is shown with its base, and only when at least {min} datasets (or all of a smaller catalogue) and {share} of the datasets could be judged; below that it reads \u201cnot verifiable yet\u201d and the city is listed unranked.",
        "released_per_100k": "Released per 100k inh.",
        "released_per_100k_help": "really released datasets per 100,000 inhabitants",
        "datasets_per_100k": "Datasets per 100k inh.",
        "datasets_per_100k_help": "all datasets per 100,000 inhabitants",
        "chart_released": "Really released share per city, with its base",
        "chart_released_desc": "One bar per city: the share of its judged datasets that are really released; cities whose share is not verifiable yet have no bar.",
        "catalogues": "Regional and national catalogues (not ranked)",
        "catalogues_help": "These catalogues collect datasets of many publishers, including cities ranked above through their own entries; they are scored here but not ranked as cities, so no city's data is counted twice.",
        "catalogue": "Catalogue",
        "kind_regional": "regional catalogue",
        "kind_national": "national catalogue",
        "kind_city": "city",
        "cities_in_it": "Ranked cities in it",
        "sources": "Where these numbers come from",
        "source_portal": "Harvested from {title} ({url})",
        "source_org": "only the datasets of the organisation {org}",
        "source_also_in": "The same datasets are also part of {catalogues}, listed apart and not ranked, so they count once: for this city.",
        "source_contains": "This catalogue also holds the datasets of {cities}, ranked as cities through their own entries; it is not ranked itself.",
        "source_kind": "This is a {kind}: it is scored but not ranked as a city.",
        "points_explain": "{points} points over the {assessable} that could be judged ({not_checked} not checked), scaled to {max}: the band uses this number.",
        "as_table": "As a table",
        "late_by": "Late by",
        "release_first": "Fix for \u201creally released\u201d",
        "release_first_help": "findings marked \u2605 keep the dataset from being really released",
        "to_release": "datasets a fix would release",
        "not_released": "not released",
        "undetermined": "undetermined",
        "days_late": "days late",
        "unranked": "not ranked",
    },
    "de": {
        "lang_name": "Deutsch",
        "switch": "English",
        "site_title": "odwatch: Welche Städte ihre Daten wirklich veröffentlichen",
        "tagline": "Wöchentliche, automatische Prüfung dessen, was Städte auf ihren Open-Data-Portalen veröffentlichen: Sind die Daten erreichbar, maschinenlesbar, offen lizenziert und aktuell?",
        "ranking": "Rangliste",
        "method": "Methode",
        "downloads": "Downloads",
        "generated": "Erstellt",
        "rank": "#",
        "city": "Stadt",
        "portal": "Portal",
        "released": "Wirklich veröffentlicht",
        "released_help": "Datensätze mit mindestens einer Distribution, die erreichbar, maschinenlesbar und offen lizenziert ist, und aktuell, wo eine Frequenz angegeben ist; von den Datensätzen, bei denen sich das feststellen ließ",
        "points": f"Punkte (von {MAX_POINTS})",
        "points_help": f"Punkte nach MQA-Art, auf {MAX_POINTS} hochgerechnet über das Prüfbare",
        "band": "Stufe",
        "datasets": "Datensätze",
        "per_100k": "je 100.000 Einwohner",
        "per_100k_short": "je 100.000 Einw.",
        "change": "Änderung",
        "change_help": "Punkte seit dem vorigen Stand, gleiche Methode",
        "snapshot": "Stand",
        "last_harvest": "Letzter Abruf",
        "not_harvested": "noch nicht abgerufen",
        "not_scored": "noch nicht bewertet",
        "sort_hint": "Zum Sortieren auf eine Spaltenüberschrift klicken.",
        "no_released": "Den Anteil „wirklich veröffentlicht“ berechnet dieses Warehouse noch nicht.",
        "method_changed": "Methodenwechsel",
        "score_by_dimension": "Punkte nach Dimension",
        "dimension": "Dimension",
        "assessable": "prüfbar",
        "max": "max.",
        "indicator": "Indikator",
        "weight": "Gewicht",
        "passed": "erfüllt",
        "failed": "nicht erfüllt",
        "share": "Anteil",
        "not_checked": "nicht geprüft",
        "trend": "Verlauf über alle Stände",
        "trend_points": f"Punkte (auf {MAX_POINTS}) je Stand",
        "trend_shares": "Anteile je Stand",
        "licence_mix": "Lizenzen",
        "licence": "Lizenz",
        "open": "offen",
        "not_open": "nicht offen",
        "unknown": "unbekannt",
        "missing": "fehlt",
        "format_mix": "Formate",
        "format": "Format",
        "distributions": "Distributionen",
        "machine_readable": "maschinenlesbar",
        "non_proprietary": "offenes Format",
        "link_health": "Erreichbarkeit der Links",
        "outcome": "Ergebnis",
        "links_none": "Für dieses Portal gibt es noch keine Linkprüfung.",
        "late": "Verspätete Datensätze",
        "late_help": "nicht so oft aktualisiert wie angegeben (zum Zeitpunkt des Abrufs)",
        "late_none": "Kein Datensatz ist verspätet.",
        "api_health": "Zustand der Portal-API",
        "harvests_ok": "erfolgreiche Abrufe",
        "harvest_time": "Abrufdauer",
        "requests": "Anfragen",
        "status": "Status",
        "started": "Beginn",
        "seconds": "Sekunden",
        "error": "Fehler",
        "fix_list": "Korrekturliste",
        "fix_help": "Zuerst die Datensätze, die eine Korrektur wirklich veröffentlichen würde (eine nicht offene Lizenz, ein toter Link, eine Webseite statt Daten, ein verspäteter Datensatz: mit \u2605 markiert), dann die übrigen nach den Punkten, die ihre Korrektur brächte; nach Organisation gruppiert.",
        "organisation": "Organisation",
        "no_org": "(ohne Organisation)",
        "datasets_flagged": "Datensätze mit Befund",
        "points_to_gain": "mögliche Punkte",
        "top_fixes": "Am meisten zu gewinnen",
        "how_to_fix": "So beheben Sie die Befunde auf dieser Seite",
        "gain_help": "Gewinn: um so viele Punkte stiege die Bewertung des Datensatzes selbst (nach MQA-Art, als wäre er ein Katalog mit einem Datensatz).",
        "requests_h": "Anfragen",
        "gain": "Gewinn",
        "dataset": "Datensatz",
        "code": "Code",
        "evidence": "Beleg",
        "fix": "Korrektur",
        "severity": "Schwere",
        "page": "Seite",
        "of": "von",
        "unverified": "nicht bestimmt (Links nicht geprüft)",
        "previous": "zurück",
        "next": "weiter",
        "all_orgs": "alle Organisationen",
        "changes": "Seit dem letzten Stand",
        "new": "neu",
        "resolved": "behoben",
        "recurring": "weiterhin",
        "changes_help": "Befunde (Datensatz und Code) im Vergleich zum vorigen Stand unter derselben Methode",
        "changes_none": "Kein vorheriger Stand zum Vergleich.",
        "dataset_gone": "Datensatz nicht mehr gelistet",
        "more_in_downloads": "weitere in den Downloads",
        "back": "zurück zur Rangliste",
        "badge": "Badge",
        "badge_help": "Dieses Badge können Sie auf Ihrem Portal einbinden:",
        "download_findings": "Befunde dieser Stadt",
        "method_title": "Wie die Punkte berechnet werden",
        "method_version": "Methodenversion",
        "fingerprint": "Fingerabdruck",
        "indicators": f"Indikatoren (MQA, {MAX_POINTS} Punkte)",
        "checks": "Prüfungen (Befundcodes)",
        "level": "Ebene",
        "kind": "Art",
        "costs": "Kostet Punkte bei",
        "passes_when": "Erfüllt, wenn",
        "requires": "braucht",
        "bands": "Stufen",
        "lowest": "ab",
        "notes": "Hinweise",
        "methods_in_warehouse": "Methoden in diesem Warehouse",
        "first_used": "zuerst verwendet",
        "portals_scored": "damit bewertete Portale",
        "method_mismatch": "Die veröffentlichten Punkte wurden mit Methode {old} berechnet; dieser Code verwendet {new}. 'odwatch assess --all' rechnet neu.",
        "downloads_title": "Downloads: Unsere Ergebnisse sind offene Daten",
        "downloads_help": "Jede Zahl auf diesen Seiten stammt aus diesen Dateien. CSV-Zellen, die eine Tabellenkalkulation als Formel ausführen könnte, beginnen mit einem Apostroph.",
        "file": "Datei",
        "rows": "Zeilen",
        "size": "Größe",
        "catalog": "DCAT-Katalog dieser Downloads",
        "table_scores": "Aktuelle Punkte jeder Stadt (die Rangliste)",
        "table_history": "Punkte jedes Stands",
        "table_indicators": "Punkte je MQA-Indikator, aktueller Stand",
        "table_findings": "Befunde der aktuellen Stände",
        "table_findings_city": "Befunde für {city}",
        "license_note": "Lizenz dieser Ergebnisse",
        "harvest_failed": "fehlgeschlagen",
        "no_data": "Noch keine Daten.",
        "inhabitants": "Einwohner",
        "findings": "Befunde",
        "previous_snapshot": "voriger Stand",
        "city_change": "Änderung durch die Stadt",
        "method_change": "Änderung durch die Methode",
        "points_raw": "Punkte über die prüfbaren Indikatoren",
        "stars": "5-Sterne-Offenheit",
        "stars_help": "Datensätze nach den Sternen ihrer besten Distribution",
        "skip": "Zum Inhalt springen",
        "judged_base": "{released} von {judged} beurteilt",
        "unverified_n": "{n} nicht geprüft",
        "not_verifiable": "noch nicht überprüfbar",
        "not_verifiable_help": "zu wenige Datensätze ließen sich beurteilen (Links noch nicht geprüft): ein Anteil braucht mindestens {min} Datensätze (oder alle eines kleineren Katalogs) und {share} der Datensätze",
        "threshold_help": "Ein Anteil steht immer mit seiner Basis da, und nur, wenn sich mindestens {min} Datensätze (oder alle eines kleineren Katalogs) und {share} der Datensätze beurteilen ließen; sonst steht dort \u201enoch nicht überprüfbar\u201c und die Stadt erscheint ohne Rang.",
        "released_per_100k": "Veröffentl. je 100.000 Einw.",
        "released_per_100k_help": "wirklich veröffentlichte Datensätze je 100.000 Einwohner",
        "datasets_per_100k": "Datensätze je 100.000 Einw.",
        "datasets_per_100k_help": "alle Datensätze je 100.000 Einwohner",
        "chart_released": "Anteil wirklich veröffentlicht je Stadt, mit seiner Basis",
        "chart_released_desc": "Ein Balken je Stadt: der Anteil ihrer beurteilten Datensätze, die wirklich veröffentlicht sind; Städte, deren Anteil noch nicht überprüfbar ist, haben keinen Balken.",
        "catalogues": "Regionale und nationale Kataloge (ohne Rang)",
        "catalogues_help": "Diese Kataloge sammeln Datensätze vieler Stellen, auch von Städten, die oben über ihre eigenen Einträge eingestuft sind; sie werden bewertet, aber nicht als Städte eingestuft, damit keine Daten einer Stadt doppelt zählen.",
        "catalogue": "Katalog",
        "kind_regional": "regionaler Katalog",
        "kind_national": "nationaler Katalog",
        "kind_city": "Stadt",
        "cities_in_it": "Eingestufte Städte darin",
        "sources": "Woher diese Zahlen stammen",
        "source_portal": "Abgerufen von {title} ({url})",
        "source_org": "nur die Datensätze der Organisation {org}",
        "source_also_in": "Dieselben Datensätze sind auch Teil von {catalogues}; der Katalog steht gesondert und ohne Rang, sie zählen also einmal: für diese Stadt.",
        "source_contains": "Dieser Katalog enthält auch die Datensätze von {cities}, die über ihre eigenen Einträge als Städte eingestuft sind; er selbst hat keinen Rang.",
        "source_kind": "Dies ist ein {kind}: er wird bewertet, aber nicht als Stadt eingestuft.",
        "points_explain": "{points} Punkte von den {assessable} prüfbaren ({not_checked} nicht geprüft), auf {max} hochgerechnet: danach richtet sich die Stufe.",
        "as_table": "Als Tabelle",
        "late_by": "Verspätet um",
        "release_first": "Korrektur für \u201ewirklich veröffentlicht\u201c",
        "release_first_help": "mit \u2605 markierte Befunde verhindern, dass der Datensatz wirklich veröffentlicht ist",
        "to_release": "Datensätze, die eine Korrektur veröffentlichen würde",
        "not_released": "nicht veröffentlicht",
        "undetermined": "nicht bestimmt",
        "days_late": "Tage verspätet",
        "unranked": "ohne Rang",
    },
}

# Counted nouns: key -> (one, many), so that "1 day" and "2 days" both read right.
PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "city": ("city", "cities"),
        "catalogue": ("catalogue", "catalogues"),
        "dataset": ("dataset", "datasets"),
        "snapshot": ("snapshot", "snapshots"),
        "indicator": ("indicator", "indicators"),
        "code": ("finding code", "finding codes"),
        "day": ("day", "days"),
        "day_late": ("day late", "days late"),
    },
    "de": {
        "city": ("Stadt", "Städte"),
        "catalogue": ("Katalog", "Kataloge"),
        "dataset": ("Datensatz", "Datensätze"),
        "snapshot": ("Stand", "Stände"),
        "indicator": ("Indikator", "Indikatoren"),
        "code": ("Befundcode", "Befundcodes"),
        "day": ("Tag", "Tage"),
        "day_late": ("Tag verspätet", "Tage verspätet"),
    },
}

BANDS: dict[str, dict[str, str]] = {
    "en": {"excellent": "excellent", "good": "good", "sufficient": "sufficient", "bad": "bad"},
    "de": {
        "excellent": "ausgezeichnet",
        "good": "gut",
        "sufficient": "ausreichend",
        "bad": "schlecht",
    },
}

DIMENSIONS: dict[str, dict[str, str]] = {
    "en": {
        "findability": "Findability",
        "accessibility": "Accessibility",
        "interoperability": "Interoperability",
        "reusability": "Reusability",
        "contextuality": "Contextuality",
    },
    "de": {
        "findability": "Auffindbarkeit",
        "accessibility": "Zugänglichkeit",
        "interoperability": "Interoperabilität",
        "reusability": "Wiederverwendbarkeit",
        "contextuality": "Kontext",
    },
}

# link-check outcomes (warehouse/schema_links.sql) and harvest statuses
TERMS: dict[str, dict[str, str]] = {
    "en": {
        "ok": "ok",
        "dead": "dead",
        "failing": "failing (not confirmed yet)",
        "blocked": "blocked",
        "server-error": "server error",
        "timeout": "timeout",
        "invalid-url": "invalid URL",
        "refused-private-address": "private address",
        "error": "error",
        "unchecked": "not checked",
        "failed": "failed",
        "abandoned": "abandoned",
        "running": "running",
        "error_sev": "error",
        "warning": "warning",
        "info": "info",
        "dataset": "dataset",
        "distribution": "distribution",
        "best-distribution": "best distribution",
        "mqa": "MQA",
        "conformance": "conformance",
        "open-data": "open data",
        "freshness": "freshness",
        "catalogue": "catalogue",
        "content": "file content",
        "link-checks": "link checks",
        "shacl": "SHACL",
    },
    "de": {
        "ok": "ok",
        "dead": "tot",
        "failing": "fehlerhaft (noch unbestätigt)",
        "blocked": "blockiert",
        "server-error": "Serverfehler",
        "timeout": "Zeitüberschreitung",
        "invalid-url": "ungültige URL",
        "refused-private-address": "private Adresse",
        "error": "Fehler",
        "unchecked": "nicht geprüft",
        "failed": "fehlgeschlagen",
        "abandoned": "abgebrochen",
        "running": "läuft",
        "error_sev": "Fehler",
        "warning": "Warnung",
        "info": "Hinweis",
        "dataset": "Datensatz",
        "distribution": "Distribution",
        "best-distribution": "beste Distribution",
        "mqa": "MQA",
        "conformance": "Konformität",
        "open-data": "Offenheit",
        "freshness": "Aktualität",
        "catalogue": "Katalog",
        "content": "Dateiinhalt",
        "link-checks": "Linkprüfung",
        "shacl": "SHACL",
    },
}

# German titles and fix hints of the checks in checks.scoring (code -> (title, fix)).
CHECKS_DE: dict[str, tuple[str, str]] = {
    "missing-keywords": ("Keine Schlagwörter", "Ergänzen Sie einige Schlagwörter (Tags), nach denen Menschen suchen würden."),
    "missing-themes": ("Keine Kategorie", "Ordnen Sie mindestens eine Kategorie zu (DCAT-Thema / CKAN-Gruppe)."),
    "missing-spatial": ("Kein räumlicher Bezug", "Geben Sie das abgedeckte Gebiet an (Ortsname, Regionalschlüssel oder Geometrie)."),
    "missing-temporal": ("Kein zeitlicher Bezug", "Geben Sie den abgedeckten Zeitraum an (Beginn und Ende)."),
    "no-distributions": ("Keine Distributionen", "Fügen Sie mindestens eine Ressource mit Download- oder Zugangs-URL hinzu."),
    "broken-access-url": ("Zugangs-URL ist tot", "Korrigieren oder ersetzen Sie die Zugangs-URL: die Linkprüfung fand sie nicht mehr (404/410, kein solcher Host, abgewiesen)."),
    "missing-download-url": ("Keine Download-URL", "Geben Sie die direkte Adresse der Datei als Download-URL an: in CKAN als Download-Link der Ressource oder als hochgeladene Datei; ist die angegebene URL eine Seite über die Daten, ergänzen Sie die URL der Datei selbst."),
    "broken-download-url": ("Download-URL ist tot", "Korrigieren oder ersetzen Sie die Download-URL: die Linkprüfung fand sie nicht mehr."),
    "missing-format": ("Kein Format", "Geben Sie das Format der Ressource an (z. B. CSV, GeoJSON)."),
    "missing-media-type": ("Kein Medientyp", "Geben Sie den Medientyp der Ressource an (z. B. text/csv)."),
    "format-not-in-vocabulary": ("Format nicht aus einem Vokabular", "Verwenden Sie einen Standard-Formatnamen oder EU-Dateityp (CSV, JSON, XLSX …) statt Freitext."),
    "unknown-format": ("Format nicht erkannt", "Geben Sie mit einem Standard-Formatnamen an, was die Datei ist; odwatch erkennt diesen Wert nicht."),
    "proprietary-format": ("Proprietäres Format", "Veröffentlichen Sie die Daten auch in einem offenen Format (CSV statt XLSX, GeoJSON/GPKG statt SHP)."),
    "not-machine-readable": ("Nicht maschinenlesbar", "Veröffentlichen Sie die Daten selbst in einem strukturierten Format (CSV, JSON, XML), nicht als PDF oder Webseite."),
    "missing-license": ("Keine Lizenz", "Geben Sie eine Lizenz an, am besten eine offene wie CC BY 4.0 oder dl-de/by-2.0."),
    "unknown-license": ("Lizenz nicht erkannt", "Verwenden Sie eine Standard-Lizenzkennung oder -URI; odwatch kann nicht erkennen, was dieser Wert erlaubt."),
    "license-not-in-vocabulary": ("Lizenz ohne Vokabular-URI", "Verwenden Sie eine Lizenz aus dem DCAT-AP.de- / EU-Lizenzvokabular."),
    "missing-access-rights": ("Keine Zugriffsrechte", "Geben Sie die Zugriffsrechte an (z. B. …/access-right/PUBLIC)."),
    "access-rights-not-in-vocabulary": ("Zugriffsrechte nicht aus dem EU-Vokabular", "Verwenden Sie eine EU-Access-Right-URI wie http://publications.europa.eu/resource/authority/access-right/PUBLIC."),
    "missing-contact-point": ("Kein Ansprechpartner", "Nennen Sie einen Ansprechpartner (Maintainer) mit E-Mail-Adresse."),
    "missing-publisher": ("Keine veröffentlichende Stelle", "Nennen Sie die veröffentlichende Stelle."),
    "missing-rights": ("Keine Rechteangabe", "Ergänzen Sie eine Rechteangabe (dct:rights) an der Ressource."),
    "missing-byte-size": ("Keine Dateigröße", "Tragen Sie die Dateigröße der Ressource ein."),
    "missing-issued": ("Kein Veröffentlichungsdatum", "Tragen Sie ein, wann der Datensatz zuerst veröffentlicht wurde."),
    "missing-modified": ("Kein Änderungsdatum", "Tragen Sie ein, wann der Datensatz zuletzt geändert wurde."),
    "missing-title": ("Kein Titel", "Geben Sie dem Datensatz einen Titel."),
    "missing-access-url": ("Keine Zugangs-URL", "Geben Sie der Ressource eine URL, unter der die Daten erreichbar sind."),
    "missing-description": ("Keine Beschreibung", "Beschreiben Sie, was die Daten enthalten und wie sie entstanden sind."),
    "invalid-access-url": ("Zugangs-URL ist keine gültige http(s)-URL", "Korrigieren Sie die URL: sie muss mit http:// oder https:// beginnen und einen Host nennen."),
    "invalid-download-url": ("Download-URL ist keine gültige http(s)-URL", "Korrigieren Sie die URL: sie muss mit http:// oder https:// beginnen und einen Host nennen."),
    "invalid-contact-email": ("Kontakt-E-Mail ist keine gültige Adresse", "Tragen Sie genau eine E-Mail-Adresse (name@example.org) in das Kontakt-E-Mail-Feld ein."),
    "invalid-contact-url": ("Kontakt-URL ist keine gültige URL", "Tragen Sie eine http(s)- oder mailto:-URL in das Kontakt-URL-Feld ein."),
    "unparseable-date": ("Datum nicht lesbar", "Schreiben Sie Daten nach ISO 8601 (2024-05-31 oder 2024-05-31T12:00:00Z)."),
    "future-modified-date": ("Änderungsdatum in der Zukunft", "Korrigieren Sie das Änderungsdatum: es liegt nach dem Abruf."),
    "unregistered-media-type": ("Medientyp nicht registriert", "Verwenden Sie einen bei der IANA registrierten Medientyp (z. B. text/csv, application/json)."),
    "non-open-license": ("Lizenz ist nicht offen", "Veröffentlichen Sie unter einer offenen Lizenz (CC BY 4.0, CC0, dl-de/by-2.0, dl-de/zero-2.0); NC- und ND-Lizenzen sind nicht offen."),
    "stale-vs-declared-frequency": ("Nicht so oft aktualisiert wie angegeben", "Aktualisieren Sie die Daten (und ihr Änderungsdatum) oder korrigieren Sie die angegebene Aktualisierungsfrequenz."),
    "missing-frequency": ("Keine Aktualisierungsfrequenz angegeben", "Geben Sie an, wie oft die Daten aktualisiert werden (z. B. monatlich, jährlich, unregelmäßig)."),
    "unknown-frequency": ("Aktualisierungsfrequenz nicht erkannt", "Verwenden Sie einen EU-Frequenzbegriff (DAILY, WEEKLY, MONTHLY, ANNUAL, IRREG …)."),
    "empty-file": ("Datei ist leer", "Laden Sie die Daten hoch: die Datei hat keine Bytes oder nur Leerraum."),
    "html-instead-of-data": ("Webseite statt der Daten", "Verlinken Sie die Datendatei selbst, nicht eine Webseite darüber."),
    "format-mismatch": ("Datei hat ein anderes Format als angegeben", "Korrigieren Sie die Formatangabe auf das, was die Datei ist, oder laden Sie die angegebene Datei hoch."),
    "invalid-json": ("JSON nicht lesbar", "Korrigieren Sie die JSON-Syntax, sodass ein Standard-Parser die ganze Datei liest."),
    "not-utf8": ("Text ist nicht UTF-8", "Veröffentlichen Sie den Text in UTF-8-Kodierung."),
    "utf8-bom": ("UTF-8 mit Byte-Order-Mark", "Speichern Sie die Datei als UTF-8 ohne Byte-Order-Mark; manche Werkzeuge lesen sie als Daten."),
    "no-rows": ("Kopfzeile, aber keine Datenzeilen", "Laden Sie die Datenzeilen hoch oder entfernen Sie die leere Tabelle."),
    "blank-header": ("Spalte ohne Namen", "Geben Sie jeder Spalte in der Kopfzeile einen Namen."),
    "duplicate-header": ("Spaltenname doppelt", "Vergeben Sie eindeutige Spaltennamen."),
    "multiline-header": ("Zeilenumbruch im Spaltennamen", "Schreiben Sie jeden Spaltennamen in eine Zeile."),
    "empty-rows": ("Leere Zeilen", "Entfernen Sie die Zeilen ohne Wert (nur Trennzeichen oder Leerzeilen)."),
    "mixed-line-endings": ("Gemischte Zeilenenden", "Beenden Sie alle Datensätze gleich (alle CRLF oder alle LF)."),
    "unparseable-csv": ("CSV nicht lesbar", "Korrigieren Sie die Anführungszeichen, sodass ein Standard-CSV-Leser die ganze Datei liest."),
    "delimiter-changed": ("Trennzeichen innerhalb einer Reihe geändert", "Behalten Sie das Trennzeichen der früheren Dateien derselben Reihe bei."),
    "column-order-changed": ("Spaltenreihenfolge innerhalb einer Reihe geändert", "Behalten Sie die Spaltenreihenfolge der früheren Dateien derselben Reihe bei."),
    "ragged-rows": ("Zeilen ungleicher Breite", "Geben Sie jeder Zeile so viele Werte, wie die Kopfzeile Spalten hat."),
    "empty-column": ("Leere Spalte", "Füllen Sie die Spalte oder entfernen Sie sie."),
    "columns-changed": ("Spalten innerhalb einer Reihe geändert", "Behalten Sie die Spalten der früheren Dateien derselben Reihe bei oder beginnen Sie eine neue Reihe."),
}  # fmt: skip

# German labels and pass rules of the MQA indicators (id -> (label, passes when)).
INDICATORS_DE: dict[str, tuple[str, str]] = {
    "keywords": ("Schlagwörter", "mindestens ein Schlagwort (dcat:keyword, CKAN-Tags)"),
    "themes": ("Kategorien", "mindestens ein Thema (dcat:theme, CKAN-Gruppen)"),
    "spatial": ("Räumliche Suche", "ein räumlicher Bezug (dct:spatial)"),
    "temporal": ("Zeitliche Suche", "Beginn oder Ende eines zeitlichen Bezugs (dct:temporal)"),
    "access-url-reachable": ("Erreichbarkeit der AccessURL", "die letzte Linkprüfung der Zugangs-URL ist ok (tot zählt als nicht erfüllt; blockiert, Zeitüberschreitung und ungeprüft werden nicht gewertet)"),
    "download-url": ("DownloadURL", "eine Download-URL (dcat:downloadURL; CKAN: eine hochgeladene Datei)"),
    "download-url-reachable": ("Erreichbarkeit der DownloadURL", "die letzte Linkprüfung der Download-URL ist ok (nur gewertet, wo es eine Download-URL gibt)"),
    "format": ("Format", "ein angegebenes Format (dct:format)"),
    "media-type": ("Medientyp", "ein angegebener Medientyp (dcat:mediaType)"),
    "format-vocabulary": ("Format / Medientyp aus Vokabular", "Format oder Medientyp ist ein EU-Dateityp oder IANA-Medientyp oder eine darauf abbildbare Bezeichnung"),
    "non-proprietary": ("Nicht proprietär", "das Format (angegeben, sonst Medientyp, sonst URL-Endung) ist offen"),
    "machine-readable": ("Maschinenlesbar", "das Format ist maschinenlesbar"),
    "dcat-ap-compliance": ("DCAT-AP-Konformität", "SHACL-Validierung gegen DCAT-AP (nicht geprüft: CKAN-JSON ist kein DCAT-AP-RDF)"),
    "license": ("Lizenzangabe", "eine Lizenz an der Distribution, sonst am Datensatz"),
    "license-vocabulary": ("Lizenzvokabular", "die Lizenz steht in unserer Lizenztabelle und hat eine DCAT-AP.de- oder EU-Vokabular-URI"),
    "access-rights": ("Zugriffsbeschränkungen", "eine Angabe der Zugriffsrechte (dct:accessRights)"),
    "access-rights-vocabulary": ("Vokabular der Zugriffsbeschränkungen", "Zugriffsrechte als EU-Access-Right-URI (PUBLIC, RESTRICTED, NON_PUBLIC …)"),
    "contact-point": ("Kontaktstelle", "ein Kontaktname, eine E-Mail oder URL (dcat:contactPoint; CKAN maintainer/author)"),
    "publisher": ("Veröffentlichende Stelle", "eine veröffentlichende Stelle (dct:publisher; CKAN: die Organisation)"),
    "rights": ("Rechte", "eine Rechteangabe (dct:rights)"),
    "byte-size": ("Dateigröße", "eine Dateigröße (dcat:byteSize; CKAN size)"),
    "issued": ("Veröffentlichungsdatum", "ein Veröffentlichungsdatum (dct:issued; CKAN metadata_created)"),
    "modified": ("Änderungsdatum", "ein Änderungsdatum (dct:modified; CKAN metadata_modified)"),
}  # fmt: skip


def text(lang: str, key: str) -> str:
    """The UI word for `key` in `lang` (English when German lacks it; the key when both do)."""
    return UI.get(lang, UI["en"]).get(key) or UI["en"].get(key, key)


def count(n: int | None, lang: str, key: str) -> str:
    """'1 day' / '2 days', '1 Tag' / '2 Tage': the number as :func:`number` writes it, then
    the noun in the form it takes (singular only for exactly one)."""
    one, many = PLURALS.get(lang, PLURALS["en"]).get(key) or PLURALS["en"][key]
    return f"{number(n, lang)} {one if n == 1 else many}"


def term(lang: str, key: str | None) -> str:
    if key is None:
        return "–"
    return TERMS.get(lang, TERMS["en"]).get(key) or TERMS["en"].get(key, key)


def band_name(lang: str, band: str | None) -> str:
    if not band:
        return "–"
    return BANDS.get(lang, BANDS["en"]).get(band, band)


def dimension_name(lang: str, dimension: str) -> str:
    return DIMENSIONS.get(lang, DIMENSIONS["en"]).get(dimension, dimension)


def check_text(lang: str, code: str, title: str | None, fix: str | None) -> tuple[str, str]:
    """(title, fix hint) of a finding code in `lang`; English from the method table otherwise."""
    if lang == "de" and code in CHECKS_DE:
        return CHECKS_DE[code]
    return title or code, fix or ""


def indicator_text(lang: str, indicator_id: str, label: str, passes_when: str) -> tuple[str, str]:
    if lang == "de" and indicator_id in INDICATORS_DE:
        return INDICATORS_DE[indicator_id]
    return label, passes_when


# ---------------------------------------------------------------- numbers and dates


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """1 234.5 (en) / 1 234,5 (de): a narrow no-break space groups thousands in both."""
    if value is None:
        return "–"
    s = f"{value:,.{digits}f}"
    s = s.replace(",", "\u202f")
    if lang == "de":
        s = s.replace(".", ",")
    return s


def percent(share: float | None, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as '66.7 %' / '66,7 %'."""
    if share is None:
        return "–"
    return f"{number(share * 100, lang, digits)}\u202f%"


def delta(value: float | None, lang: str, digits: int = 1, unit: str = "") -> str:
    """Signed change: '+3.0', '−1.5', '±0' (minus sign, not hyphen)."""
    if value is None:
        return "–"
    if round(value, digits) == 0:
        return "±0" + unit
    sign = "+" if value > 0 else "\u2212"
    return sign + number(abs(value), lang, digits) + unit


def day(value: datetime | None) -> str:
    """2026-11-22 (UTC): the same in both languages, and sorts as text."""
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d")


def moment(value: datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")
