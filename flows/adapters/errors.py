"""Named errors every adapter raises; str() is one line for harvest_runs.error.

What a portal sends ends up in these messages (a snippet of an HTML page, a URL from a
Hydra link), and from there on terminals, in logs, the Prefect UI and alerts: str() is one
line with control and bidirectional-override characters written as escapes, so a portal
cannot colour, rewrite or reorder what an operator reads.
"""

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` on one line, control and bidi-override characters escaped (\\x1b, \\u202e)."""
    text = " ".join(text.split())
    return _UNSAFE.sub(lambda m: ascii(m.group())[1:-1], text)


def snippet(text: str, n: int = 60) -> str:
    """The first `n` characters of what a portal sent, printable (see printable())."""
    return printable(" ".join(text.split())[:n])


def connection_reason(exc: BaseException) -> str:
    """Why a request failed, short: the part of a requests/urllib3 message after its prefix."""
    text = str(exc)
    for marker in ("Failed to establish a new connection: ", "Caused by "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return snippet(text.strip("()'\""), 120)


class PortalError(Exception):
    """A portal could not be harvested; the message says where and why."""

    def __str__(self) -> str:
        return printable(super().__str__())


class PortalIncompatible(PortalError):
    """The portal answered, but not with the API we expected (an HTML page, another platform)."""


class PortalUnavailable(PortalError):
    """The portal could not be reached, timed out, or kept failing."""


class ResponseTooLarge(PortalError):
    """An answer grew past the portal's response cap (`max_response_mb`); the read stopped.

    `partial` holds what was read up to the cap, for the raw page kept as evidence."""

    partial: bytes | bytearray = b""

    def take_partial(self) -> bytes | bytearray:
        """`partial`, handed over once: the exception no longer keeps it alive."""
        out, self.partial = self.partial, b""
        return out


class TooDeep(PortalIncompatible):
    """JSON nested deeper than a parser can follow: named, never a RecursionError traceback."""
