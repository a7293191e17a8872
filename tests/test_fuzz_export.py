"""Telemetry folders drawn at random: the Parquet export reads them as the archive reads them.

The export reads a folder's telemetry files as Arrow columns (`archiver.export.sheet_columns`,
`tsv_columns`, `uptime_columns`); the archive reads them a line at a time
(`archiver.telemetry.iter_samples`, `uptime_between`). Three properties:

- a valid folder of `endpoint`, `endpoint_documented`, `model` or `model_variant` (a week),
  drawn from the grammar of data/README.md ("Telemetry: `telemetry/`"): one to three files
  (two folders, sometimes), each with its own header (columns in any order or none, a name
  given twice or three times, names with `/`, `~0`, `~1`, escapes, unicode, an empty one),
  format 1 and format 2 epoch cells, several syncs (some of the same hour), keys spelled
  with escapes, lines left short or running past the header, `-` cells, empty cells on a
  key's first line, numbers spelled oddly (`-0`, `1E2`, `1e-400`, `1e400`, 30 digits,
  `0.10`, blanks around), decimal strings (`" 7 "`, `"1_000"`, escaped, unicode digits),
  `true`, `null`, arrays, `{}` and array patches (`codec.changed_cell` of the previous
  array, or inserts alone): the export reads it without error, its rows replay to the
  reader's figures at every epoch (the charted doubles too), every `changed` value is JSON
  and names its column once, rows run by key then epoch;
- that folder damaged (a byte changed, a cut, a cell that is not JSON, a tab or newline added
  or taken out, bytes that are not UTF-8, an epoch that is no time of the folder): the export
  raises a one-line StoreError naming the file, or reads what the reader reads (and the
  reader reads it); a damage of REFUSED (a cut inside a line, the header lost or renamed, a
  key cell holding no key, a tab before a line's epoch) is named by both;
- an `endpoint_uptime` day folder, damaged or not, gives the points `uptime_between` gives.

Bugs this found, each now a case of its own below: three damaged cells could pass the JSON
check together (`[1`, `2]`, `3,4` parse as three values when joined) and went into
`changed` as they were; a number with a blank around it (JSON allows one) or a CRLF line end
lost its charted double or failed the folder; a decimal string with an escape or a non-ASCII
blank or digit (`"\\t7"`, `"\\u00a07"`) lost its double; an epoch the archive could never
write (`...T10:00:60Z`, a day outside the folder, a line earlier than the one above) was
read as another time, or its line dropped without a word; a key cell holding a raw control
character, an empty line alone after a header, and an uptime file with no line and no hour
columns were read where the archive's reader refuses them. Both readers read the damages of
REFUSED alike, and wrongly (a cut cell as a value, the first line as the header, a line as a
key named by its epoch), which this property could not see: they are now refused by both.

Left to the archive's reader, which keeps a key's state by the text of its cell: a key
spelled two ways in one file (`"a"`, `"\\u0061"`) is one key to the export, two to the
reader, so the folders drawn here spell each key one way.

In the suite the examples are derandomized (the same on every run). To hunt, draw many more
at random: `ARCHIVER_FUZZ_EXAMPLES=5000 ARCHIVER_FUZZ_RANDOM=1 pytest -p no:randomly -n 0
tests/test_fuzz_export.py`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from archiver import jsonvalue
from archiver.errors import StoreError
from archiver.export import series
from archiver.export.columns import dig, number
from archiver.telemetry.codec import ABSENT, changed_cell, dump, patched
from archiver.telemetry.uptime import uptime_between
from archiver.times import format_epoch
from tests.test_export_telemetry import (
    _nested,
    _texts,
    assert_rows_replay_to_reader,
    reader_states,
    replayed,
)

# An example writes a few small files and reads them twice (export, reader): some 25 ms, so
# the three properties take about 8 s on one core (the suite's whole run is kept near its
# ten minutes; the hunt ran 30,000). No module fixture: xdist spreads them.
EXAMPLES = int(os.environ.get("ARCHIVER_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    derandomize=not os.environ.get("ARCHIVER_FUZZ_RANDOM"),
    deadline=None,
    max_examples=EXAMPLES,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
# An uptime example writes 24 columns a line: half as many of them take as long.
FUZZ_UPTIME = settings(FUZZ, max_examples=max(1, EXAMPLES // 2))

# -- the grammar ----------------------------------------------------------------------------

# kind -> (first folder's day, days a folder holds): a day, or a week of variants.
PERIODS = {
    "endpoint": (date(2026, 7, 19), 1),
    "endpoint_documented": (date(2026, 7, 19), 1),
    "model": (date(2026, 7, 19), 1),
    "model_variant": (date(2026, 7, 13), 7),
}
# Stored column names besides the charted ones: paths, escaped `/` and `~`, unicode. None is a
# path prefix of another (a key never holds both `a` and `a/b` at once).
OTHER_NAMES = [
    "history",
    "",
    "statsByTier/default/request_count",
    "status_heuristics",
    "a~1b",
    "x~0y/z",
    "café",
    "日本/語",
    "line\u2028sep",
    'quote"d',
]
KEYS = [
    "d68054f9-503c-4742-bbbb-32c415d27aa2",
    "openai/gpt-4.1:free",
    'with "quotes" and \\',
    "café",
    "tab\there",
    "emoji 😀",
    "~openai/gpt-mini-latest",
    " ",
]
ODD_NUMBERS = [
    "-0",
    "-0.0",
    "0",
    "1E2",
    "-12.5e+3",
    "1e-400",
    "1e400",
    "-1e400",
    "1e308",
    "1.7976931348623157e308",
    "123456789012345678901234567890",
    "0.10",
    "1322.8999999999999",
    " 5",
    "5 ",
    "\r7",
    " 8\r",
]
# Strings `columns.number` reads as decimals, and some it does not. None is 1e308 or more:
# `number` reads those as a double (or infinity), which the export leaves out (see the report).
ODD_STRINGS = [
    '" 7 "',
    '"1_000"',
    '"0.10"',
    '"-3.5e2"',
    '".5"',
    '"5."',
    '"+5"',
    '"1e-400"',
    '"\\u0037"',
    '"\\t7\\n"',
    '"\\u00a07"',
    '"\u00a07"',
    '"\u0661\u0662"',
    '"\uff17"',
    '"1_0.5_0"',
    '"NaN"',
    '"Infinity"',
    '"n/a"',
    '""',
    '"-"',
    '"{\\"@\\":[]}"',
    '"a\\tb"',
]
# Patches that only insert: valid with no array before them (they patch `[]`).
OTHER_VALUES = ["true", "null", "[]", "{}", '[{"@":1},null]', " [ 1 , 2 ] ", "\r{}"]
OTHER_VALUES += ['{"@":[]}', '{"@":[[1],[{"a":null}]]}']
# Cells past the header: anything without a tab, never read.
PAST_HEADER = ["extra", "{not json", "-", '"x"', "", '{"@":[[9,{"a":1}]]}']

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
cell_values: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_STRINGS),
    st.sampled_from(OTHER_VALUES),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(dump),
    st.decimals(-(10**20), 10**20, places=3).map(lambda d: f'"{d}"'),
    # Objects are flattened into columns: a cell holds an empty one only.
    (scalars | st.lists(json_values, max_size=4)).map(dump),
)


def long_array(seed: int) -> list[Any]:
    """Return a variant's month of daily rows (long enough for a patch to pay)."""
    return [{"date": f"2026-06-{day:02d}", "n": seed * day} for day in range(1, 16)]


