"""A copy of an export, for a web server (`archiver export --publish DIR`).

The export itself lives where the next run finds it (each rerun exports only the new syncs);
a folder a web server serves is another matter, often rebuilt from scratch. So after each
export the folder gets a mirror of it: hard links where the file system allows (no bytes
copied), copies otherwise, and nothing the export no longer holds. (The hourly job publishes
the export as release assets instead: archiver.export.release.)
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from archiver.errors import ArchiverError
from archiver.export.plan import MANIFEST, MONTH, TABLE_NAME

__all__ = ["link_or_copy", "mirror", "refuse_foreign_folder", "refuse_nested"]

# The names an export writes (archiver.export.parquet: `table/month=YYYY-MM/part-0.parquet`,
# written as `.partial` first), and their folders: a mirror holds these and nothing else.
_EXPORTED_FILE = re.compile(
    rf"{re.escape(MANIFEST)}(\.partial)?|{TABLE_NAME}/month={MONTH}/part-0\.parquet(\.partial)?"
)
_EXPORTED_FOLDER = re.compile(rf"{TABLE_NAME}(/month={MONTH})?")


def mirror(source: Path, target: Path) -> int:
    """Make target hold exactly source's files (same names, same bytes); return how many.

    Raises ArchiverError, touching nothing, when target holds a file no export writes.
    """
    refuse_foreign_folder(target)
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
        link_or_copy(source / name, placed)
    return len(wanted)


def link_or_copy(source: Path, target: Path) -> None:
    """Put source's bytes at target: a hard link where the file system allows, else a copy."""
    try:
        os.link(source, target)
    except OSError:  # Another file system, or links not allowed: copy the bytes.
        shutil.copyfile(source, target)


def refuse_foreign_folder(publish: Path) -> None:
    """Raise if --publish holds a file or folder no export writes (by name, not by suffix).

    The mirror removes every file the export does not hold: pointed at the site's root, or
    at the repository itself, it would delete the site, the work tree and .git; pointed at a
    folder of one's own Parquet files (mydata/2024.parquet), it would delete those.
    """
    if not publish.is_dir():
        return
    for path in publish.rglob("*"):
        name = path.relative_to(publish)
        exported = _EXPORTED_FOLDER if path.is_dir() and not path.is_symlink() else _EXPORTED_FILE
        if exported.fullmatch(name.as_posix()):
            continue
        raise ArchiverError(
            f"{publish} holds {name}, which no export writes; --publish removes what the "
            "export does not hold, so give it an empty or new folder (e.g. site/export) or "
            "one an earlier --publish filled"
        )


def refuse_nested(out: Path, publish: Path) -> None:
    """Raise if the --publish folder holds the export's folder, or is inside it.

    A mirror inside OUT is exported with OUT's files: each run mirrors the last mirror one
    level deeper, until --publish finds a folder no export writes and the export stops for
    good; OUT inside the mirror is removed by it (its files are not the export's names).
    The same folder is left alone: its mirror is itself.
    """
    export, mirrored = out.resolve(), publish.resolve()
    if export in mirrored.parents or mirrored in export.parents:
        raise ArchiverError(
            f"--publish {publish} and the export folder {out} are one inside the other; "
            "give --publish a folder outside it (e.g. site/export)"
        )
