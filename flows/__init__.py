"""odwatch: harvest open-data portals, judge them, publish a scorecard."""

from importlib.metadata import version

__version__ = version("odwatch")  # one source: pyproject.toml's [project] version
