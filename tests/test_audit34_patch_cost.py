"""The JSON Patch of a changed array stays exact without copying the old array by deepcopy.

`_diff` checks jsonpatch's patch of an array by applying it (jsonpatch compares items with
==, which misses a number respelt past a double: tests/test_audit34_respelt_number.py).
jsonpatch's apply deep-copies the old array with copy.deepcopy first: 25-30% more CPU for
the patches of real endpoint files whose arrays changed (bench figures in the commit). An
array of strings needs no check (== between strings misses nothing); any other is copied
through its own JSON. Real endpoints of a small capture, edited as syncs see them change.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import jsonpatch
import pytest

from archiver import jsonvalue
from archiver.capture.files import read_capture
from archiver.history.patches import make_patch
from archiver.jsonvalue import ExactNumber
from tests.small_captures import SMALL_DAILY


@functools.cache
def _endpoints() -> list[dict[str, Any]]:
    found = []
    for response in read_capture(SMALL_DAILY[0]).responses:
        body = response.body
        data = body.get("data") if isinstance(body, dict) else None
        if "/stats/endpoint" in response.url and isinstance(data, list):
            found += [e for e in data if isinstance(e, dict) and e.get("display_pricing")]
    return found[:20]


def _edited(endpoint: dict[str, Any]) -> dict[str, Any]:
    after = copy.deepcopy(endpoint)
    after["display_pricing"][0]["price"] = "0.1"
    after["display_pricing"].append({"kind": "token", "price": ExactNumber("1E400")})
    after["supported_parameters"] = [*after.get("supported_parameters", [])[1:], "new_one"]
    return after


@pytest.mark.parametrize("index", range(3))
def test_array_patch_exact_old_array_not_deepcopied(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = _endpoints()
    assert len(endpoints) >= 3
    before = endpoints[index]
    after = _edited(before)
    copied: list[int] = []
    deepcopy = copy.deepcopy

    def recorded(value: Any, memo: Any = None) -> Any:
        copied.append(id(value))
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", recorded)
    patch = make_patch(before, after)
    monkeypatch.undo()
    assert id(before["display_pricing"]) not in copied, "the old array went through deepcopy"
    assert patch, "a change must give a patch"
    patched = jsonpatch.apply_patch(before, patch)
    assert jsonvalue.dumps(patched) == jsonvalue.dumps(after)
    # The old version is left as it was: the check applied the patch to a copy.
    assert "1E400" not in jsonvalue.dumps(before).decode()


def test_strings_patch_exact() -> None:
    before = {"supported_parameters": ["tools", "top_p", "seed", "stop"]}
    after = {"supported_parameters": ["seed", "tools", "stop", "min_p"]}
    patched = jsonpatch.apply_patch(before, make_patch(before, after))
    assert patched == after