def spell_key(key: str, escaped: bool) -> str:
    """Return a key cell: canonical, or every non-ASCII character (and `/`) escaped."""
    return json.dumps(key, ensure_ascii=True).replace("/", "\\/") if escaped else dump(key)


def spell_name(name: str, escaped: bool) -> str:
    """Return a header cell: canonical, or its first character as a \\u escape."""
    if not escaped or not name:
        return dump(name)
    return f'"\\u{ord(name[0]):04x}' + json.dumps(name[1:], ensure_ascii=True)[1:]


@dataclass
class Folder:
    """Files of one kind drawn for the archive: {day: {file name: text}}."""

    kind: str
    days: dict[str, dict[str, str]] = field(default_factory=dict)

    def write(self, repo: Path) -> list[Path]:
        """Write the files under repo; return their paths."""
        paths = []
        for day, files in self.days.items():
            folder = repo / "data" / "telemetry" / self.kind / day[:4] / day[5:]
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (folder / name).write_bytes(text.encode())
                paths.append(folder / name)
        return paths


@st.composite
def next_cell(draw: st.DrawFn, before: str | None, first: bool) -> str:
    """Draw a data cell for a column whose value is `before` (None: absent)."""
    choice = draw(st.sampled_from(["value", "value", "empty", "absent", "array"]))
    if choice == "empty":
        return ""  # Unchanged; on a key's first line, absent.
    if choice == "absent":
        return ABSENT
    if choice == "value" or first:
        return draw(cell_values)
    old = jsonvalue.loads(before) if before is not None else None
    if not isinstance(old, list) or not old or not isinstance(old[-1], dict):
        return dump(long_array(draw(st.integers(1, 9))))
    new = [*old[1:], {**old[-1], "n": draw(st.integers())}]
    if draw(st.booleans()) and isinstance(new[0], dict):
        new[0] = {**new[0], "n": None}
    return changed_cell(before, dump(new))


