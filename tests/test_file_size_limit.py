"""No archived file passes the size GitHub warns about: one hostile value never wedges a push.

GitHub refuses a push holding a file over 100 MiB. The hourly job pushes every hour from a
fresh clone, so a file past that would fail every push from then on, for as long as
upstream kept sending the value: the archive would stop. Indentation makes a deep, wide
value hundreds of times larger than it was sent (a 0.25 MB listing gives a 60 MB file), and
telemetry files grow hour by hour. Real small captures (a quarter of their models), real
syncs into real repositories, sizes read back with the git CLI.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.archive.zdr_ledger import ledger_write
from archiver.canonical import MAX_FILE_BYTES, order_bytes
from archiver.capture.files import Capture
from archiver.indented_size import indented_size
from archiver.telemetry.layout import digest
from archiver.telemetry.reader import endpoint_series
from archiver.telemetry.uptime import MAX_CELL_CHARS, uptime_writes
from archiver.upstream.fetch import Response
from archiver.upstream.zdr import read_ledger
from tests.small_captures import copy_archive, sync_small, with_first_endpoints_edited
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_captures"]
ZDR_URL = "/api/v1/endpoints/zdr"
# Innermost list at this depth: each of its items is a line of about 500 bytes in the file.
DEPTH = 250


def _tree_sizes(repo: Path) -> dict[str, int]:
    """Return {path: bytes} of every file at HEAD, as git lists them."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "-l", "-z", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    sizes = {}
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        sizes[path] = int(meta.split()[3])
    return sizes


def _deep_and_wide(items: int) -> list[Any]:
    """Return a list nested DEPTH levels deep around `items` zeros."""
    value: list[Any] = [0] * items
    for _ in range(DEPTH):
        value = [value]
    return value


def _sync_at(repo: Path, capture: Capture, hours: int = 0) -> Any:
    """Sync a capture as if taken `hours` after its time."""
    return sync_small(repo, replace(capture, time=capture.time + timedelta(hours=hours)))


