"""Telemetry storage: real captures written as dated commits, read back equal to what was sent."""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from archiver import telemetry as telemetry_store
from archiver.archive.store import Store
from archiver.capture.files import Capture, read_capture
from archiver.errors import ArchiverError, StoreError
from archiver.sync import VARIANT_TELEMETRY
from archiver.telemetry import TelemetryWrites, telemetry_writes
from archiver.telemetry.layout import first_day
from archiver.upstream import fields as telemetry
from archiver.upstream import sources
from archiver.upstream.entities import Fetched, catalog_variants, observe
from archiver.upstream.fetch import Response

BENCH = Path(__file__).resolve().parents[1] / "bench" / "telemetry_bench.py"
EPOCH = datetime(2026, 7, 20, 5, tzinfo=UTC)


# --- helpers ----------------------------------------------------------------------------


def fetched_from(capture: Capture) -> Fetched:
    """Return the responses of a capture as a sync's fetch would hand them over."""
    bodies = {r.url: r.body for r in capture.responses if r.status == 200}

    def response(url: str) -> Response | None:
        return Response(url, data=bodies[url], status=200) if url in bodies else None

    fetched = Fetched(
        v1_models=response(sources.V1_MODELS),
        catalog=response(sources.CATALOG_MODELS),
        all_providers=response(sources.ALL_PROVIDERS),
    )
    assert fetched.catalog is not None
    for key, variant in catalog_variants(fetched.catalog).items():
        listing = response(variant.url(sources.ENDPOINT_STATS))
        if variant.has_endpoint and listing is not None:
            fetched.endpoint_lists[key] = listing
        for name, path in VARIANT_TELEMETRY.items():
            reply = response(variant.url(path))
            if reply is not None:
                fetched.variant_telemetry.setdefault(key, {})[name] = reply
    return fetched


def sent_endpoint_telemetry(capture: Capture) -> dict[str, dict[str, Any]]:
    """Return {endpointId: telemetry fields} straight from a capture's stats/endpoint bodies."""
    sent: dict[str, dict[str, Any]] = {}
    listings = [r for r in capture.responses if r.url.startswith(sources.ENDPOINT_STATS + "?")]
    # Alias listings ("~" permaslugs) repeat their target's endpoints: the target's copy first.
    for reply in sorted(listings, key=lambda r: "%7E" in r.url or "~" in r.url):
        for item in reply.body["data"]:
            figures = {k: v for k, v in item.items() if telemetry.is_endpoint_telemetry(k)}
            sent.setdefault(item["id"], figures)
    return sent


def iso(moment: datetime) -> str:
    """Return a time as the readers print epochs."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def write(
    store: Store, observed: dict[str, Any], epoch: datetime, message: str = "sync"
) -> TelemetryWrites:
    """Write one sync's telemetry and commit it; return what the writer did."""
    result = telemetry_writes(observed, epoch, store.tracked(), store.read)
    if result.writes:
        store.commit(result.writes, [], message)
    return result


@dataclass
class Archived:
    """The three daily captures synced into one archive, with what each sent."""

    repo: Path
    captures: list[Capture]
    results: list[TelemetryWrites]
    sent: list[dict[str, dict[str, Any]]]
    observed: list[dict[str, Any]]


