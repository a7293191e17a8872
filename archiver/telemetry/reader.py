"""Reading series back: one key's samples, every key's recent ones, or every sample in turn.

Owns the readers of a work tree's telemetry files: `series` (and `endpoint_series`,
`model_series`) finds one key's lines in its shard without parsing the rest,
`recent_series` (and `recent_endpoint_series`, what the site charts) reads only the chosen
columns of the newest days, and `iter_samples` replays every file day by day. A sample is
{"epoch": ISO, **figures}, one per change, holding until the next; a damaged file raises a
`StoreError` naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from archiver import jsonvalue
from archiver.errors import ArchiverError, StoreError
from archiver.telemetry.codec import (
    ABSENT,
    PATCH,
    Leaves,
    dotted,
    dump,
    key_of,
    nest,
    patched,
    segments,
)
from archiver.telemetry.layout import (
    archive_top,
    day_files,
    day_folders,
    digest,
    epoch_cell,
    folder_day,
    kind_root,
    read_file,
    shard_path,
)
from archiver.telemetry.sheet import (
    PARSE_ERRORS,
    apply_cells,
    check_keys,
    epoch_above,
    lines,
    read_header,
)
from archiver.times import given_time

# What the site charts for every endpoint; `recent_endpoint_series` reads only these.
CHART_FIELDS = (
    "status",
    "stats.request_count",
    "stats.p50_latency",
    "stats.p90_latency",
    "stats.p50_throughput",
    "stats.p90_throughput",
)

Sample = dict[str, Any]
# A key's chosen columns in a file and their leaf texts (ABSENT where it has none).
_Chosen = tuple[tuple[str, ...], list[str]]
When = datetime | date | str | None


def endpoint_series(
    repo_path: str | Path, endpoint_id: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return an endpoint's telemetry samples, oldest first, from since to until (inclusive)."""
    return series(archive_top(repo_path), "endpoint", endpoint_id, since, until)