@st.composite
def sheet(draw: st.DrawFn, kind: str, day: date, keys: list[str], spelled: dict[str, str]) -> str:
    """Draw one file's text: a header, then syncs of lines of these keys."""
    charted = ["/".join(c.path) for c in series.CHARTED.get(kind, [])]
    pool = charted[:5] + OTHER_NAMES
    names = draw(st.lists(st.sampled_from(pool), max_size=6, unique=True))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2])) if names else 0):
        names.insert(draw(st.integers(0, len(names))), draw(st.sampled_from(names)))
    header = ['"epoch"', '"key"', *(spell_name(n, draw(st.booleans())) for n in names)]
    lines = ["\t".join(header)]
    if not keys:
        return lines[0] + "\n"
    hours = PERIODS[kind][1] * 24
    stamps = sorted(draw(st.lists(st.integers(0, hours - 1), min_size=1, max_size=4)))
    states: dict[str, dict[str, str]] = {}
    last_epoch, done = "", set()
    for hour in stamps:
        epoch = dump(format_epoch(_at(day, hour)))
        # One line a key and hour: a second sync of the hour writes other keys.
        sync_keys = [k for k in draw(st.permutations(keys)) if (k, epoch) not in done]
        sync_keys = sync_keys[: draw(st.integers(1, len(keys)))]
        every_line = draw(st.booleans())  # Format 1: the epoch on every line.
        for at, key in enumerate(sync_keys):
            done.add((key, epoch))
            named = every_line or (at == 0 and last_epoch != epoch) or not last_epoch
            cells = _line_cells(draw, names, states, key)
            if draw(st.booleans()):
                cells += draw(st.lists(st.sampled_from(PAST_HEADER), min_size=1, max_size=2))
            elif draw(st.booleans()):
                while cells and not cells[-1]:
                    cells.pop()
            lines.append("\t".join([epoch if named else "", spelled[key], *cells]))
            last_epoch = epoch
    return "\n".join(lines) + "\n"


def _line_cells(
    draw: st.DrawFn, names: list[str], states: dict[str, dict[str, str]], key: str
) -> list[str]:
    """Draw a key's cells for its next line, keeping its state as the reader would."""
    first = key not in states
    state = states.setdefault(key, {})
    cells = []
    for name in names:
        cell = draw(next_cell(state.get(name), first))
        if cell == ABSENT:
            state.pop(name, None)
        elif cell.startswith('{"@":'):
            state[name] = patched(state.get(name), cell)
        elif cell:
            state[name] = cell
        cells.append(cell)
    return cells


def _at(day: date, hour: int) -> datetime:
    """Return the UTC time `hour` hours into a day."""
    return datetime.combine(day, time(), UTC) + timedelta(hours=hour)


