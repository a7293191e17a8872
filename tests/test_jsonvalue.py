"""jsonvalue.loads reads compact text (the archiver's own telemetry, upstream's listings)
through a round trip: it must still give every number digit for digit, and orjson's own types
where they fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from archiver import jsonvalue
from archiver.canonical import json_bytes
from archiver.capture.files import read_capture
from archiver.jsonvalue import ExactNumber
from archiver.upstream import fields
from archiver.upstream.sources import ENDPOINT_STATS

CAPTURE = Path(__file__).parent / "captures" / "daily" / "2026-07-19T155904Z.jsonl.gz"


def _types(value: Any) -> Any:
    """Return the value's shape with the type of every leaf, to compare types as well."""
    if isinstance(value, dict):
        return {key: _types(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_types(item) for item in value]
    return type(value)


def test_real_endpoint_figures_read_back_as_orjson_reads_them() -> None:
    capture = read_capture(CAPTURE)
    figures = [
        fields.split_endpoint(endpoint)[1]
        for response in capture.responses
        if response.url.startswith(ENDPOINT_STATS)
        for endpoint in response.body["data"]
    ]
    texts = [json_bytes(figure) for figure in figures if figure]
    assert len(texts) > 100
    for text in texts:
        value = jsonvalue.loads(text)
        assert value == orjson.loads(text) and _types(value) == _types(orjson.loads(text))
        assert jsonvalue.dumps(value) == text


@pytest.mark.parametrize(
    "text",
    [
        b'{"a":123456789012345678901234567890,"b":[-1e400,1e-400]}',
        b'{"p":0.1000000000000000055511151231257827,"q":0.10000000000000001}',
        b"[18446744073709551616,-9223372036854775809,9007199254740993.0]",
        b'{"count":7,"latency":1e400}',
    ],
)
def test_compact_text_with_numbers_a_double_cannot_carry_reads_exactly(text: bytes) -> None:
    value = jsonvalue.loads(text)
    assert jsonvalue.dumps(value) == text
    numbers = value.values() if isinstance(value, dict) else value
    assert any(isinstance(n, ExactNumber) or type(n) is int for n in numbers)


def test_a_long_compact_text_with_one_rounded_number_reads_exactly() -> None:
    rows = [{"id": f"e{number}", "latency": 186.61000000000013} for number in range(2_000)]
    rows.append({"id": "big", "latency": ExactNumber("0.1000000000000000055511151231257827")})
    text = jsonvalue.dumps(rows)
    assert orjson.dumps(orjson.loads(text)) != text  # the round trip fails: the scan decides
    value = jsonvalue.loads(text)
    assert type(value[-1]["latency"]) is ExactNumber and jsonvalue.dumps(value) == text
    short = jsonvalue.dumps(rows[-3:])
    assert jsonvalue.loads(short)[-1]["latency"].literal == "0.1000000000000000055511151231257827"


def test_a_whole_listing_as_upstream_sends_it_reads_as_orjson_reads_it() -> None:
    # Upstream's JSON.stringify writes compact text, numbers in their shortest form: a
    # listing is read through orjson's round trip, thousands of 16-digit latencies and all.
    capture = read_capture(CAPTURE)
    endpoints = [
        e for r in capture.responses if r.url.startswith(ENDPOINT_STATS) for e in r.body["data"]
    ]
    listing = orjson.dumps({"data": endpoints})
    assert len(listing) > 1_000_000 and b"00000000001," in listing
    value = jsonvalue.loads(listing)
    assert value == orjson.loads(listing) and _types(value) == _types(orjson.loads(listing))
    # Spelled otherwise than orjson writes it (a trailing zero, an escaped slash), a listing
    # reads the same, through the scan.
    respelled = listing.replace(b'"data":[', b'"data":[{"x":1.50,"y":"a\\/b"},', 1)
    assert orjson.dumps(orjson.loads(respelled)) != respelled
    assert jsonvalue.loads(respelled) == orjson.loads(respelled)


def test_compact_text_deeper_than_orjson_writes_reads_as_orjson_reads_it() -> None:
    text = b'{"x":' + b"[" * 300 + b"]" * 300 + b"}"
    assert jsonvalue.loads(text) == orjson.loads(text)
    with pytest.raises(jsonvalue.NestingError):
        jsonvalue.dumps(jsonvalue.loads(text))


def test_text_that_is_no_json_is_refused_on_the_round_trip_path() -> None:
    for text in (b'{"a":NaN}', b'["\\ud800"]', b'{"a":1,}'):
        with pytest.raises(jsonvalue.DecodeError):
            jsonvalue.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        b"0e1000000000000000000",
        b"[1.5e-99999999999999999999]",
        b"[1e1000000000000000000]",
        # Inside a string, between commas, it is still scanned as a suspect literal.
        b'{"d":"x,0e1000000000000000000,y","e":1.0E5}',
    ],
)
def test_an_exponent_past_what_decimal_holds_reads_and_compares(text: bytes) -> None:
    # Decimal raises InvalidOperation on such literals: one in any upstream body ended the
    # sync with that traceback (parse_body catches only JSONDecodeError).
    value = jsonvalue.loads(text)
    assert jsonvalue.loads(jsonvalue.dumps(value)) == value
    hash(jsonvalue.dumps(value))
    numbers = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, float)]
    for number in numbers:
        assert number == number and hash(number) == hash(number)
        assert jsonvalue.dumps([number]) in text or jsonvalue.dumps(number) == text
