"""openrouter-archiver: an hour-by-hour git history of OpenRouter's public catalog.

A library first, with the `archiver` command line on top. The public API:

    import archiver

    log = archiver.sync("archive")                      # one sync: fetch, commit if changed
    history = archiver.History("archive")               # versions, any epoch, changes
    report = archiver.build_site("archive", "site")     # the static site
    archiver.import_captures("archive", ["capture.jsonl.gz"])   # backfill recorded syncs
    archiver.telemetry.endpoint_series("archive", endpoint_id)  # the hourly figures

Names are imported on first use, so `import archiver` stays cheap for the command line.
Errors are `archiver.ArchiverError` and its subclasses (archiver.errors).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver import telemetry
    from archiver.archive.synclog import SyncLog
    from archiver.backfill import import_captures
    from archiver.capture.files import Capture, read_capture
    from archiver.capture.replay import ReplayServer
    from archiver.capture.transport import ReplayTransport
    from archiver.errors import ArchiverError
    from archiver.history.api import History
    from archiver.paths import Category, key_to_path, path_to_key
    from archiver.site import SiteReport, build_site
    from archiver.sync import SyncOptions, sync
    from archiver.upstream.fetch import FetchPolicy

__version__ = "0.1.0"

# Public name -> the module that defines it.
_EXPORTS = {
    "ArchiverError": "archiver.errors",
    "Capture": "archiver.capture.files",
    "Category": "archiver.paths",
    "FetchPolicy": "archiver.upstream.fetch",
    "History": "archiver.history.api",
    "ReplayServer": "archiver.capture.replay",
    "ReplayTransport": "archiver.capture.transport",
    "SiteReport": "archiver.site",
    "SyncLog": "archiver.archive.synclog",
    "SyncOptions": "archiver.sync",
    "build_site": "archiver.site",
    "import_captures": "archiver.backfill",
    "key_to_path": "archiver.paths",
    "path_to_key": "archiver.paths",
    "read_capture": "archiver.capture.files",
    "sync": "archiver.sync",
}

__all__ = [
    "ArchiverError",
    "Capture",
    "Category",
    "FetchPolicy",
    "History",
    "ReplayServer",
    "ReplayTransport",
    "SiteReport",
    "SyncLog",
    "SyncOptions",
    "build_site",
    "import_captures",
    "key_to_path",
    "path_to_key",
    "read_capture",
    "sync",
    "telemetry",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    if name == "telemetry":
        return importlib.import_module("archiver.telemetry")
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'archiver' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the public names too (PEP 562): `help(archiver)` documents what dir() lists, and
    the lazy names were in none of it (only `__all__`, cut short, under DATA)."""
    return sorted({*globals(), *__all__})


class _Package(ModuleType):
    """The package, whose public `sync` stays the function once archiver/sync.py is loaded.

    Importing a submodule binds it as an attribute of its package: `archiver.sync` became
    the module archiver/sync.py as soon as anything imported it (`archiver.SyncOptions`
    does, as does the first `archiver.sync`), and `archiver.sync("archive")` then raised
    TypeError ('module' object is not callable). The module stays in sys.modules, for
    `from archiver.sync import ...` and importlib.import_module("archiver.sync") (not
    `import archiver.sync as m`, which reads the attribute: the function).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and name in _EXPORTS:
            return  # A submodule named as a public name: __getattr__ answers the name.
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
