"""Where GitHub Pages serves the site: the absolute base URL feeds and notifications link to.

GitHub's rule: a repository named ``<owner>.github.io`` is served at the root of
``https://<owner>.github.io/``; any other at ``https://<owner>.github.io/<repository>/``; a
custom domain replaces both. The workflows take the address from GitHub itself
(``actions/configure-pages`` reads the Pages settings, custom domain included) and pass it
on; this rule is the fallback when they cannot, and for runs outside a workflow that set
``GITHUB_REPOSITORY``. A ``CNAME`` file at the archive's root names a custom domain as
GitHub's branch-published sites do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from archiver.errors import ArchiverError

REPOSITORY_ENV = "GITHUB_REPOSITORY"
CNAME_FILE = "CNAME"


def pages_base_url(repository: str, domain: str | None = None) -> str:
    """Return the address Pages serves OWNER/NAME at, ending in '/'; a custom domain wins."""
    if domain and domain.strip():
        return _absolute(domain.strip())
    owner, _, name = repository.strip().strip("/").partition("/")
    if not owner or not name or "/" in name:
        raise ArchiverError(
            f"{REPOSITORY_ENV} is {repository!r}, not OWNER/NAME; pass the site's address instead"
        )
    # Host names are case-insensitive and GitHub serves them in lower case; paths are not.
    host = f"{owner.lower()}.github.io"
    if name.lower() == host:
        return f"https://{host}/"
    return f"https://{host}/{name}/"


def configured_base_url(
    given: str | None, repo: Path, environ: Mapping[str, str] | None = None
) -> str | None:
    """Return the base URL to use: the one given, else GitHub's rule for this run, else None."""
    if given and given.strip():
        return _absolute(given.strip()) if "://" in given else _with_slash(given.strip())
    repository = (os.environ if environ is None else environ).get(REPOSITORY_ENV, "")
    if not repository.strip():
        return None
    return pages_base_url(repository, _cname(repo))


def _cname(repo: Path) -> str | None:
    """Return the custom domain a CNAME file at the archive's root names, or None."""
    path = repo / CNAME_FILE
    if not path.is_file():
        return None  # Absent, or a FIFO or device (a committed link to /dev/zero): no domain.
    try:
        lines = path.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[0] if lines else None


def _absolute(address: str) -> str:
    """Return an https URL for a host or URL (example.com, https://example.com/x), ending '/'."""
    parts = urlsplit(address if "://" in address else f"https://{address}")
    if not parts.netloc:
        raise ArchiverError(f"{address!r} is not a web address; give one like https://example.com/")
    return _with_slash(f"{parts.scheme}://{parts.netloc.lower()}{parts.path}")


def _with_slash(address: str) -> str:
    """Return the address ending in exactly one '/'."""
    return address.rstrip("/") + "/"
