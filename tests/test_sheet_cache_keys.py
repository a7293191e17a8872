"""The sheet cache counts its keys as sheets come and go, and forgets as the sum did.

`SheetCache.remember` summed every cached sheet's keys each time (quadratic in a sync's ~270
files); it now keeps a count per sheet. Whatever the order of remembering and taking sheets
out, the cache must hold the same sheets, in the same order, as the summing one did. And a
blob id, hashed in two parts, is still git's.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.canonical import blob_id
from archiver.telemetry import sheet as sheet_module
from archiver.telemetry.sheet import Sheet, SheetCache


class _Summing:
    """The cache as it was: the keys of every cached sheet summed at each remember."""

    def __init__(self, limit: int) -> None:
        self.sheets: dict[str, int] = {}
        self.limit = limit

    def remember(self, blob: str, keys: int) -> None:
        self.sheets[blob] = keys
        while len(self.sheets) > 1 and sum(self.sheets.values()) > self.limit:
            del self.sheets[next(iter(self.sheets))]

    def take(self, blob: str) -> None:
        self.sheets.pop(blob, None)


def _sheet(keys: int) -> Sheet:
    return Sheet(["a"], state={f'"k{n}"': {"a": "1"} for n in range(keys)})


# (remember or take out, which blob, how many keys its sheet holds)
operations = st.lists(st.tuples(st.booleans(), st.integers(0, 7), st.integers(0, 9)), max_size=60)


@settings(derandomize=True, deadline=None, max_examples=200)
@given(steps=operations, limit=st.integers(1, 25))
def test_the_cache_forgets_as_the_summing_one_did(
    steps: list[tuple[bool, int, int]], limit: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sheet_module, "SHEET_CACHE_KEYS", limit)
        cache, model = SheetCache(), _Summing(limit)
        for remember, number, keys in steps:
            blob = f"{number:040x}"
            if remember:
                cache.remember(blob, _sheet(keys))
                model.remember(blob, keys)
            else:
                held = cache._sheets.get(blob)
                sheet = cache.load(blob, lambda _: b'"epoch"\t"key"\t"a"\n', keep=False)
                model.take(blob)
                assert (held is None) or sheet is held
            assert list(cache._sheets) == list(model.sheets)
            assert {b: len(s.state) for b, s in cache._sheets.items()} == model.sheets


@settings(derandomize=True, deadline=None, max_examples=100)
@given(data=st.binary(max_size=3000))
def test_a_blob_id_is_the_hash_of_header_and_bytes(data: bytes) -> None:
    header = b"blob %d\x00" % len(data)
    assert blob_id(data) == hashlib.sha1(header + data).hexdigest()


def test_a_blob_id_is_git_s() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for data in (b"", b"{}\n", bytes(range(256)) * 40):
            path = Path(folder) / "f"
            path.write_bytes(data)
            git = subprocess.run(
                ["git", "hash-object", "--no-filters", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            assert blob_id(data) == git.stdout.strip()