@pytest.fixture(scope="module")
def archived(daily_paths: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Archived:
    """Return an archive holding the daily captures' telemetry, one commit per capture."""
    repo = tmp_path_factory.mktemp("telemetry") / "archive"
    store = Store(repo)
    archive = Archived(repo, [], [], [], [])
    for path in daily_paths:
        capture = read_capture(path)
        observed = observe(fetched_from(capture)).telemetry
        archive.captures.append(capture)
        archive.results.append(write(store, observed, capture.time, f"sync {iso(capture.time)}"))
        archive.sent.append(sent_endpoint_telemetry(capture))
        # A sync holds endpoint figures as compact JSON; compare them as objects.
        archive.observed.append({k: _decoded(figures) for k, figures in observed.items()})
    return archive


def _decoded(figures: dict[str, Any]) -> dict[str, Any]:
    """Return {key: figures object}, decoding figures held as JSON bytes."""
    return {k: orjson.loads(v) if isinstance(v, bytes) else v for k, v in figures.items()}


def changes(samples: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return the samples whose figures differ from the previous one's, as the readers do."""
    kept: list[dict[str, Any]] = []
    for epoch, figures in samples:
        if not kept or {k: v for k, v in kept[-1].items() if k != "epoch"} != figures:
            kept.append({"epoch": epoch, **figures})
    return kept


# --- the captures, read back --------------------------------------------------------------


def test_each_endpoint_with_stats_has_one_sample_per_capture_equal_to_what_was_sent(
    archived: Archived,
) -> None:
    with_stats = set.intersection(
        *(
            {k for k, f in sent.items() if isinstance(f.get("stats"), dict)}
            for sent in archived.sent
        )
    )
    # The same endpoints, found from what the sync path observed rather than from the bodies;
    # busy endpoints are most of every capture's (over 800 of ~1,300 in a full sweep).
    observed_with_stats = set.intersection(
        *(
            {k for k, f in observed["endpoint"].items() if isinstance(f.get("stats"), dict)}
            for observed in archived.observed
        )
    )
    assert with_stats == observed_with_stats
    assert all(len(with_stats) * 2 > len(sent) for sent in archived.sent)
    three = 0
    for endpoint_id in sorted(with_stats):
        expected = changes(
            [
                (iso(c.time), s[endpoint_id])
                for c, s in zip(archived.captures, archived.sent, strict=True)
            ]
        )
        assert telemetry_store.endpoint_series(archived.repo, endpoint_id) == expected
        three += len(expected) == 3
    # Stats are 30-minute figures: a day apart, every busy endpoint's differ.
    assert three == len(with_stats)


def test_every_endpoint_and_model_reads_back_as_sent(archived: Archived) -> None:
    for kind in ("endpoint", "model", "model_variant"):
        keys = set().union(*(observed[kind] for observed in archived.observed))
        for key in sorted(keys)[::7]:
            sent = [
                (iso(c.time), o[kind][key])
                for c, o in zip(archived.captures, archived.observed, strict=True)
                if key in o[kind]
            ]
            stored = telemetry_store.series(archived.repo, kind, key)
            assert [s for s in stored if len(s) > 1] == changes(sent), (kind, key)


def test_model_activity_is_stored_as_patches_yet_reads_back_whole(archived: Archived) -> None:
    key = next(
        k
        for k, figures in archived.observed[-1]["model_variant"].items()
        if figures.get("model_activity", {}).get("analytics")
    )
    stored = telemetry_store.series(archived.repo, "model_variant", key)
    assert (
        stored[-1]["model_activity"]
        == archived.observed[-1]["model_variant"][key]["model_activity"]
    )


def test_reading_by_since_and_until(archived: Archived) -> None:
    first, second, third = (c.time for c in archived.captures)
    endpoint_id = next(iter(archived.sent[0]))
    whole = telemetry_store.endpoint_series(archived.repo, endpoint_id)
    assert [s["epoch"] for s in whole] == [iso(first), iso(second), iso(third)]
    middle = telemetry_store.endpoint_series(
        archived.repo, endpoint_id, since=second, until=second + timedelta(hours=1)
    )
    assert middle == whole[1:2]
    assert telemetry_store.endpoint_series(archived.repo, endpoint_id, since=iso(third)) == [
        whole[2]
    ]
    assert telemetry_store.endpoint_series(archived.repo, endpoint_id, until="2026-07-18") == [
        whole[0]
    ]
    assert telemetry_store.endpoint_series(archived.repo, "no-such-endpoint") == []


def test_recent_series_hold_the_chart_figures_of_every_endpoint(archived: Archived) -> None:
    recent = telemetry_store.recent_endpoint_series(archived.repo, days=30)
    endpoint_id = "d68054f9-503c-4742-bbbb-32c415d27aa2"
    sent = archived.sent[-1][endpoint_id]
    assert recent[endpoint_id][-1] == {
        "epoch": iso(archived.captures[-1].time),
        "status": sent["status"],
        "stats": {
            name: sent["stats"][name]
            for name in ("p50_throughput", "p90_throughput", "p50_latency", "p90_latency")
        }
        | {"request_count": sent["stats"]["request_count"]},
    }
    assert len(recent) >= len(archived.sent[-1]) - 5
    one_day = telemetry_store.recent_endpoint_series(archived.repo, days=1)
    assert {len(samples) for samples in one_day.values()} == {1}


def test_a_second_write_of_the_same_telemetry_writes_nothing(archived: Archived) -> None:
    store = Store(archived.repo)
    last = archived.captures[-1].time
    for later in (last + timedelta(minutes=30), last + timedelta(days=1)):
        again = telemetry_writes(archived.observed[-1], later, store.tracked(), store.read)
        assert (again.writes, again.samples, again.problems) == ({}, 0, [])


def test_writes_stay_under_data_telemetry_as_one_file_per_kind_day_and_shard(
    archived: Archived,
) -> None:
    paths = set().union(*(result.writes for result in archived.results))
    assert all(p.startswith("data/telemetry/") and p.endswith(".tsv") for p in paths)
    assert "data/telemetry/endpoint/2026/07-19/d.tsv" in paths
    # One file per kind, day (a week for variants) and shard whose keys' figures moved since
    # the day before (few enough keys for one-digit shards).
    assert all(
        len(keys) <= telemetry_store.KEYS_PER_SHARD * 16
        for o in archived.observed
        for keys in o.values()
    )
    expected: set[str] = set()
    for day, (capture, observed) in enumerate(
        zip(archived.captures, archived.observed, strict=True)
    ):
        for kind, keys in observed.items():
            before = archived.observed[day - 1][kind] if day else {}
            for shard in {digest(key)[0] for key in [*keys, *before]}:
                if not day or in_shard(keys, shard) != in_shard(before, shard):
                    # A variant's file holds a week: the three captures share one.
                    folder = first_day(kind, capture.time.date())
                    expected.add(f"data/telemetry/{kind}/{folder:%Y/%m-%d}/{shard}.tsv")
    assert paths == expected
    assert archived.results[0].samples == sum(len(o) for o in archived.observed[0].values())


def in_shard(figures: dict[str, Any], shard: str) -> dict[str, Any]:
    """Return the keys of one shard that have figures, with their figures."""
    return {key: f for key, f in figures.items() if f and digest(key).startswith(shard)}


def test_to_csv_flattens_figures_into_dotted_columns(archived: Archived) -> None:
    series = telemetry_store.endpoint_series(archived.repo, "d68054f9-503c-4742-bbbb-32c415d27aa2")
    lines = telemetry_store.to_csv(series).splitlines()
    header = lines[0].split(",")
    assert header[0] == "epoch" and "stats.p50_latency" in header
    first = dict(zip(header, lines[1].split(","), strict=True))
    assert first["stats.p90_throughput"] == "56.60000000000001"
    assert first["stats.p99_latency"] == "3784.3600000000006"
    assert len(lines) == 4


# --- malformed, missing and changing telemetry ----------------------------------------------


def endpoint(p50: Any = 532, **extra: Any) -> dict[str, Any]:
    """Return one endpoint's telemetry as upstream sends it."""
    return {
        "status": 0,
        "stats": {"p50_latency": p50, "request_count": 95, "window_minutes": 30},
        **extra,
    }


def test_malformed_telemetry_is_reported_kept_where_possible_and_never_raises(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    write(store, {"endpoint": {"a": endpoint(), "b": endpoint(), "c": endpoint()}}, EPOCH)
    odd = {
        "endpoint": {
            "a": {"status": 0, "stats": "n/a"},
            "b": {"status": 0},
            "c": endpoint(p50=math.nan, stats_p999={"x": 1}),
            "d": "not an object",
            "": endpoint(),
            "2026-07-18T00:00:00Z": endpoint(),
        },
        "Not A Kind": {"x": {}},
        "model": ["not", "an", "object"],
    }
    result = write(store, odd, EPOCH + timedelta(hours=1))
    problems, notes = "\n".join(result.problems), "\n".join(result.notes)
    assert "figures are a str, expected an object; skipped" in problems
    assert "a key that is empty, not text, or spelt as a time was skipped" in problems
    assert "spelt as a time was skipped (2 keys" in problems  # '' and the time
    assert "not a kind name the archive can store" in problems
    assert "model telemetry: expected an object of keys, got a list" in problems
    assert "stats is a str, expected an object; kept as sent" in notes
    assert "endpoint telemetry: stats is no longer sent (1 key, e.g. 'b')" in notes
    assert "stats/p50_latency holds NaN or infinity, kept as a string" in notes
    assert "field stats_p999/x is new to the archiver, kept" in notes
    series = {k: telemetry_store.endpoint_series(tmp_path, k) for k in "abc"}
    assert series["a"][-1] == {
        "epoch": iso(EPOCH + timedelta(hours=1)),
        "status": 0,
        "stats": "n/a",
    }
    assert series["b"][-1] == {"epoch": iso(EPOCH + timedelta(hours=1)), "status": 0}
    assert series["c"][-1]["stats"]["p50_latency"] == "NaN"
    assert series["c"][-1]["stats_p999"] == {"x": 1}


def test_keys_of_one_clean_shape_still_keep_odd_values_exactly(tmp_path: Path) -> None:
    # Keys sharing columns and leaf types are checked once; the others still get every
    # NaN, infinity and comma-holding string right.
    store = Store(tmp_path)

    def figures(p50: float, endpoint_id: str = "x") -> dict[str, Any]:
        return endpoint(p50=p50, stats_extra=None) | {
            "stats": {"p50_latency": p50, "endpoint_id": endpoint_id}
        }

    sent = {
        "a": figures(532.5),
        "b": figures(0.25, endpoint_id="y, with a comma"),
        "c": figures(math.nan),
        "d": figures(-math.inf, endpoint_id="null"),
        "e": figures(1e300),
    }
    result = write(store, {"endpoint": sent}, EPOCH)
    assert "stats/p50_latency holds NaN or infinity, kept as a string (2 keys" in "\n".join(
        result.notes
    )
    read = {k: telemetry_store.endpoint_series(tmp_path, k)[-1] for k in sent}
    assert read["a"]["stats"] == {"p50_latency": 532.5, "endpoint_id": "x"}
    assert read["b"]["stats"] == {"p50_latency": 0.25, "endpoint_id": "y, with a comma"}
    assert read["c"]["stats"]["p50_latency"] == "NaN"
    assert read["d"]["stats"] == {"p50_latency": "-Infinity", "endpoint_id": "null"}
    assert read["e"]["stats"]["p50_latency"] == 1e300
    assert read["e"]["stats_extra"] is None


def test_numbers_keep_every_digit_and_large_integers_survive(tmp_path: Path) -> None:
    store = Store(tmp_path)
    figures = {"stats": {"p99_latency": 1322.8999999999999, "request_count": 2**70, "x": 1e-7}}
    # "d" (shard 3) comes before "f" (shard 4) with the same clean shape and small numbers,
    # so "f" is written by the fast path for known shapes, which must keep its large integer.
    small = {"stats": {"p99_latency": 1.5, "request_count": 7}}
    large = {"stats": {"p99_latency": 2.5, "request_count": 2**70}}
    write(store, {"endpoint": {"d": small, "e": figures, "f": large}}, EPOCH)
    assert telemetry_store.endpoint_series(tmp_path, "f") == [{"epoch": iso(EPOCH), **large}]
    assert telemetry_store.endpoint_series(tmp_path, "e") == [{"epoch": iso(EPOCH), **figures}]
    assert telemetry_store.endpoint_series(tmp_path, "d") == [{"epoch": iso(EPOCH), **small}]


def test_a_key_no_longer_observed_gets_a_gap_then_comes_back(tmp_path: Path) -> None:
    store = Store(tmp_path)
    hours = [EPOCH + timedelta(hours=h) for h in range(4)]
    write(store, {"endpoint": {"e": endpoint(), "f": endpoint(), "g": endpoint()}}, hours[0])
    write(store, {"endpoint": {"f": endpoint(p50=1), "g": endpoint()}}, hours[1])
    # A new day's file restarts every key: one gone at that moment says so there too.
    write(store, {"endpoint": {"e": endpoint(), "g": {}}}, hours[0] + timedelta(days=1))
    assert telemetry_store.endpoint_series(tmp_path, "e") == [
        {"epoch": iso(hours[0]), **endpoint()},
        {"epoch": iso(hours[1])},
        {"epoch": iso(hours[0] + timedelta(days=1)), **endpoint()},
    ]
    for key in "fg":
        assert telemetry_store.endpoint_series(tmp_path, key)[-1] == {
            "epoch": iso(hours[0] + timedelta(days=1))
        }


def test_a_kind_the_sync_did_not_fetch_is_left_alone(tmp_path: Path) -> None:
    store = Store(tmp_path)
    write(store, {"endpoint": {"e": endpoint()}, "model": {"m": {"x": 1}}}, EPOCH)
    result = write(store, {"endpoint": {"e": endpoint(p50=7)}}, EPOCH + timedelta(hours=1))
    assert list(result.writes) == [f"data/telemetry/endpoint/2026/07-20/{digest('e')[0]}.tsv"]


def digest(key: str) -> str:
    """Return the SHA-1 hex digest that names a key's shard."""
    import hashlib

    return hashlib.sha1(key.encode()).hexdigest()


def test_an_older_epoch_than_a_file_holds_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    write(store, {"endpoint": {"e": endpoint()}}, EPOCH + timedelta(hours=2))
    result = write(store, {"endpoint": {"e": endpoint(p50=9)}}, EPOCH)
    assert result.writes == {}
    assert "later than this sync's" in result.problems[0]


def test_a_damaged_file_is_reported_by_the_writer_and_refused_by_the_reader(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    (path,) = write(store, {"endpoint": {"e": endpoint()}}, EPOCH).writes
    store.commit({path: b'not a header\n"x"\n'}, [], "damage")
    result = write(store, {"endpoint": {"e": endpoint(p50=1)}}, EPOCH + timedelta(hours=1))
    assert result.writes == {}
    assert f"{path} is not a telemetry file the archiver can read" in result.problems[0]
    with pytest.raises(StoreError, match="is not a telemetry file the archiver can read"):
        telemetry_store.endpoint_series(tmp_path, "e")


def test_many_keys_spread_over_more_shard_digits(tmp_path: Path) -> None:
    store = Store(tmp_path)
    keys = [f"endpoint-{n}" for n in range(telemetry_store.KEYS_PER_SHARD * 16 + 1)]
    result = write(store, {"endpoint": {k: {"status": 0} for k in keys}}, EPOCH)
    assert {len(Path(p).stem) for p in result.writes} == {2}
    assert telemetry_store.endpoint_series(tmp_path, keys[-1]) == [
        {"epoch": iso(EPOCH), "status": 0}
    ]


def test_arrays_that_shift_are_patched_and_read_back_exactly(tmp_path: Path) -> None:
    store = Store(tmp_path)
    rows = [{"date": f"2026-07-{d:02d}", "count": d * 1000, "tokens": d * 7} for d in range(1, 32)]
    hours = []
    # 1001 then 1001.0: equal in Python, not in what upstream sent.
    for hour, count in enumerate([1000, 1001, 1001.0]):
        rows = [{**rows[0], "count": count}, *rows[1:]]
        figures = {"model_activity": {"analytics": rows, "cachedAt": hour}}
        write(store, {"model_variant": {"m": figures}}, EPOCH + timedelta(hours=hour))
        hours.append({"epoch": iso(EPOCH + timedelta(hours=hour)), **figures})
    stored = telemetry_store.series(tmp_path, "model_variant", "m")
    assert stored == hours
    assert type(stored[-1]["model_activity"]["analytics"][0]["count"]) is float
    text = next((tmp_path / "data/telemetry/model_variant").rglob("*.tsv")).read_text()
    assert text.count('{"@":') == 2


def test_readers_refuse_a_bad_kind_and_a_bad_time(tmp_path: Path) -> None:
    with pytest.raises(ArchiverError, match="unknown telemetry kind"):
        telemetry_store.series(tmp_path, "../x", "k")
    with pytest.raises(ArchiverError, match="not an ISO 8601 time"):
        telemetry_store.endpoint_series(tmp_path, "k", since="yesterday")


# --- the benchmark cannot rot -----------------------------------------------------------------


def load_bench() -> ModuleType:
    """Import bench/telemetry_bench.py, which is a script, not a package module."""
    spec = importlib.util.spec_from_file_location("telemetry_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up while being defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bench(daily_paths: list[Path]) -> Iterator[ModuleType]:
    """Return the benchmark module (it needs the daily captures)."""
    yield load_bench()


def test_benchmark_smoke_run_prints_its_figures(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    report = bench.main(["--hours", "24", "--endpoints", "50", "--models", "30", "--variants", "8"])
    out = capsys.readouterr().out
    assert "packed / xz" in out and "every endpoint, last 30 days" in out
    assert report.pack_bytes > 0 and report.xz_bytes > 0 and report.csv_bytes > report.xz_bytes
    assert report.one_samples > 1 and report.recent_samples > 50
    assert report.problems == []