@st.composite
def folders(draw: st.DrawFn) -> Folder:
    """Draw a valid telemetry folder of one kind (two folders, sometimes)."""
    kind = draw(st.sampled_from(sorted(PERIODS)))
    start, length = PERIODS[kind]
    keys = draw(
        st.lists(
            st.sampled_from(KEYS) | st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    # One spelling a key: the archive's reader keeps a key's state by the cell's text.
    spelled = {key: spell_key(key, draw(st.booleans())) for key in keys}
    found = Folder(kind)
    for day in [start, start + timedelta(days=length)][: draw(st.integers(1, 2))]:
        files = draw(st.integers(1, 3))
        # A key lives in one file of a folder (its shard).
        owner = {key: draw(st.integers(0, files - 1)) for key in keys}
        found.days[day.isoformat()] = {
            f"{n}.tsv": draw(sheet(kind, day, [k for k in keys if owner[k] == n], spelled))
            for n in range(files)
        }
    return found


# -- what the export must give --------------------------------------------------------------


@contextmanager
def archive() -> Iterator[Path]:
    """Yield a scratch archive folder, removed after the example."""
    with tempfile.TemporaryDirectory(prefix="fuzz-export-") as scratch:
        yield Path(scratch)


def exported(repo: Path, kind: str) -> list[dict[str, Any]]:
    """Return every row the export reads, checking each folder's rows are well formed."""
    rows: list[dict[str, Any]] = []
    for unit in series.folders(repo, kind).units:
        table = series.unit_table(repo, kind, unit)
        if table is None:
            continue
        found = table.to_pylist()
        order = [(row["key"], row["epoch"]) for row in found]
        assert order == sorted(order), "rows not by key then epoch"
        for row in found:
            names = [pair["column"] for pair in row["changed"]]
            assert len(set(names)) == len(names), row
            assert not set(names) & set(row["absent"] or []), row
            for pair in row["changed"]:
                jsonvalue.loads(pair["value"])  # Raises if not JSON: a broken row.
        rows.extend(found)
    return rows


def assert_same_as_reader(repo: Path, kind: str, rows: list[dict[str, Any]]) -> None:
    """Assert rows replay to the reader's figures, allowing a key two lines at one epoch (a
    damaged file may have them; the later one holds, as for the reader)."""
    expected = reader_states(repo, kind)
    got = replayed(rows)
    assert set(got) == set(expected)
    for key, changes in expected.items():
        assert {epoch for epoch, _ in changes} <= {epoch for epoch, _, _ in got[key]}, key
        for at, (epoch, figures, row) in enumerate(got[key]):
            for column in series.CHARTED.get(kind, []):
                want = number(dig(_nested(figures), column.path))
                assert row[column.name] == want, (key, epoch, column.name)
            if at + 1 < len(got[key]) and got[key][at + 1][0] == epoch:
                continue
            in_force = [state for when, state in changes if when <= epoch][-1]
            assert _texts(figures) == _texts(in_force), (key, epoch)


@given(folder=folders())
@FUZZ
def test_a_valid_folder_exports_as_the_archive_reader_reads_it(folder: Folder) -> None:
    with archive() as repo:
        folder.write(repo)
        rows = exported(repo, folder.kind)
        assert_rows_replay_to_reader(repo, folder.kind, rows)
    for feature in features(folder):
        event(feature)


def features(folder: Folder) -> list[str]:
    """Return what odd things a drawn folder holds (for --hypothesis-show-statistics)."""
    texts = [text for files in folder.days.values() for text in files.values()]
    headers = [text.partition("\n")[0].split("\t") for text in texts]
    lines = [line for text in texts for line in text.split("\n")[1:] if line]
    found = {
        "two folders": len(folder.days) > 1,
        "a patch": any('\t{"@":' in line for line in lines),
        "a name twice": any(len(set(header)) < len(header) for header in headers),
        "a format 2 line": any(line.startswith("\t") for line in lines),
        "a line past its header": any(
            len(line.split("\t")) > len(text.partition("\n")[0].split("\t"))
            for text in texts
            for line in text.split("\n")[1:]
        ),
    }
    return [folder.kind, *(name for name, present in found.items() if present)]


# -- damaged folders ------------------------------------------------------------------------

NOT_JSON = [
    "{",
    "[1",
    "1]",
    "1,2",
    "nan",
    "tru",
    "'x'",
    '"open',
    "01",
    "1.",
    ".5",
    "+1",
    "--1",
    "0x10",
    '{"@":',
    '{"@":[[5,{"a":1}]]}',
    '{"@":[["a",1]]}',
    " ",
    "Infinity",
    '"\\ud800"',
    '"\x01"',
    '"\\x"',
]
BAD_EPOCHS = [
    '"2026-07-19T10:00:00"',
    '"2026-07-19T10:00:60Z"',
    '"2026-07-19T24:00:00Z"',
    '"2026-02-30T10:00:00Z"',
    '"2026-07-18T10:00:00Z"',
    '"2027-07-19T10:00:00Z"',
    '"2026-07-19 10:00:00Z"',
    '"yesterday"',
    "1",
    '"2026-07-19T10:00:00Z',
]


# Damage no reader may read past (both refuse the file, naming it): a file cut inside a
# line, its header lost or renamed, a key cell that holds no key (cut, or no string), and a
# line pushed one cell right by a tab before its epoch (its epoch would read as its key).
# Before, each was read alike by both readers, and wrongly: a cut cell as a value, the
# first line as the header, the line as another key's.
REFUSED = ["cut in a line", "no header", "header renamed", "key", "tab before the epoch"]
NOT_KEYS = ['"open', 'open"', "1", "null", '["k"]', "", '"2026-07-19T10:00:00Z"']


@st.composite
def refused(draw: st.DrawFn, data: bytes) -> tuple[str, bytes] | None:
    """Draw one damage of REFUSED to a file's bytes (None: the file has no line for it)."""
    what = draw(st.sampled_from(REFUSED))
    head, _, body = data.partition(b"\n")
    if what == "no header":
        return what, body
    if what == "header renamed":
        names = head.split(b"\t")
        names[draw(st.integers(0, 1))] = draw(st.sampled_from([b'"epoc"', b'"id"', b'""']))
        return what, b"\t".join(names) + b"\n" + body
    if what == "cut in a line":
        inside = [n for n in range(1, len(data)) if data[n - 1 : n] != b"\n"]
        return what, data[: draw(st.sampled_from(inside))]
    lines = body.split(b"\n")
    places = [n for n, line in enumerate(lines) if line and (what == "key" or line[:1] == b'"')]
    if not places:
        return None
    n = draw(st.sampled_from(places))
    if what == "key":
        cells = lines[n].split(b"\t")
        cells[1] = draw(st.sampled_from(NOT_KEYS)).encode()
        lines[n] = b"\t".join(cells)
    else:
        lines[n] = b"\t" + lines[n]
    return what, head + b"\n" + b"\n".join(lines)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> tuple[str, bytes]:
    """Draw one damage to a file's bytes: (what, the damaged bytes)."""
    if draw(st.integers(0, 3)) == 0 and (found := draw(refused(data))) is not None:
        return found
    what = draw(st.sampled_from(["byte", "cut", "cell", "tab", "newline", "utf-8", "epoch"]))
    at = draw(st.integers(0, len(data)))
    if what == "byte" and data:
        at = min(at, len(data) - 1)
        return what, data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if what == "tab" or what == "newline":
        sign = b"\t" if what == "tab" else b"\n"
        places = [n for n, byte in enumerate(data) if byte == sign[0]]
        if draw(st.booleans()) and places:
            at = draw(st.sampled_from(places))
            return f"{what} taken out", data[:at] + data[at + 1 :]
        return f"{what} added", data[:at] + sign + data[at:]
    if what == "utf-8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80", b"\xe2\x82"]))
        return what, data[:at] + bad + data[at:]
    if what in ("cell", "epoch"):
        lines = data.decode().split("\n")
        body = [n for n, line in enumerate(lines) if n and line]
        if body:
            n = draw(st.sampled_from(body))
            cells = lines[n].split("\t")
            place = 0 if what == "epoch" else draw(st.integers(0, len(cells) - 1))
            cells[place] = draw(st.sampled_from(BAD_EPOCHS if what == "epoch" else NOT_JSON))
            lines[n] = "\t".join(cells)
            return what, "\n".join(lines).encode()
    return "cut", data[:at]


