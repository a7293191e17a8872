"""What a sync appends to the telemetry files: `TelemetryWriter` and `telemetry_writes`.

Owns turning one sync's figures ({kind: {key: figures}}) into the full new contents of the
files it changes: a row only for a key whose figures changed, a row of ``-`` for a key no
longer observed, a new day's file starting from each key's whole state, and nothing at all
for an hour in which nothing changed. Time only goes forward: a file already holding a later
epoch is left alone and reported. A `TelemetryWriter` holds the caches that make this fast
at 50,000 endpoints (clean shapes, parsed files); keep one for as long as syncs run in the
process. It returns bytes; committing them is the caller's.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from archiver import jsonvalue
from archiver.canonical import MAX_FILE_BYTES, StageBlob, StagedBlob, blob_id
from archiver.paths import category_dir
from archiver.telemetry.checks import Observed, Problems, usable_keys
from archiver.telemetry.codec import Leaves, dump, key_of
from archiver.telemetry.file_limit import LEFT_OUT, SheetSnapshot, keys_to_leave_out, too_large
from archiver.telemetry.layout import (
    KIND_NAME,
    SUFFIX,
    TrackedFiles,
    day_folder,
    digest,
    digits_for,
    epoch_cell,
    utc,
)
from archiver.telemetry.leaves import LeafEncoder, unpacked
from archiver.telemetry.sheet import (
    PARSE_ERRORS,
    ReadBlob,
    Sheet,
    SheetCache,
    elided,
    lines,
    parse_sheet,
)

# {key cell: (key, leaves)}.
Flattened = dict[str, tuple[str, Leaves]]


@dataclass
class TelemetryWrites:
    """The telemetry files one sync writes (full new contents), and what it saw."""

    writes: dict[str, bytes] = field(default_factory=dict)
    # Files already written to the object store (when the caller passed a way to stage them).
    staged: dict[str, StagedBlob] = field(default_factory=dict)
    # Files to remove: one an earlier sync of the hour started that this one would not have.
    removed: list[str] = field(default_factory=list)
    samples: int = 0
    # Telemetry that was not written (a sync failure), and telemetry written that looks odd.
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class TelemetryWriter:
    """Writes each sync's telemetry, keeping what makes the next sync fast.

    Its caches change no byte written: `encoder` remembers the shapes of figures found clean
    (so the next key of that shape is written without checks), `sheets` the files it parsed
    or wrote, by blob id (so an hourly sync in the same process re-reads nothing).
    """

    def __init__(self) -> None:
        self.encoder = LeafEncoder()
        self.sheets = SheetCache()

    def writes(
        self,
        observed_telemetry: Mapping[str, Any],
        epoch: datetime,
        tracked: Mapping[str, str],
        read: ReadBlob,
        unfetched: Mapping[str, Collection[str]] | None = None,
        stage: StageBlob | None = None,
    ) -> TelemetryWrites:
        """Return the telemetry files a sync at this epoch writes: the files it changes, whole.

        `unfetched` names, per kind, keys whose source was not due this sync: their last
        figures stand (no row, no gap), unlike a key left out, which records a gap.
        With `stage`, each changed day file goes into the object store as soon as it is made
        (in `staged`): a day's files grow hour by hour, and holding them all until the commit
        would make a late hour's sync hold the whole day in memory.
        """
        result = TelemetryWrites()
        unfetched = unfetched or {}
        problems = Problems()
        files = TrackedFiles(tracked)
        stamp = epoch_cell(epoch)
        for kind in sorted(observed_telemetry):
            if kind == UPTIME_KIND:
                _stitch_uptime(result, observed_telemetry, tracked, read)
                continue
            if not isinstance(kind, str) or not KIND_NAME.fullmatch(kind):
                message = "not a kind name the archive can store; skipped"
                problems.add(str(kind), message, "", written=False)
                continue
            skipped = frozenset(dump(key) for key in unfetched.get(kind, ()))
            day = files.folder_for(kind, utc(epoch).date())
            job = _Kind(self, kind, day, stamp, files, read, result, problems, skipped, stage)
            job.write(usable_keys(kind, observed_telemetry[kind], problems))
        result.problems = problems.lines(written=False) + result.problems
        result.notes = problems.lines(written=True) + result.notes
        return result


def telemetry_writes(
    observed_telemetry: Mapping[str, Any],
    epoch: datetime,
    tracked: Mapping[str, str],
    read: ReadBlob,
    writer: TelemetryWriter | None = None,
    unfetched: Mapping[str, Collection[str]] | None = None,
    stage: StageBlob | None = None,
) -> TelemetryWrites:
    """Return the telemetry files a sync at this epoch writes: the files it changes, whole.

    `tracked` is {path: blob id} at HEAD and `read` a blob's bytes. Pass the same `writer` to
    every sync of a process (an import of many captures, a benchmark) to keep its caches.
    `unfetched` ({kind: keys}) names keys not fetched this sync, whose figures stand; `stage`
    writes each changed day file into the object store at once (TelemetryWriter.writes).
    """
    writer = writer or TelemetryWriter()
    return writer.writes(observed_telemetry, epoch, tracked, read, unfetched, stage)


# Windows of hourly uptime: stitched into their own day files, not appended as changes.
UPTIME_KIND = "endpoint_uptime"


def _stitch_uptime(
    result: TelemetryWrites, observed: Mapping[str, Any], tracked: Mapping[str, str], read: ReadBlob
) -> None:
    """Add the uptime day files a sync's windows change, and what the stitching reports."""
    # Imported here: the uptime module builds on this one's TelemetryWrites.
    from archiver.telemetry.uptime import uptime_writes

    # A new day's files fit the endpoints archived (or seen, at first), not the windows: a share.
    files, seen = f"{category_dir('endpoint')}/", observed.get("endpoint")
    archived = sum(path.startswith(files) for path in tracked)
    known = max(archived, len(seen) if type(seen) is dict else 0)
    stitched = uptime_writes(observed[UPTIME_KIND], tracked, read, known)
    result.writes.update(stitched.writes)
    result.samples += stitched.samples
    result.problems += stitched.problems
    result.notes += stitched.notes


