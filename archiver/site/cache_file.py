"""Writing a file of the site's cache: whole or not at all, never through a link.

The cache folder may be restored by actions/cache from another run, so it may hold a link
at any name; a write may fail half-way (a full disk, a size limit); and two builds given
one --cache folder may write the same file at once. So each writer writes under a
temporary name of its own, created anew (its process id and a random part), then renames
it over the old file: a reader sees one writer's whole file, never a mix, and no writer
renames another's half-written file into place. A failed write removes its temporary file,
which would otherwise keep the space that ran out; a killed writer's is removed a day
later.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

# Far longer than any build: a temporary file this old is a killed writer's.
LEFTOVER_SECONDS = 24 * 3600.0


def replace_file(target: Path, chunks: Iterable[bytes]) -> None:
    """Write chunks to target: the old bytes stay until the new ones are all written."""
    # "x": never through a link a restored folder may hold at that name.
    with replaced(target) as temporary, temporary.open("xb") as file:
        for chunk in chunks:
            file.write(chunk)


@contextlib.contextmanager
def replaced(target: Path) -> Iterator[Path]:
    """Yield a temporary name beside target, no other writer's; rename it over target when
    the block succeeds, remove it when the block fails."""
    _remove_leftovers(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(8)}.tmp")
    try:
        yield temporary
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    temporary.replace(target)


def _remove_leftovers(target: Path) -> None:
    """Remove what killed writers left at target's temporary names (a day old or more), and
    links there (a restored folder's: no writer makes one)."""
    oldest = time.time() - LEFTOVER_SECONDS
    # Older versions named theirs `.<name>.<pid>`, without the suffix.
    for leftover in target.parent.glob(f".{target.name}.*"):
        with contextlib.suppress(OSError):
            found = leftover.lstat()
            if stat.S_ISLNK(found.st_mode) or found.st_mtime < oldest:
                leftover.unlink()