def damage_one(paths: list[Path], draw: st.DataObject) -> tuple[Path, str]:
    """Damage one of a folder's files as drawn; return it and what was done to it."""
    path = draw.draw(st.sampled_from(paths), label="file")
    what, data = draw.draw(damaged(path.read_bytes()), label="damage")
    path.write_bytes(data)
    return path, what


@given(folder=folders(), draw=st.data())
@FUZZ
def test_a_damaged_folder_is_named_or_read_as_the_archive_reader_reads_it(
    folder: Folder, draw: st.DataObject
) -> None:
    with archive() as repo:
        path, what = damage_one(folder.write(repo), draw)
        try:
            rows = exported(repo, folder.kind)
        except StoreError as error:
            assert str(path) in str(error) and "\n" not in str(error), str(error)
            event(f"{what}: named")
            if what in REFUSED:  # The archive's reader refuses it too, naming it.
                with pytest.raises(StoreError, match=re.escape(str(path))):
                    reader_states(repo, folder.kind)
            return
        assert what not in REFUSED, what
        event(f"{what}: read")
        assert_same_as_reader(repo, folder.kind, rows)


# -- the hourly uptime ----------------------------------------------------------------------

UPTIME_DAY = date(2026, 7, 19)
UPTIMES = ["100", "null", "99.94535519125684", "0"]
HOURS_HEADER = "\t".join(['"epoch"', '"key"', *(f'"{hour:02d}"' for hour in range(24))])


