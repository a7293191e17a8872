"""A copy of an export, for a web server: the site job publishes the export with the site.

The export itself lives where the next run finds it (the site job caches it between runs,
so each hour exports only the new syncs); the site folder is uploaded whole and built
afresh. So after each export the site gets a mirror of it: hard links where the file
system allows (no bytes copied), copies otherwise, and nothing the export no longer holds.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["mirror"]


def mirror(source: Path, target: Path) -> int:
    """Make target hold exactly source's files (same names, same bytes); return how many."""
    wanted = {path.relative_to(source) for path in source.rglob("*") if path.is_file()}
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            name = path.relative_to(target)
            if path.is_file() or path.is_symlink():
                if name not in wanted:
                    path.unlink()
            elif not any(path.iterdir()):
                path.rmdir()
    for name in sorted(wanted):
        placed = target / name
        placed.parent.mkdir(parents=True, exist_ok=True)
        if placed.exists():
            if placed.samefile(source / name):
                continue
            placed.unlink()
        try:
            os.link(source / name, placed)
        except OSError:  # Another file system, or links not allowed: copy the bytes.
            shutil.copyfile(source / name, placed)
    return len(wanted)
