"""Keeping a telemetry file under MAX_FILE_BYTES: which keys' rows a sync leaves out.

GitHub refuses a push holding a file over 100 MiB, and the hourly job pushes from a fresh
clone: one key sending huge figures must not take its day file past that and stop every
push after it. When a sync's rows would take a file past MAX_FILE_BYTES, the writer puts
the file back as it was (`SheetSnapshot`) and writes it again without the keys of the
largest rows, as few as bring it under the limit (`keys_to_leave_out`); each gets a gap.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from archiver.canonical import MAX_FILE_BYTES
from archiver.telemetry.codec import Leaves
from archiver.telemetry.sheet import Sheet

LIMIT_MIB = MAX_FILE_BYTES // 2**20
LEFT_OUT = (
    f"figures would take their file past the {LIMIT_MIB} MiB a file of the archive may hold "
    "(GitHub refuses a push holding a file over 100 MiB); skipped"
)


@dataclass
class SheetSnapshot:
    """A sheet as it was before a sync's rows, to put back when they make the file too big."""

    columns: list[str]
    body: bytes
    state: dict[str, Leaves]
    last_epoch: str

    @classmethod
    def of(cls, sheet: Sheet) -> SheetSnapshot:
        """Return a snapshot of the sheet (its state's leaves are replaced, never changed)."""
        return cls(list(sheet.columns), sheet.body, dict(sheet.state), sheet.last_epoch)

    def restore(self, sheet: Sheet) -> None:
        """Put the sheet back as it was."""
        sheet.columns, sheet.body, sheet.state = self.columns, self.body, self.state
        sheet.last_epoch = self.last_epoch
        sheet.position = {name: index for index, name in enumerate(self.columns)}


def keys_to_leave_out(rows: list[str], size: int, candidates: Collection[str]) -> set[str]:
    """Return the key cells of the largest rows (of keys among `candidates`) whose bytes
    bring a file of `size` bytes under MAX_FILE_BYTES: empty when no row can."""
    excess, chosen = size - MAX_FILE_BYTES, set()
    # Largest first, ties by text: the same rows always leave out the same keys.
    for row in sorted(rows, key=lambda row: (-len(row), row)):
        key_cell = row.split("\t", 2)[1].rstrip("\n")
        if excess <= 0:
            break
        if key_cell in candidates and key_cell not in chosen:
            chosen.add(key_cell)
            excess -= len(row.encode())
    return chosen if excess <= 0 else set()


def too_large(path: str, size: int) -> str:
    """Return the problem for a file no sync's rows can bring under the limit."""
    return (
        f"{path} would hold {size / 2**20:,.0f} MiB, more than the {LIMIT_MIB} MiB a file of "
        "the archive may hold; not written"
    )
