"""The folder a site is built into: checked, locked, and replaced whole by a build.

A build writes into a staging folder beside --out and swaps it in at the end, so a reader
of --out (a web server, an upload) sees the old site or the new one. Two builds into one
--out would share that staging folder (one removing what the other wrote, then swapping
in a site with pages missing), so a build holds the folder's lock (`output_lock`) from
its check to its swap; a second build refuses in one line naming the first.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

from archiver.archive.lock import output_lock
from archiver.errors import ArchiverError

__all__ = ["MARKER", "check_out_dir", "locked_out_dir", "staged"]

# A built site carries this file, so a rebuild may replace the folder and nothing else is.
MARKER = ".archiver-site"


def locked_out_dir(out: Path) -> contextlib.AbstractContextManager[None]:
    """Return the lock of a site's output folder, held for a whole build."""
    return output_lock(out, f"site --out {out.name}")


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that is not empty and not a site this command built."""
    if out.exists() and not out.is_dir():
        raise ArchiverError(f"{out} is a file; pass --out a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise ArchiverError(
            f"{out} is not empty and was not built by `archiver site`; "
            "pick an empty or new folder for --out"
        )


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield the folder beside out to build into: swapped in for out when the block ends,
    removed when it fails (a full disk, a kill), leaving out whole and no half-built copy
    holding on to the space that ran out."""
    staging = out.with_name(f".{out.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap(staging, out)


def _swap(staging: Path, out: Path) -> None:
    """Replace out with the freshly built folder."""
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(out)