def model_series(
    repo_path: str | Path, model_key: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return a model's telemetry samples (benchmarks.design_arena), oldest first."""
    return series(archive_top(repo_path), "model", model_key, since, until)


def series(
    repo_path: str | Path, kind: str, key: str, since: When = None, until: When = None
) -> list[Sample]:
    """Return one key's samples, {"epoch": ISO, **figures}, one per change, oldest first.

    A sample holds from its epoch until the next one; a sample with no figures is a gap
    (the key was not observed). The first sample in the range is returned even if the
    figures did not change at its epoch.
    """
    start, end = time_bound(since, "since"), time_bound(until, "until")
    key_cell = dump(key).encode()
    key_digest = digest(key)
    samples: list[Sample] = []
    last: list[Leaves | None] = [None]
    for folder in day_folders(kind_root(repo_path, kind), start, end):
        path = shard_path(folder, key_digest)
        if path is not None:
            with reading(path):
                columns, key_lines = _key_lines(path, key_cell)
                _emit(columns, key_lines, start, end, samples, last)
    return samples


def sample_in_force(repo_path: str | Path, kind: str, key: str, at: When) -> Sample | None:
    """Return the key's sample recorded last before `at`, which holds then (None: none does,
    or its figures were gone: a gap). A file restates every key whose figures stand when it
    begins, so the newest file holding a line of the key before `at` answers."""
    bound = time_bound(at, "since")
    key_cell, key_digest = dump(key).encode(), digest(key)
    for folder in reversed(day_folders(kind_root(repo_path, kind), "", bound)):
        path = shard_path(folder, key_digest)
        if path is None:
            continue
        with reading(path):
            columns, key_lines = _key_lines(path, key_cell)
            earlier = [cells for cells in map(_cells, key_lines) if cells[0][1:-1] < bound]
            leaves: Leaves = {}
            for cells in earlier:
                apply_cells(leaves, columns, cells[2:])
        if earlier:
            figures = nest(leaves)
            return {"epoch": earlier[-1][0][1:-1], **figures} if figures else None
    return None


def _cells(line: str) -> list[str]:
    """Return a line's cells."""
    return line.split("\t")


def recent_endpoint_series(
    repo_path: str | Path, days: int = 30, fields: Sequence[str] | None = CHART_FIELDS
) -> dict[str, list[Sample]]:
    """Return every endpoint's samples of the chart figures over the newest `days` UTC days.

    `fields` names figures as `to_csv` does (`stats.p50_latency`); None returns every
    figure, which for thousands of endpoints is slow and takes gigabytes.
    """
    return recent_series(repo_path, "endpoint", days, fields)


def recent_series(
    repo_path: str | Path, kind: str, days: int = 30, fields: Sequence[str] | None = None
) -> dict[str, list[Sample]]:
    """Return {key: samples} for one kind over the newest `days` UTC days the archive holds."""
    folders = day_folders(kind_root(repo_path, kind), "", "~")
    if not folders:
        return {}
    since = (folder_day(folders[-1]) - timedelta(days=days - 1)).isoformat()
    result: dict[str, list[Sample]] = {}
    if fields is None:
        for key, sample in iter_samples(repo_path, kind, since):
            result.setdefault(key, []).append(sample)
        return result
    last: dict[str, _Chosen] = {}
    # From the folder holding `since` (a week's file may begin before it): a superset.
    for folder in day_folders(kind_root(repo_path, kind), since, "~"):
        for path in day_files(folder):
            with reading(path):
                _file_fields(path, frozenset(fields), result, last)
    return result


def iter_samples(
    repo_path: str | Path, kind: str, since: When = None, until: When = None
) -> Iterator[tuple[str, Sample]]:
    """Yield (key, sample) for every key of one kind, day by day, each key's oldest first."""
    start, end = time_bound(since, "since"), time_bound(until, "until")
    last: dict[str, Leaves] = {}
    for folder in day_folders(kind_root(repo_path, kind), start, end):
        for path in day_files(folder):
            with reading(path):
                yield from _file_samples(path, start, end, last)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a damaged file's parse error into a StoreError naming it."""
    try:
        yield
    except PARSE_ERRORS as error:
        raise StoreError(
            f"{path} is not a telemetry file the archiver can read ({error}); "
            f"restore it from history (git checkout <commit> -- {path})"
        ) from None


def time_bound(when: When, label: str) -> str:
    """Return a time bound ("since" or "until") as comparable ISO text to the second ('' or
    '~' when open): a since with a fraction of a second starts at the next whole second, as
    `archiver changes` reads it (epochs are whole seconds; 18:00:00.5 is after 18:00:00)."""
    if when is None:
        return "" if label == "since" else "~"
    # ISO text or a date as History reads them (UTC); anything else a one-line error.
    when = given_time(when, label)
    if label == "since" and when.microsecond:
        try:
            when = when.replace(microsecond=0) + timedelta(seconds=1)
        except OverflowError:
            raise ArchiverError(f"since {when.isoformat()} is after the year 9999") from None
    return epoch_cell(when)[1:-1]


def _key_lines(path: Path, key_cell: bytes) -> tuple[list[str], list[str]]:
    """Return a file's columns and the lines of one key, found without parsing the rest.

    Every line holding the key's text is looked at, not only those whose key cell is the
    key's: one whose key cell is damaged (cut, edited, or pushed a cell to the right by a tab
    before its epoch) raises, where it would have been skipped and the key's sample lost.
    """
    columns, body = read_header(read_file(path))
    text = key_cell[1:-1]
    if not text:
        # The empty key is never stored (checks.unstorable_key), and b"" is found at every
        # offset: the search ran past the end and called a sound file damaged.
        return columns, []
    found_lines: list[str] = []
    found = body.find(text)
    # Format 2 names a sync's epoch on its first line only: the epoch of a line that names
    # none is the last one named above it, looked for back to the previous line found only.
    epoch, searched = "", 0
    while found >= 0:
        start = body.rfind(b"\n", 0, found) + 1
        stop = body.index(b"\n", found)  # Every line ends with one (read_header checks).
        # The key is the second cell: after the epoch's, or first when the line names none.
        first = start + 1 if body[start : start + 1] == b"\t" else body.find(b"\t", start, stop) + 1
        if not first:
            raise ValueError("a line has no key cell")
        after = body.find(b"\t", first, stop)
        cell = body[first : after if after >= 0 else stop]
        if cell != key_cell:
            key_of(cell.decode())  # Another key's line holding the text: a key, or damaged.
        else:
            line = body[start:stop].decode()
            if start < first - 1:
                epoch = line[: first - 1 - start]
            else:
                epoch = epoch_above(body, start, searched) or epoch
                if not epoch:
                    raise ValueError("a line with no epoch has no line with one above it")
                line = epoch + line
            found_lines.append(line)
            searched = start
        found = body.find(text, stop + 1)
    return columns, found_lines


def _emit(
    columns: Sequence[str],
    key_lines: Sequence[str],
    start: str,
    end: str,
    samples: list[Sample],
    last: list[Leaves | None],
) -> None:
    """Replay one key's lines of one file, appending a sample for each change in range."""
    leaves: Leaves = {}
    for line in key_lines:
        cells = line.split("\t")
        apply_cells(leaves, columns, cells[2:])
        epoch = cells[0][1:-1]
        if start <= epoch <= end and leaves != last[0]:
            last[0] = dict(leaves)
            samples.append({"epoch": epoch, **nest(leaves)})


def _file_samples(
    path: Path, start: str, end: str, last: dict[str, Leaves]
) -> Iterator[tuple[str, Sample]]:
    """Yield (key, sample) for every change in one file within the range."""
    columns, body = read_header(read_file(path))
    state: dict[str, Leaves] = {}
    epoch = ""
    for line in lines(body):
        cells = line.split("\t")
        leaves = state.setdefault(cells[1], {})
        apply_cells(leaves, columns, cells[2:])
        # An empty epoch cell (format 2) is the epoch of the line above.
        if cells[0]:
            epoch = cells[0][1:-1]
        elif not epoch:
            raise _no_epoch(path)
        if start <= epoch <= end and last.get(cells[1]) != leaves:
            last[cells[1]] = dict(leaves)
            yield key_of(cells[1]), {"epoch": epoch, **nest(leaves)}
    check_keys(state)  # The keys of lines out of range, or unchanged, too.


def _file_fields(
    path: Path, fields: frozenset[str], result: dict[str, list[Sample]], last: dict[str, _Chosen]
) -> None:
    """Add a sample for each change of the chosen fields in one file, reading only those.

    A file none of whose columns is chosen still counts: each key it names has none of the
    fields (they are no longer sent), a gap if it had some before.
    """
    columns, body = read_header(read_file(path))
    chosen = [(i, c) for i, c in enumerate(columns, 2) if dotted(c) in fields]
    width = max((i for i, _ in chosen), default=1) + 1
    pick = itemgetter(0, 1, *(i for i, _ in chosen))
    names = tuple(column for _, column in chosen)
    template = _template(names)
    blank = [ABSENT] * len(names)
    state: dict[str, list[str]] = {}
    texts: list[str] = []
    keys: list[str] = []
    epoch = ""
    for line in lines(body):
        # Split no further than the last chosen column: the rest is never looked at.
        cells = line.split("\t", width)
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        picked = pick(cells)
        key_cell = picked[1]
        # An empty epoch cell (format 2) is the epoch of the line above.
        if picked[0]:
            epoch = picked[0]
        elif not epoch:
            raise _no_epoch(path)
        # An empty cell keeps the key's value from its previous line in this file.
        before = state.get(key_cell, blank)
        if PATCH in line:  # an array written as its changes: rebuilt as `apply_cells` does
            picked = (*picked[:2], *map(_unpatched, picked[2:], before))
        now = state[key_cell] = [v or o for v, o in zip(picked[2:], before, strict=True)]
        if _changed(last.get(key_cell), names, now):
            last[key_cell] = (names, now)
            keys.append(key_cell)
            texts.append(
                _sample_text(epoch, names, now) if ABSENT in now else template % (epoch, *now)
            )
    # Every key of the file, changed or not: a damaged key cell raises before any sample.
    decoded = {key_cell: key_of(key_cell) for key_cell in state}
    for key_cell, sample in zip(keys, jsonvalue.loads(f"[{','.join(texts)}]"), strict=True):
        result.setdefault(decoded[key_cell], []).append(sample)


def _unpatched(cell: str, before: str) -> str:
    """Return a picked cell, a patch cell as the array it makes of the key's previous one."""
    return patched(None if before == ABSENT else before, cell) if cell.startswith(PATCH) else cell


def _changed(before: _Chosen | None, names: tuple[str, ...], now: list[str]) -> bool:
    """Tell whether a key's chosen leaves differ from its previous line's (in any file)."""
    if before is None:
        return True
    if before[0] == names:
        return before[1] != now
    # Another file's columns (or their order): compare the leaves present, by column.
    return _present(*before) != _present(names, now)


def _present(names: Sequence[str], texts: Sequence[str]) -> dict[str, str]:
    """Return {column: leaf text} of the leaves that are not absent."""
    return {name: text for name, text in zip(names, texts, strict=True) if text != ABSENT}


def _no_epoch(path: Path) -> StoreError:
    """Return the error for a file whose first line names no epoch."""
    return StoreError(
        f"{path} starts with a line that names no epoch; "
        f"restore it from history (git checkout <commit> -- {path})"
    )


def _sample_text(epoch: str, names: Sequence[str], texts: Sequence[str]) -> str:
    """Return the JSON text of a sample from its epoch cell and leaf texts (some absent)."""
    present = tuple(name for name, text in zip(names, texts, strict=True) if text != ABSENT)
    return _template(present) % (epoch, *(text for text in texts if text != ABSENT))


@lru_cache(maxsize=1024)
def _template(columns: tuple[str, ...]) -> str:
    """Return a %-template that nests leaf texts under their columns' paths."""
    tree: dict[str, Any] = {}
    for column in columns:
        *parents, name = segments(column)
        holder = tree
        for parent in parents:
            holder = holder.setdefault(parent, {})
        holder[name] = None
    return '{"epoch":%s' + "".join(f",{body}" for body in _members(tree)) + "}"


def _members(tree: Mapping[str, Any]) -> Iterator[str]:
    """Yield '"name":%s' or '"name":{...}' for each member of a template tree."""
    for name, child in tree.items():
        label = dump(name).replace("%", "%%")
        if child is None:
            yield f"{label}:%s"
        else:
            yield f"{label}:{{{','.join(_members(child))}}}"
