"""A digest of the archiver's own source, for what is derived by it and kept between runs.

The history index, the site's cache and the export's kept rows are derived by this code and
read back by later runs: each records the digest of the modules that derive it, so that an
update of that code derives them again instead of trusting what older code wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def source_digest(modules: Iterable[str], *, also: Iterable[bytes] = ()) -> hashlib._Hash:
    """Return a running digest of the named modules (paths relative to the package, in the
    order given, each with its path), then of each extra item (library versions)."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(module.encode() + b"\0" + (PACKAGE / module).read_bytes() + b"\0")
    for item in also:
        digest.update(item)
    return digest


def package_modules(keep: Callable[[str], bool] = lambda module: True) -> list[str]:
    """Return every module of the package (relative paths, sorted) that keep accepts."""
    found = (source.relative_to(PACKAGE).as_posix() for source in sorted(PACKAGE.rglob("*.py")))
    return [module for module in found if keep(module)]
