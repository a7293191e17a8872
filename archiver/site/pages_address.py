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
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

from archiver.errors import ArchiverError

REPOSITORY_ENV = "GITHUB_REPOSITORY"
CNAME_FILE = "CNAME"
# What a URL's path holds as it is (RFC 3986: unreserved, sub-delims, ":", "@", "/"), and
# the `%` of an escape already made; anything else (a space, `é`) is percent-encoded.
PATH_SAFE = "/!$&'()*+,;=:@-._~%"
LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# The site's front page: a path naming it (as a browser's address bar may show the site's
# address) names the site's folder; kept, every link grown from it led nowhere.
FRONT_PAGE = "/index.html"
HOST = re.compile(r"[a-z0-9.-]+(:[0-9]*)?|\[[0-9a-f:.]+\](:[0-9]*)?")


def pages_base_url(repository: str, domain: str | None = None) -> str:
    """Return the address Pages serves OWNER/NAME at, ending in '/'; a custom domain wins."""
    if domain and domain.strip():
        return _absolute(_whole(domain.strip()))
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
        address = _whole(given.strip())
        return _absolute(address) if "://" in address else _relative(address)
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


def _whole(address: str) -> str:
    """Return the address if links can be made by appending paths to it, else raise."""
    if "?" in address or "#" in address:
        # A query or fragment would end up in the middle of every link (or be dropped).
        raise ArchiverError(
            f"{address!r} holds a query or fragment ('?', '#'); give the address of the "
            "site's folder, like https://example.com/archive/"
        )
    return address


def _absolute(address: str) -> str:
    """Return an https URL for a host or URL (example.com, https://example.com/x), ending '/'."""
    parts = urlsplit(address if "://" in address else f"https://{address}")
    if parts.scheme.lower() not in ("http", "https") or not HOST.fullmatch(_host(parts.netloc)):
        raise ArchiverError(f"{address!r} is not a web address; give one like https://example.com/")
    path = _folder(_path(parts.path))
    return _with_slash(f"{parts.scheme.lower()}://{_host(parts.netloc)}{path}")


def _relative(address: str) -> str:
    """Return a site path (/archive) as links hold it, ending '/'."""
    if urlsplit(address).scheme:
        # `javascript:x/` or `localhost:8000`: a link made from it names a scheme, not a path.
        raise ArchiverError(f"{address!r} is not a web address; give one like https://example.com/")
    return _with_slash(_folder(_path(address)))


def _host(netloc: str) -> str:
    """Return a host in lower case, a non-ASCII one in its ASCII form (IDNA) that every feed
    reader and chat resolves; "" if it is none (`a..b`, a space the check then refuses)."""
    try:
        return netloc.lower().encode("idna").decode("ascii") if netloc.isprintable() else ""
    except UnicodeError:
        return ""


def _path(path: str) -> str:
    """Return a path as a link holds it: a space as %20, `é` as %C3%A9, an escape as it is."""
    return quote(LONE_PERCENT.sub("%25", path), safe=PATH_SAFE)


def _folder(path: str) -> str:
    """Return a path with the front page it ends in (`/archive/index.html`) taken off."""
    trimmed = path.rstrip("/")
    return trimmed.removesuffix(FRONT_PAGE) if trimmed.endswith(FRONT_PAGE) else path


def _with_slash(address: str) -> str:
    """Return the address ending in exactly one '/'."""
    return address.rstrip("/") + "/"
