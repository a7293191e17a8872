"""A change's JSON Patch is the same bytes in every run: it goes into pages, feeds and exports
that are compared byte for byte (and rebuilt only when their bytes change).

Python hashes strings with a seed that changes from process to process; anything that walks
a set of member names comes out in another order each run (jsonpatch before 1.48 did, for
the objects inside a list). Each run here is its own process, with its own seed.
"""

from __future__ import annotations

import subprocess
import sys

import jsonpatch
import orjson

from archiver.history.patches import make_patch

# A list of objects (endpoint `supported_parameters`-like rows) where members are added,
# removed and changed in the same elements: what jsonpatch diffs member by member.
BEFORE = {
    "providers": [
        {"name": "a", "price": "1", "context": 8192, "quant": "fp8", "zdr": True},
        {"name": "b", "price": "2", "context": 4096, "limits": {"rpm": 10, "tpm": 100}},
    ]
}
AFTER = {
    "providers": [
        {"name": "a", "price": "1.5", "context": 16384, "tools": True, "zdr": False},
        {"name": "b", "price": "2", "context": 8192, "limits": {"rpm": 20, "rpd": 5}},
    ]
}
SCRIPT = f"""
import orjson
from archiver.history.patches import make_patch
print(orjson.dumps(make_patch({BEFORE!r}, {AFTER!r})).decode())
"""


def test_the_patch_is_the_same_whatever_the_hash_seed() -> None:
    runs = {
        subprocess.run(
            [sys.executable, "-c", SCRIPT],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(seed), "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in range(8)
    }
    assert len(runs) == 1, runs
    patch = orjson.loads(runs.pop())
    assert patch == make_patch(BEFORE, AFTER)
    assert jsonpatch.apply_patch(BEFORE, patch) == AFTER
    # Members are named in document order: removed, then added, then changed.
    first = [op["path"] for op in patch if op["path"].startswith("/providers/0/")]
    assert first == sorted(
        first,
        key=lambda path: ["quant", "tools", "price", "context", "zdr"].index(path.split("/")[-1]),
    )