@st.composite
def uptime_folders(draw: st.DrawFn) -> Folder:
    """Draw an uptime day folder: one to three files, a line per endpoint, some hours."""
    keys = draw(st.lists(st.sampled_from(KEYS) | st.text(min_size=1), min_size=1, unique=True))
    files = draw(st.integers(1, 3))
    texts = {n: [HOURS_HEADER] for n in range(files)}
    midnight = dump(format_epoch(_at(UPTIME_DAY, 0)))
    for key in keys:
        cells = draw(st.lists(st.just("") | st.sampled_from(UPTIMES) | cell_values, max_size=24))
        line = "\t".join([midnight, spell_key(key, draw(st.booleans())), *cells])
        texts[draw(st.integers(0, files - 1))].append(line)
    found = Folder("endpoint_uptime")
    found.days[UPTIME_DAY.isoformat()] = {f"{n}.tsv": "\n".join(t) + "\n" for n, t in texts.items()}
    return found


@given(folder=uptime_folders(), draw=st.data())
@FUZZ_UPTIME
def test_an_uptime_folder_exports_the_points_the_archive_reader_stitches(
    folder: Folder, draw: st.DataObject
) -> None:
    with archive() as repo:
        paths = folder.write(repo)
        path, what = None, ""  # Undamaged: the export must read it.
        if draw.draw(st.booleans(), label="damaged"):
            path, what = damage_one(paths, draw)
        unit = series.folders(repo, "endpoint_uptime").units[0]
        try:
            table = series.unit_table(repo, "endpoint_uptime", unit)
        except StoreError as error:
            assert path is not None and str(path) in str(error), str(error)
            assert "\n" not in str(error), str(error)
            if what in REFUSED:
                with pytest.raises(StoreError, match=re.escape(str(path))):
                    uptime_between(repo, "", "~")
            return
        assert what not in REFUSED, what
        got = sorted(
            (row["key"], format_epoch(row["hour"]), row["uptime"])
            for row in (table.to_pylist() if table is not None else [])
        )
        expected = sorted(
            (key, hour, number(value))
            for key, points in uptime_between(repo, "", "~").items()
            for hour, value in points
        )
        assert got == expected


# -- what the fuzzing found, each a case of its own -------------------------------------------

A, B = '"2026-07-19T10:00:00Z"', '"2026-07-19T11:00:00Z"'


def write_day(repo: Path, lines: list[str], header: str = '"status"\t"history"') -> Path:
    """Write one endpoint file of 2026-07-19 (its data columns, then lines); return it."""
    folder = repo / "data" / "telemetry" / "endpoint" / "2026" / "07-19"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "0.tsv"
    path.write_bytes(f'"epoch"\t"key"\t{header}\n'.encode() + "\n".join(lines).encode() + b"\n")
    return path


def named_error(repo: Path) -> str:
    """Return the one-line error the export gives for a folder it cannot read."""
    with pytest.raises(StoreError) as raised:
        exported(repo, "endpoint")
    assert "\n" not in str(raised.value)
    return str(raised.value)


