"""Telemetry codec properties: any JSON figures read back exactly; the fast path equals the checked.

Hypothesis draws the figures (derandomized: the same examples on every run, no deadline):
keys with the characters that mean something in a day file ('/', '~', tab, newline, U+2028,
U+0085, ',', '"'), integers beyond 64 bits, floats and the exact numbers `archiver.jsonvalue`
keeps for literals a double cannot carry, nested objects and arrays.
"""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from archiver import jsonvalue
from archiver.canonical import blob_id
from archiver.capture.files import Capture
from archiver.telemetry import KINDS, TelemetryWriter, series
from archiver.telemetry.checks import Problems, unstorable_key
from archiver.telemetry.codec import flatten
from archiver.telemetry.leaves import LeafEncoder, packer, unpacked
from archiver.upstream.fields import split_endpoint

EPOCH = datetime(2026, 7, 20, 5, tzinfo=UTC)
# Ten hours apart: the third sync starts the next day's file.
STEP = timedelta(hours=10)
DETERMINISTIC = settings(
    derandomize=True,
    deadline=None,
    max_examples=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters a day file gives a meaning to, mixed into ordinary text.
SPECIAL = '/~\t\n\r\u2028\u2029\u0085,"\\-@{}[]% '
TEXT_MAX = 12


@st.composite
def mixed_text(draw: st.DrawFn) -> str:
    """Return text whose every character is, as a coin falls, one of SPECIAL or any character.

    The coin is a byte a position: `st.text` over `st.one_of` of the two alphabets draws the
    same mix one character at a time, which took most of this module's time (3 s of each 4);
    each of these four draws is one call.
    """
    size = draw(st.integers(0, TEXT_MAX))
    ordinary = draw(st.text(st.characters(codec="utf-8"), min_size=size, max_size=size))
    special = draw(st.text(st.sampled_from(SPECIAL), min_size=size, max_size=size))
    coins = draw(st.binary(min_size=size, max_size=size))
    picked = zip(ordinary, special, coins, strict=True)
    return "".join(mark if coin & 1 else char for char, mark, coin in picked)


text = mixed_text()
# Numbers as upstream's JSON spells them, read as the archiver reads them: a float, an int,
# or an ExactNumber when a double cannot carry the literal.
literal = st.builds(
    lambda whole, fraction, exponent: f"{whole}{fraction}{exponent}",
    st.integers(-(10**40), 10**40),
    st.one_of(st.just(""), st.integers(0, 10**40).map(lambda digits: f".{digits}")),
    st.one_of(st.just(""), st.integers(-999, 999).map(lambda power: f"e{power}")),
)
number = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    literal.map(jsonvalue.loads),
)
scalar = st.one_of(st.none(), st.booleans(), number, text)


def json_values(leaf: st.SearchStrategy[Any], max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Return any JSON value built from these leaves: nested objects and arrays."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(text, inner, max_size=5)
        ),
        max_leaves=max_leaves,
    )


# One key's figures: an object with at least one member (no members is a gap, not figures).
figures = st.dictionaries(text, json_values(scalar), min_size=1, max_size=6)
# What the checks see: NaN and infinities too (upstream's JSON cannot hold them, Python can).
odd_scalar = st.one_of(scalar, st.floats(), st.sampled_from([math.nan, math.inf, -math.inf]))
odd_figures = st.dictionaries(text, json_values(odd_scalar), min_size=1, max_size=6)
# A key some entity can be archived under: the writer skips any other (SPEC: never written).
series_key = text.filter(lambda key: unstorable_key("endpoint", key) is None)


def exactly(value: Any) -> str:
    """Return a value's JSON text: tells 1 from 1.0 and true, and every digit apart."""
    return jsonvalue.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


class DayFiles:
    """A work tree of telemetry files written by one writer, sync after sync."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.writer = TelemetryWriter()
        self.tracked: dict[str, str] = {}
        self.blobs: dict[str, bytes] = {}

    def sync(self, kind: str, by_key: dict[str, Any], epoch: datetime) -> None:
        """Write one sync's telemetry of one kind into the work tree."""
        result = self.writer.writes({kind: by_key}, epoch, self.tracked, self.blobs.__getitem__)
        assert not result.problems, result.problems
        for path, data in result.writes.items():
            self.tracked[path] = blob_id(data)
            self.blobs[self.tracked[path]] = data
            (self.root / path).parent.mkdir(parents=True, exist_ok=True)
            (self.root / path).write_bytes(data)


