"""Named errors every adapter raises; str() is one line for harvest_runs.error."""


class PortalError(Exception):
    """A portal could not be harvested; the message says where and why."""


class PortalIncompatible(PortalError):
    """The portal answered, but not with the API we expected (an HTML page, another platform)."""


class PortalUnavailable(PortalError):
    """The portal could not be reached, timed out, or kept failing."""