def test_parts_of_values_in_several_cells_are_not_taken_for_values(tmp_path: Path) -> None:
    # Joined, `[1`, `2]` and `3,4` are three values: a count of the whole let them through,
    # and `changed` held `[1` as a figure. The archive's reader refuses the file.
    path = write_day(tmp_path, [f'{A}\t"k"\t[1\t2]\t3,4'], header='"a"\t"b"\t"c"')
    assert str(path) in named_error(tmp_path)


def test_a_string_cannot_run_from_one_cell_into_another(tmp_path: Path) -> None:
    path = write_day(tmp_path, [f'{A}\t"k"\t"a\tb"\t1,2'], header='"a"\t"b"\t"c"')
    assert str(path) in named_error(tmp_path)


def test_a_key_cell_holding_a_control_character_is_named(tmp_path: Path) -> None:
    path = write_day(tmp_path, [f'{A}\t"k\x00"\t1'])
    assert str(path) in named_error(tmp_path)


@pytest.mark.parametrize(
    ("cell", "double"),
    [
        (" 5", 5.0),  # JSON allows a blank around a value.
        ("5 ", 5.0),
        ("5\r", 5.0),  # A line ending CRLF.
        (' "7" ', 7.0),
        ('"\\u0037"', 7.0),  # The string's value is "7".
        # A decimal string is a decimal spelt in ASCII (`number` reads it as prices are read):
        # Python's Decimal also read these, JavaScript and DuckDB do not.
        ('" 7 "', None),
        ('"\\t7"', None),
        ('"\u00a07"', None),
        ('"\u0661\u0662"', None),
        ('"1_000"', None),
    ],
)
def test_a_number_spelled_oddly_keeps_its_double(
    tmp_path: Path, cell: str, double: float | None
) -> None:
    write_day(tmp_path, [f'{A}\t"k"\t{cell}'])
    rows = exported(tmp_path, "endpoint")
    assert [row["status"] for row in rows] == [double]
    assert_rows_replay_to_reader(tmp_path, "endpoint", rows)


@pytest.mark.parametrize(
    "lines",
    [
        ['"2026-07-19T10:00:60Z"\t"k"\t1'],  # Read as 10:01 before.
        ['"2026-07-19T24:00:00Z"\t"k"\t1'],
        ['"2026-02-30T10:00:00Z"\t"k"\t1'],
        ['"2026-07-18T10:00:00Z"\t"k"\t1'],  # Another day's line: dropped without a word.
        [f'{B}\t"k"\t1', f'{A}\t"k"\t2'],  # Earlier than the line above: replayed out of turn.
    ],
)
def test_an_epoch_the_archive_could_not_have_written_is_named(
    tmp_path: Path, lines: list[str]
) -> None:
    path = write_day(tmp_path, lines)
    assert str(path) in named_error(tmp_path)


def test_an_empty_line_alone_after_the_header_is_named(tmp_path: Path) -> None:
    # The archive's reader refuses it; the export read no line from it, and said nothing.
    path = write_day(tmp_path, [f'{A}\t"k"\t1'])
    other = path.with_name("1.tsv")
    other.write_bytes(b'"epoch"\t"key"\n\n')
    assert str(other) in named_error(tmp_path)


def test_an_uptime_file_with_no_line_is_named_unless_its_columns_are_the_hours(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data" / "telemetry" / "endpoint_uptime" / "2026" / "07-19"
    folder.mkdir(parents=True)
    (folder / "0.tsv").write_bytes(HOURS_HEADER.encode() + b'\n"2026-07-19T00:00:00Z"\t"a"\t100\n')
    (folder / "1.tsv").write_bytes(HOURS_HEADER.encode() + b"\n")
    unit = series.folders(tmp_path, "endpoint_uptime").units[0]
    assert series.unit_table(tmp_path, "endpoint_uptime", unit).num_rows == 1
    (folder / "1.tsv").write_bytes(b"")  # As the archive's reader, a file of no columns.
    with pytest.raises(StoreError) as raised:
        series.unit_table(tmp_path, "endpoint_uptime", unit)
    assert str(folder / "1.tsv") in str(raised.value)
