"""Writing a file of the site's cache: whole or not at all, never through a link.

The cache folder may be restored by actions/cache from another run, so it may hold a link
at any name; and a write may fail half-way (a full disk, a size limit). The file is written
under a temporary name created anew, then renamed over the old one; a failed write removes
its temporary file, which would otherwise keep the space that ran out, one per failed run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def replace_file(target: Path, chunks: Iterable[bytes]) -> None:
    """Write chunks to target: the old bytes stay until the new ones are all written."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}")
    # Never through a link a restored folder may hold at that name: a new file, or an error.
    temporary.unlink(missing_ok=True)
    try:
        with temporary.open("xb") as file:
            for chunk in chunks:
                file.write(chunk)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(target)
