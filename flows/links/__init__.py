"""Link and content checks, the network half: check.py (the check-links flow and command),
probe.py (one HEAD/GET per URL), hostpool.py (politeness per host), content.py (sample files,
5-star ratings). The judgements are in checks/links.py, checks/content.py, checks/stars.py;
the rows are kept by warehouse/links.py."""