def test_an_endpoint_whose_file_would_pass_the_limit_keeps_its_file(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    repo = tmp_path / "archive"
    sync_small(repo, small_captures[0])
    before = _tree_sizes(repo)
    wide = MAX_FILE_BYTES // (2 * DEPTH) + 10_000
    edits = [
        lambda item: {**item, "extra": _deep_and_wide(wide)},
        lambda item: {**item, "name": item["name"] + " (renamed)"},
    ]
    edited, (hostile, renamed) = with_first_endpoints_edited(small_captures[0], edits)
    log = _sync_at(repo, edited, hours=1)
    hostile_path, renamed_path = f"data/endpoint/{hostile}.json", f"data/endpoint/{renamed}.json"
    refusals = [line for line in log.failures if hostile in line]
    assert len(refusals) == 1, log.failures
    assert "MiB a file of the archive may hold" in refusals[0]
    assert "not written (its archived version, if any, is kept)" in refusals[0]
    show = ["git", "-C", str(repo), "show"]
    assert subprocess.run([*show, f"HEAD:{hostile_path}"], capture_output=True).stdout == (
        subprocess.run([*show, f"HEAD~1:{hostile_path}"], capture_output=True).stdout
    )
    assert (
        "(renamed)"
        in subprocess.run([*show, f"HEAD:{renamed_path}"], capture_output=True, text=True).stdout
    )
    after = _tree_sizes(repo)
    assert max(after.values()) <= MAX_FILE_BYTES
    assert after.keys() == before.keys()


def test_figures_that_would_take_a_telemetry_file_past_the_limit_skip_that_key_only(
    small_captures: list[Capture], tmp_path: Path
) -> None:
    base = tmp_path / "base"
    sync_small(base, small_captures[0])
    # A third of the limit an hour: the file holds two such hours, never three.
    huge = MAX_FILE_BYTES // 3

    def hostile(hour: int) -> Capture:
        def edit(item: dict[str, Any]) -> dict[str, Any]:
            stats = {**(item.get("stats") or {}), "note": str(hour) * huge}
            return {**item, "stats": stats}

        return with_first_endpoints_edited(small_captures[1], [edit])[0]

    attacked, clean = copy_archive(base, tmp_path / "attacked"), copy_archive(base, tmp_path / "c")
    key = with_first_endpoints_edited(small_captures[1], [lambda item: item])[1][0]
    logs = [_sync_at(attacked, hostile(hour), hours=hour) for hour in (1, 2, 3)]
    for hour in (1, 2, 3):
        _sync_at(clean, small_captures[1], hours=hour)
    sizes = _tree_sizes(attacked)
    assert max(sizes.values()) <= MAX_FILE_BYTES
    assert max(sizes.values()) > MAX_FILE_BYTES // 2  # the first two hours are there
    assert not logs[0].failures and not logs[1].failures
    skipped = [line for line in logs[2].failures if "past the 50 MiB" in line]
    assert skipped == [
        "endpoint telemetry: figures would take their file past the 50 MiB a file of the "
        "archive may hold (GitHub refuses a push holding a file over 100 MiB); skipped "
        f"(1 key, e.g. {key!r})"
    ]
    # Every other endpoint's series is what a sync of the clean hours gives, in that
    # endpoint's shard as in the others; the hostile one's third hour is a gap.
    repo_ids = sorted(path.stem for path in (clean / "data/endpoint").glob("*.json"))
    assert key in repo_ids
    in_its_shard = {
        digest(endpoint_id)[0] == digest(key)[0] for endpoint_id in repo_ids if endpoint_id != key
    }
    assert in_its_shard == {True, False}, "other endpoints in the hostile one's shard and in others"
    for endpoint_id in repo_ids:
        if endpoint_id != key:
            assert endpoint_series(attacked, endpoint_id) == endpoint_series(clean, endpoint_id)
    samples = endpoint_series(attacked, key)
    assert [s["stats"]["note"][:1] for s in samples[-3:-1]] == ["1", "2"]
    assert samples[-1].keys() == {"epoch"}


def test_an_uptime_window_holding_no_uptime_is_refused_alone() -> None:
    hour = "2026-07-18T05:00:00Z"
    windows = {"a-huge": {hour: "9" * (MAX_CELL_CHARS + 1)}, "b-fine": {hour: 99.5}}
    result = uptime_writes(windows, {}, lambda blob: b"", known_endpoints=2)
    assert result.problems == [
        "uptime window of endpoint 'a-huge' not written: the uptime at "
        f"{hour} is {MAX_CELL_CHARS + 3:,} characters of JSON, not one"
    ]
    (data,) = result.writes.values()
    assert b'"b-fine"' in data and b"a-huge" not in data
    assert b"99.5" in data


@pytest.mark.parametrize("value", [99.5, None, "100", 1e-300])
def test_every_uptime_a_window_can_hold_is_written(value: Any) -> None:
    hour = "2026-07-18T05:00:00Z"
    result = uptime_writes({"e": {hour: value}}, {}, lambda blob: b"", known_endpoints=1)
    assert not result.problems and len(result.writes) == 1


def test_a_zdr_list_too_large_for_its_ledger_file_leaves_the_ledger_as_it_was() -> None:
    name = "n" * (MAX_FILE_BYTES + 1)
    items = [
        {"model_id": "m", "tag": "t", "provider_name": "P", "name": name},
        {"model_id": "m", "tag": "t", "provider_name": "P", "name": "short"},
    ]
    # Listed twice: the copy that sorts first is kept, as for any copies (here the huge one).
    ledger = read_ledger(Response(ZDR_URL, {"data": items}, status=200))
    assert ledger.members["m"]["t"] == {"provider_name": "P", "name": name}
    data, refusal = ledger_write(ledger, b'{"endpoints": {}}\n')
    assert data is None
    assert refusal is not None and refusal.startswith("ZDR list: not written, its file would be")
    assert refusal.endswith("; the ledger was left as it was")


def test_a_value_gigabytes_long_indented_is_refused_without_writing_it(tmp_path: Path) -> None:
    # 4 million zeros 250 levels deep: 8 MB sent, a file of 2 GB. Under a 1.5 GB address
    # space, writing it to find its size fails; counting it does not.
    script = f"""
import resource
resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
from archiver.canonical import FileTooLargeError, canonical_bytes
value = [0] * 4_000_000
for _ in range({DEPTH}):
    value = [value]
try:
    canonical_bytes({{"extra": value}})
except FileTooLargeError as error:
    print(error)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == (
        "its file would be over the 50 MiB a file of the archive may hold (GitHub refuses a "
        "push holding a file over 100 MiB)\n"
    )


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_JSON, st.integers(min_value=0, max_value=400))
def test_indented_size_counts_what_canonical_bytes_write(value: Any, limit: int) -> None:
    written = len(order_bytes(value)) - 1  # less the trailing newline
    assert indented_size(value, 10**9) == written
    counted = indented_size(value, limit)
    assert counted == written if written <= limit else counted > limit