def _as_before(
    observed: Flattened, kept: Mapping[str, Leaves], standing: Mapping[str, Leaves]
) -> bool:
    """Tell whether every key's figures (kept ones for keys not fetched, as `_append` takes
    them) are those the latest earlier file left, with no key gone: a new file would restate."""
    now = {k: leaves for k, (_, leaves) in observed.items() if k not in kept and leaves}
    return now | {k: leaves for k, leaves in kept.items() if leaves} == standing


def _unreadable(path: str, error: Exception) -> str:
    """Return the problem for a telemetry file at HEAD that cannot be parsed."""
    return (
        f"{path} is not a telemetry file the archiver can read ({error}); its shard was not "
        f"written this sync: restore it from history (git checkout <commit> -- {path})"
    )


@dataclass
class _Kind:
    """Writing one kind's telemetry of one sync."""

    writer: TelemetryWriter
    name: str
    day: date
    stamp: str
    files: TrackedFiles
    read: ReadBlob
    result: TelemetryWrites
    problems: Problems
    # Key cells not fetched this sync: neither a row nor a gap, their last figures stand.
    unfetched: frozenset[str] = frozenset()
    stage: StageBlob | None = None

    def write(self, observed: Observed) -> None:
        """Add this kind's changed files to the result."""
        today = self.files.shards(self.name, self.day)
        digits = len(next(iter(today))) if today else digits_for(len(observed))
        groups: dict[str, Observed] = {shard: {} for shard in self.files.names(self.name, digits)}
        for key_cell, (key, figures) in observed.items():
            groups.setdefault(digest(key)[:digits], {})[key_cell] = (key, figures)
        folder = day_folder(self.name, self.day)
        for shard in sorted(groups):
            path = f"{folder}{shard}{SUFFIX}"
            if path in today.values():
                self._append_to_existing(path, groups.pop(shard))
            else:
                self._start_file(path, shard, self._with_leaves(groups.pop(shard)))

    def _with_leaves(self, observed: Observed, state: Mapping[str, Leaves] = {}) -> Flattened:
        """Return {key cell: (key, leaves)} for the keys whose figures are a usable object."""
        usable: Flattened = {}
        for key_cell, (key, given) in observed.items():
            try:
                if type(given) is tuple:  # packed as they arrived; the file's leaves if same
                    usable[key_cell] = (key, unpacked(given, state.get(key_cell)))
                    continue
                # Bytes: figures as orjson wrote them (upstream.endpoints), read back exactly.
                figures = orjson.loads(given) if type(given) is bytes else given
                if not isinstance(figures, Mapping):
                    kind_name = type(figures).__name__
                    message = f"figures are a {kind_name}, expected an object; skipped"
                    self.problems.add(self.name, message, key, written=False)
                    continue
                leaves = self.writer.encoder.leaves(self.name, key, figures, self.problems)
                usable[key_cell] = (key, leaves)
            except jsonvalue.NestingError as error:
                message = f"figures hold a {error}; skipped"
                self.problems.add(self.name, message, key, written=False)
            except (TypeError, ValueError, jsonvalue.EncodeError, RecursionError) as error:
                # Only JSON data comes from upstream; anything else is not ours to guess at.
                message = f"figures hold something that is not JSON ({error}); skipped"
                self.problems.add(self.name, message, key, written=False)
        return usable

    def _append_to_existing(self, path: str, figures: Observed) -> None:
        """Append to a file this day already has, if time goes forward."""
        blob = self.files.blobs[path]
        try:
            sheet = self.writer.sheets.load(blob, self.read, keep=False)
        except PARSE_ERRORS as error:
            self._with_leaves(figures)  # what is wrong with the figures is reported all the same
            self.result.problems.append(_unreadable(path, error))
            return
        observed = self._with_leaves(figures, sheet.state)
        if sheet.last_epoch > self.stamp:
            self.result.problems.append(
                f"{path} already holds {sheet.last_epoch}, later than this sync's {self.stamp}; "
                "its telemetry was not written (import older captures before newer ones)"
            )
        elif sheet.last_epoch == self.stamp:
            if self._rewrite_hour(path, sheet, observed):
                return
        elif self._append(path, sheet, observed, {}):
            return
        self.writer.sheets.remember(blob, sheet)

    def _rewrite_hour(self, path: str, sheet: Sheet, observed: Flattened) -> bool:
        """Write this hour's rows again in a file an earlier sync of the same hour appended to
        (a rerun, a delayed schedule); tell if the file changed.

        Each key keeps one sample an hour, the latest sync's: this hour's rows are cut and
        written anew from the file as it stood before the hour. A key this sync did not
        fetch keeps the row the earlier sync wrote for it.
        """
        whole = sheet.header() + sheet.body
        needle = self.stamp.encode()
        start = 0 if sheet.body.startswith(needle) else sheet.body.find(b"\n" + needle) + 1
        # The sheet's state is each key's after this hour's rows: what the earlier sync left.
        kept = {k: sheet.state[k] for k in self.unfetched if k in sheet.state}
        if start:
            before = sheet.body[:start]
            # Only the columns lines before the hour use: those the earlier sync added for fields
            # it alone saw go (the last ones: a column is added where first used).
            used = max((line.count("\t") - 1 for line in lines(before)), default=0)
            base = parse_sheet(Sheet(sheet.columns[:used]).header() + before)
            return self._append(path, base, observed, {}, kept, whole)
        # The hour started the file: start it again (a gap the earlier sync wrote stays one).
        found = self._standing(path.rpartition("/")[2].removesuffix(SUFFIX))
        if found is None:
            return False
        standing = found[0] | found[1]
        kept = found[0] | kept
        if _as_before(observed, kept, standing):
            # Nothing changed as this sync sees the hour: alone, it would have started no file.
            self.result.removed.append(path)
            return True
        previous = found[1] | {k: found[0][k] for k in found[0] if not kept[k]}
        return self._append(path, Sheet([]), observed, previous, kept, whole)

    def _start_file(self, path: str, shard: str, observed: Flattened) -> None:
        """Start a day's file for a shard, if its keys changed since the latest earlier file."""
        found = self._standing(shard)
        now = {key_cell: leaves for key_cell, (_, leaves) in observed.items() if leaves}
        if found is not None and now != found[1]:
            self._append(path, Sheet([]), observed, found[1], found[0])

    def _standing(self, shard: str) -> tuple[dict[str, Leaves], dict[str, Leaves]] | None:
        """Return how the latest earlier file left this shard's keys with figures: (those not
        fetched this sync, the others). A new file restates both: no later sync looks back
        further for a key's gap. None: that file is damaged (reported), and the shard waits
        for its repair as for a damaged file of the day: started without its keys, the new
        file would give one no longer seen no gap, and one not fetched no state."""
        previous: dict[str, Leaves] = {}
        for path in self.files.previous(self.name, self.day, shard):
            try:
                sheet = self.writer.sheets.load(self.files.blobs[path], self.read, keep=True)
            except PARSE_ERRORS as error:
                self.result.problems.append(_unreadable(path, error))
                return None
            for key_cell, state in sheet.state.items():
                if state and digest(key_of(key_cell)).startswith(shard):
                    previous[key_cell] = state
        standing = {k: leaves for k, leaves in previous.items() if k in self.unfetched}
        return standing, {k: v for k, v in previous.items() if k not in self.unfetched}

    def _append(
        self,
        path: str,
        sheet: Sheet,
        observed: Flattened,
        previous: Mapping[str, Leaves],
        kept: Mapping[str, Leaves] | None = None,
        replaced: bytes | None = None,
    ) -> bool:
        """Append rows for changed keys and for keys no longer observed; tell if the file
        changed (`replaced`: the bytes it replaces, when it is this hour's rewrite; `kept`:
        leaves of keys not fetched this sync that an earlier sync of the hour wrote)."""
        stamp, kept = self.stamp, kept or {}
        before = SheetSnapshot.of(sheet)  # before rows move states on: an overflow redoes them
        rows: list[str] = []
        for key_cell in sorted(observed.keys() | kept.keys()):
            if key_cell in kept:
                row = sheet.row(stamp, key_cell, kept[key_cell])
                rows += [row] if row is not None else []
                continue
            key, leaves = observed[key_cell]
            self._note_dropped(key, sheet.state.get(key_cell) or previous.get(key_cell), leaves)
            row = sheet.row(stamp, key_cell, leaves)
            if row is not None:
                rows.append(row)
        gone = sorted(
            k
            for k, leaves in sheet.state.items()
            if leaves and k not in observed and k not in self.unfetched
        )
        rows += [row for k in gone if (row := sheet.row(stamp, k, {})) is not None]
        # A new file restarts every key: one that had figures and is no longer seen says so.
        gaps = [k for k in sorted(previous) if not observed.get(k, ("", {}))[1]]
        sheet.state |= {k: {} for k in gaps}  # as a parse has them: a rerun of the hour reads it
        rows += [f"{stamp}\t{k}\n" for k in gaps]
        if not rows and replaced is None:
            return False
        sheet.body += "".join(elided(stamp, rows, sheet.last_epoch)).encode()
        sheet.last_epoch = stamp if rows else sheet.last_epoch
        data = sheet.header() + sheet.body
        if len(data) > MAX_FILE_BYTES:
            before.restore(sheet)
            overflow = (rows, len(data))
            return self._without_largest(path, sheet, overflow, observed, previous, kept, replaced)
        if data == replaced:
            return False
        if self.stage is None:
            self.result.writes[path] = data
            blob = blob_id(data)
        else:
            self.result.staged[path] = staged = self.stage(data)
            blob = staged.blob
        self.result.samples += len(rows)
        self.writer.sheets.remember(blob, sheet)
        return True

    def _without_largest(
        self,
        path: str,
        sheet: Sheet,
        overflow: tuple[list[str], int],
        observed: Flattened,
        previous: Mapping[str, Leaves],
        kept: Mapping[str, Leaves],
        replaced: bytes | None,
    ) -> bool:
        """Append again without the keys of the largest rows (file_limit); tell if the file
        changed."""
        refused = keys_to_leave_out(*overflow, observed.keys() | kept.keys())
        if not refused:
            self.result.problems.append(too_large(path, overflow[1]))
            return False
        for key_cell in sorted(refused):
            self.problems.add(self.name, LEFT_OUT, key_of(key_cell), written=False)
        fewer = {k: v for k, v in observed.items() if k not in refused}
        kept_fewer = {k: v for k, v in kept.items() if k not in refused}
        return self._append(path, sheet, fewer, previous, kept_fewer, replaced)

    def _note_dropped(self, key: str, before: Leaves | None, now: Leaves) -> None:
        """Note the top-level fields a still-observed key had and no longer sends."""
        if not before or before is now or before.keys() <= now.keys():  # (is: leaves stand)
            return
        kept = {column.partition("/")[0] for column in now}
        for field_name in sorted({c.partition("/")[0] for c in before} - kept):
            self.problems.add(self.name, f"{field_name} is no longer sent", key)