def written_and_read(kind: str, key: str, hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the samples read back after writing one key's figures hour by hour."""
    with tempfile.TemporaryDirectory() as folder:
        files = DayFiles(Path(folder))
        for hour, sent in enumerate(hours):
            files.sync(kind, {key: sent}, EPOCH + hour * STEP)
        patches = any(b'{"@":' in data for data in files.blobs.values())
        event("an array written as a patch" if patches else "no patch")
        return series(folder, kind, key)


def expected_samples(hours: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the samples the readers give: one per change of the figures."""
    samples: list[dict[str, Any]] = []
    for hour, sent in enumerate(hours):
        if not samples or exactly(samples[-1]) != exactly({"epoch": samples[-1]["epoch"], **sent}):
            samples.append({"epoch": f"{EPOCH + hour * STEP:%Y-%m-%dT%H:%M:%SZ}", **sent})
    return samples


# --- the round trip ---------------------------------------------------------------------


@DETERMINISTIC
@given(kind=st.sampled_from(KINDS), key=series_key, hours=st.lists(figures, min_size=1, max_size=3))
def test_any_figures_read_back_exactly(kind: str, key: str, hours: list[dict[str, Any]]) -> None:
    read = written_and_read(kind, key, hours)
    expected = expected_samples(hours)
    assert [exactly(sample) for sample in read] == [exactly(sample) for sample in expected]
    assert read == expected


@st.composite
def edited_arrays(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Return hours of figures whose long array changes a little each hour (patch cells).

    A row's `tokens` is a small nested value (up to 4 leaves, not 20): rows are drawn 8 to
    30 at a time, and drawing 20-leaf values for each took most of this module's time; the
    deep values themselves are drawn by the tests above.
    """
    row = st.fixed_dictionaries(
        {"date": text, "count": number, "tokens": json_values(scalar, max_leaves=4)}
    )
    rows = draw(st.lists(row, min_size=8, max_size=30))
    hours = [{"model_activity": {"analytics": rows}}]
    for _ in range(draw(st.integers(1, 3))):
        rows = list(rows)
        edit = draw(st.sampled_from(["shift", "insert", "field", "drop"]))
        where = draw(st.integers(0, len(rows) - 1))
        if edit == "shift":
            rows = [*rows[1:], draw(row)]
        elif edit == "insert":
            rows.insert(where, draw(row))
        elif edit == "field":
            rows[where] = {**rows[where], "count": draw(number)}
        elif len(rows) > 1:
            del rows[where]
        hours.append({"model_activity": {"analytics": rows}})
    return hours


@DETERMINISTIC
@given(hours=edited_arrays())
def test_arrays_patched_hour_by_hour_read_back_exactly(hours: list[dict[str, Any]]) -> None:
    read = written_and_read("model_variant", "openai/gpt-4.1", hours)
    expected = expected_samples(hours)
    assert [exactly(sample) for sample in read] == [exactly(sample) for sample in expected]


# --- fast path equals checked path ------------------------------------------------------


def same_shape_clean(value: Any) -> Any:
    """Return a value of the same shape (keys and leaf types) whose leaves check clean."""
    if type(value) is dict:
        return {name: same_shape_clean(item) for name, item in value.items()}
    if type(value) is float:
        return 0.5
    if type(value) is int:
        return 1
    if type(value) is str:
        return "s"
    if type(value) is list:
        return []
    return value  # None, a boolean, an ExactNumber


# Figures as each kind's schema has them, so that their shapes check clean and are cached.
schema_figures = st.one_of(
    st.tuples(
        st.just("endpoint"),
        st.fixed_dictionaries(
            {"status": odd_scalar},
            optional={
                "stats": st.fixed_dictionaries(
                    {"p50_latency": odd_scalar, "request_count": odd_scalar},
                    optional={"endpoint_id": odd_scalar, "window_minutes": odd_scalar},
                ),
                "statsByTier": st.dictionaries(
                    text, st.fixed_dictionaries({"p90_throughput": odd_scalar}), max_size=3
                ),
            },
        ),
    ),
    st.tuples(
        st.just("model_variant"),
        st.fixed_dictionaries(
            {"effective_pricing": odd_figures}, optional={"model_activity": odd_figures}
        ),
    ),
    st.tuples(st.just("model"), st.fixed_dictionaries({"benchmarks.design_arena": odd_scalar})),
    st.tuples(st.sampled_from(KINDS), odd_figures),
)


@DETERMINISTIC
@given(kind_and_figures=schema_figures, key=series_key)
def test_the_fast_path_gives_what_the_checked_path_gives(
    kind_and_figures: tuple[str, dict[str, Any]], key: str
) -> None:
    kind, sent = kind_and_figures
    checked_problems, fast_problems = Problems(), Problems()
    checked = LeafEncoder().checked_leaves(kind, key, sent, checked_problems)
    encoder = LeafEncoder()
    # A key of the same shape first: found clean, its shape is cached for the next one.
    encoder.leaves(kind, "primer", same_shape_clean(sent), Problems())
    event("fast path" if encoder.clean_shapes else "checked path only (shape not clean)")
    fast = encoder.leaves(kind, key, sent, fast_problems)
    # Same leaves in the same order (the order of a file's columns), same problems reported.
    assert list(fast.items()) == list(checked.items())
    assert fast_problems.lines(written=True) == checked_problems.lines(written=True)


@DETERMINISTIC
@given(sent=odd_figures)
def test_fast_flattening_gives_what_flattening_gives(sent: dict[str, Any]) -> None:
    columns: list[str] = []
    values: list[Any] = []
    encoder = LeafEncoder()
    for _ in range(2):  # the second time through the cached column names
        columns.clear()
        values.clear()
        assert encoder.flatten_fast(sent, "", columns, values)
        flat: dict[str, Any] = {}
        flatten(sent, "", flat)
        assert columns == list(flat)
        assert [exactly(jsonvalue_safe(v)) for v in values] == [
            exactly(jsonvalue_safe(v)) for v in flat.values()
        ]


def jsonvalue_safe(value: Any) -> Any:
    """Return a value with NaN and infinities as text, so that it can be compared as JSON."""
    if type(value) is float and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list):
        return [jsonvalue_safe(item) for item in value]
    if isinstance(value, dict):
        return {name: jsonvalue_safe(item) for name, item in value.items()}
    return value


# --- figures packed as a sync reads them ------------------------------------------------


@DETERMINISTIC
@given(kind_and_figures=schema_figures, key=series_key)
def test_packed_figures_unpack_to_what_the_checked_path_gives(
    kind_and_figures: tuple[str, dict[str, Any]], key: str
) -> None:
    kind, sent = kind_and_figures
    checked_problems = Problems()
    checked = LeafEncoder().checked_leaves(kind, key, sent, checked_problems)
    pack = packer(kind)
    pack(same_shape_clean(sent))  # a clean key of the shape first, as in a real listing
    packed = pack(sent)
    if packed is None:
        event("left to the writer")
        return
    event("packed")
    # Packed only what the writer would write unchecked: the same leaves, nothing to report.
    assert list(unpacked(packed).items()) == list(checked.items())
    assert checked_problems.total() == 0


def test_a_real_listing_s_figures_are_packed_and_unpack_exactly(daily_capture: Capture) -> None:
    pack = packer("endpoint")
    figures = [
        split_endpoint(endpoint)[1]
        for response in daily_capture.responses
        if response.url.split("?")[0].endswith("/stats/endpoint") and response.status == 200
        for endpoint in response.body["data"]
    ]
    packed = [pack(sent) for sent in figures]
    assert len(figures) > 50
    # Every real shape checks clean: the sync parses none of them twice.
    assert None not in packed
    for sent, one in zip(figures, packed, strict=True):
        assert one is not None
        assert unpacked(one) == LeafEncoder().checked_leaves("endpoint", "k", sent, Problems())
    # Keys of one shape share one tuple of column names, not a copy each.
    assert len({id(one[0]) for one in packed if one}) < len(packed) / 10
