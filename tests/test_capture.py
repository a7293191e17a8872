"""Reading and writing capture files, on the real captures and small ones."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest

from archiver.capture.files import (
    Capture,
    CapturedResponse,
    canonical_url,
    read_capture,
    write_capture,
)
from archiver.errors import ArchiverError, CaptureError

TIME = datetime(2026, 7, 19, 15, 59, 4, tzinfo=UTC)
RESPONSES = (
    CapturedResponse("GET", "/api/v1/models", 200, {"data": [{"id": "a/b"}]}),
    CapturedResponse("GET", "/x?permaslug=a%2Fb&variant=free", 200, {"data": None}),
    CapturedResponse("GET", "/gone", 404, {"error": {"code": 404, "message": "nope"}}),
)


LISTINGS = ("/api/v1/models", "/api/frontend/v1/catalog/models", "/api/frontend/v1/all-providers")
PER_VARIANT = ("effective-pricing", "model-activity")


def catalog_queries(capture: Capture) -> list[tuple[str, str, bool]]:
    """Return (permaslug, variant, has an endpoint) of each catalog model of a capture."""
    body = next(r.body for r in capture.responses if r.url == LISTINGS[1])
    found = []
    for entry in body["data"]:
        featured = entry["endpoint"]
        variant = featured["variant"] if featured else "standard"
        found.append((entry["permaslug"], variant, featured is not None))
    return found


def test_daily_capture_has_header_and_full_sweep(daily_capture: Capture) -> None:
    """A daily capture reads into a UTC time, its source and a whole sweep, all GET 200."""
    assert daily_capture.time.tzinfo is not None
    assert daily_capture.time.utcoffset() == timedelta(0)
    assert daily_capture.time.year == 2026
    assert "openrouter-pricing-data" in daily_capture.source
    assert daily_capture.path is not None and daily_capture.path.name.endswith(".jsonl.gz")
    urls = [response.url for response in daily_capture.responses]
    assert set(LISTINGS) <= set(urls)
    assert all(r.method == "GET" and r.status == 200 for r in daily_capture.responses)
    # A whole sweep: the listings, then for each catalog model its telemetry, and its
    # endpoint listing when the catalog features an endpoint (quoted by hand, not by the code).
    expected = set(LISTINGS)
    for permaslug, variant, featured in catalog_queries(daily_capture):
        query = f"?permaslug={quote(permaslug, safe='')}&variant={quote(variant, safe='')}"
        stats = "/api/frontend/v1/stats/"
        expected |= {f"{stats}{path}{query}" for path in PER_VARIANT}
        if featured:
            expected.add(f"{stats}endpoint{query}")
    assert len(urls) == len(set(urls)) == len(expected) > len(LISTINGS)
    assert set(urls) == expected


def test_daily_capture_stats_urls_are_canonical_already(daily_capture: Capture) -> None:
    """Recorded permaslug&variant query strings are already in canonical form."""
    with_query = [r.url for r in daily_capture.responses if "?" in r.url]
    # Not vacuous: every catalog model's telemetry requests carry a query string.
    assert len(with_query) >= len(PER_VARIANT) * len(catalog_queries(daily_capture)) > 0
    assert [canonical_url(url) for url in with_query] == with_query


def test_every_v1_models_capture_holds_one_models_list(v1_models_paths: list[Path]) -> None:
    """Each v1-models capture is one /api/v1/models response: a list of distinct models."""
    times = []
    for path in v1_models_paths:
        capture = read_capture(path)
        assert [r.url for r in capture.responses] == ["/api/v1/models"]
        ids = [model["id"] for model in capture.responses[0].body["data"]]
        # tests/captures/trim.py cuts each to the small daily captures' models plus a few
        # that come and go: 76-82 models (the full captures hold 337-356).
        assert len(set(ids)) == len(ids) > 50
        times.append(capture.time)
    assert times == sorted(times)


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    """A written gzip capture reads back equal, header and responses alike."""
    path = tmp_path / "small.jsonl.gz"
    write_capture(path, TIME, "tests", "small", RESPONSES)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    capture = read_capture(str(path))
    assert capture == Capture(TIME, "tests", "small", RESPONSES, path)


def test_plain_jsonl_is_written_and_read_uncompressed(tmp_path: Path) -> None:
    """A .jsonl name gives plain JSON lines, which read back the same."""
    path = tmp_path / "small.jsonl"
    write_capture(path, TIME, "tests", "plain", RESPONSES)
    lines = path.read_text().splitlines()
    assert lines[0] == '{"capture":"2026-07-19T15:59:04Z","source":"tests","note":"plain"}'
    assert read_capture(path).responses == RESPONSES


def test_times_are_stored_and_read_as_utc(tmp_path: Path) -> None:
    """An offset time is converted to UTC; a naive one is taken as UTC."""
    path = tmp_path / "tz.jsonl.gz"
    write_capture(path, TIME.astimezone(timezone(timedelta(hours=2))), "t", "n", [])
    assert read_capture(path).time == TIME
    write_capture(path, TIME.replace(tzinfo=None), "t", "n", [])
    assert read_capture(path).time.tzinfo == UTC


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    """Trailing and blank lines do not count as responses."""
    path = tmp_path / "blank.jsonl"
    path.write_text(
        '{"capture":"2026-07-19T00:00:00Z","source":"s","note":"n"}\n\n'
        '{"method":"GET","url":"/a","status":200,"body":1}\n\n'
    )
    assert [r.body for r in read_capture(path).responses] == [1]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("/x?b=2&a=1", "/x?a=1&b=2"),
        ("/x?a=%31&b=2", "/x?a=1&b=2"),
        ("/s?permaslug=a/b:free&variant=x", "/s?variant=x&permaslug=a%2Fb%3Afree"),
        ("/s?q=a+b", "/s?q=a%20b"),
        ("/x?", "/x"),
        ("http://127.0.0.1:8000/x?a=1#frag", "/x?a=1"),
    ],
)
def test_canonical_url_equates_same_request(left: str, right: str) -> None:
    """Order, encoding, scheme/host and fragment do not change the canonical URL."""
    assert canonical_url(left) == canonical_url(right)


def test_canonical_url_keeps_repeats_and_sorts_by_value() -> None:
    """Repeated parameters stay, sorted by key then value."""
    assert canonical_url("/x?b=1&a=2&a=1") == "/x?a=1&a=2&b=1"
    assert canonical_url("/x?a=1") != canonical_url("/x?a=1&a=1")


def test_canonical_url_distinguishes_values_and_can_ignore_keys() -> None:
    """Different values differ; an ignored key such as the cache-buster drops out."""
    assert canonical_url("/x?variant=free") != canonical_url("/x?variant=standard")
    assert canonical_url("/x?_=123&a=1", ignore={"_"}) == "/x?a=1"
    assert canonical_url("/x?_=123", ignore={"_"}) == "/x"


def _error_for(path: Path) -> str:
    """Return the CaptureError message reading the path raises."""
    with pytest.raises(CaptureError) as caught:
        read_capture(path)
    assert isinstance(caught.value, ArchiverError)
    return str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    """A missing capture says so and names the path."""
    message = _error_for(tmp_path / "absent.jsonl.gz")
    assert "absent.jsonl.gz" in message and "no such capture file" in message


def test_non_gzip_with_gz_name_is_rejected(tmp_path: Path) -> None:
    """Random bytes named .gz are reported as not gzip."""
    path = tmp_path / "junk.jsonl.gz"
    path.write_bytes(b"definitely not gzip\n")
    assert "not a gzip file" in _error_for(path)


def test_truncated_gzip_is_reported_with_last_good_line(
    tmp_path: Path, daily_paths: list[Path]
) -> None:
    """A real capture cut in half fails as corrupt gzip, naming the file."""
    data = daily_paths[0].read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    message = _error_for(path)
    assert str(path) in message and "bad gzip data after line" in message


def test_corrupt_gzip_stream_is_reported(tmp_path: Path) -> None:
    """Gzip magic followed by garbage is a CaptureError, not a zlib or OSError."""
    path = tmp_path / "garbage.jsonl.gz"
    path.write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    assert "bad gzip data" in _error_for(path)


def test_bad_json_line_names_file_and_line(tmp_path: Path) -> None:
    """A line that is not JSON is reported by line number."""
    path = tmp_path / "bad.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(b'{"capture":"2026-07-19T00:00:00Z","source":"s","note":"n"}\n')
        out.write(b'{"method":"GET","url":"/a","status":200,"body":1}\n')
        out.write(b'{"method":"GET","url":"/b","status":200,"body":\n')
    message = _error_for(path)
    assert f"{path}:3" in message and "line 3 is not valid JSON" in message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('{"capture":"2026-07-19T00:00:00Z","source":"s"}', "lacks string field(s) note"),
        ('{"note":"n"}', "capture, source"),
        ("[1, 2]", "must be a JSON object"),
        ('{"capture":"yesterday","source":"s","note":"n"}', "not ISO 8601"),
    ],
)
def test_bad_header_is_explained(tmp_path: Path, header: str, expected: str) -> None:
    """Missing or malformed header fields name the file, line 1 and the fields."""
    path = tmp_path / "header.jsonl"
    path.write_text(header + "\n")
    message = _error_for(path)
    assert f"{path}:1: header line 1" in message and expected in message


def test_bad_response_line_is_explained(tmp_path: Path) -> None:
    """A response line without a status is reported with its line number."""
    path = tmp_path / "response.jsonl"
    path.write_text(
        '{"capture":"2026-07-19T00:00:00Z","source":"s","note":"n"}\n'
        '{"method":"GET","url":"/a","body":1}\n'
    )
    assert "response line 2: field 'status' missing or not of type int" in _error_for(path)


@pytest.mark.parametrize("status", [-5, 0, 99, 600, 1000, 10**30])
def test_a_status_http_has_not_is_refused(tmp_path: Path, status: int) -> None:
    path = tmp_path / "response.jsonl"
    path.write_text(
        '{"capture":"2026-07-19T00:00:00Z","source":"s","note":"n"}\n'
        f'{{"method":"GET","url":"/a","status":{status},"body":1}}\n'
    )
    message = _error_for(path)
    assert f"response line 2: status {status} is not an HTTP status (100-599)" in message


def test_empty_file_is_explained(tmp_path: Path) -> None:
    """An empty capture has no header, and the error says so."""
    path = tmp_path / "empty.jsonl.gz"
    write_capture(path, TIME, "s", "n", [])
    path.write_bytes(gzip.compress(b""))
    assert "empty capture" in _error_for(path)
