"""Errors the archiver raises, one hierarchy.

    ArchiverError                 anything the archiver reports to a user
    ├── UnsafeKeyError            a key that cannot become a safe path
    ├── FetchError                an upstream request failed after its retries
    │   └── UpstreamDataError     a response arrived but is not what we need
    ├── CaptureError              a capture file that cannot be read
    └── StoreError                the git repository refused an operation

Every message names the entity, URL or path involved and the next step.
"""

from __future__ import annotations

import errno

# Write errors of a full disk, a full quota, and a file-size limit (RLIMIT_FSIZE).
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class ArchiverError(Exception):
    """Base class: an expected failure with a message meant for a person."""


class UnsafeKeyError(ArchiverError):
    """A key that would escape data/ or break a checkout on some OS."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why or message  # The reason alone, for a reader that writes nothing.


class FetchError(ArchiverError):
    """An upstream request failed after all retries."""

    def __init__(self, message: str, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class UpstreamDataError(FetchError):
    """A response arrived but its content is unusable (not JSON, truncated, wrong shape)."""


class CaptureError(ArchiverError):
    """A capture file is missing or malformed."""


class StoreError(ArchiverError):
    """The git repository could not be read or written."""
