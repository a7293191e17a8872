"""Of two copies of one model in a listing, the one kept does not follow the hour's figures.

Upstream should never list a key twice; when it does with different content, the copy
kept must depend on the content the archive keeps only. It was chosen by the whole item's
bytes, telemetry included (`benchmarks.design_arena` of a v1 model, the `status*` of a
catalog entry's embedded endpoint): as those figures moved, hour by hour, the model file
flipped between the two copies though neither copy's own data had changed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.capture.transport import ReplayTransport
from archiver.paths import key_to_path
from archiver.sync import SyncOptions, sync
from archiver.upstream import sources
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, some_models, with_models_only

Item = dict[str, Any]


def _arena(item: Item, figure: int) -> None:
    item["benchmarks"]["design_arena"] = [{"elo": figure}]


def _heuristics(item: Item, figure: int) -> None:
    item["endpoint"]["status_heuristics"] = {"success": figure}


def _has_arena(item: Item) -> bool:
    return isinstance(item.get("benchmarks"), dict) and "design_arena" in item["benchmarks"]


def _has_endpoint(item: Item) -> bool:
    return isinstance(item.get("endpoint"), dict) and "status_heuristics" in item["endpoint"]


def _twice(
    capture: Capture, url: str, chosen: Item, figures: tuple[int, int], set_figure: Any
) -> Capture:
    """Return the capture with `chosen` listed twice at `url`: named "Copy A" and "Copy B",
    with the given telemetry figures."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == url:
            copies = []
            for name, figure in zip(("Copy A", "Copy B"), figures, strict=True):
                item = copy.deepcopy(chosen)
                item["name"] = name
                set_figure(item, figure)
                copies.append(item)
            items = [i for i in body["data"] if i is not chosen]
            body = {**body, "data": [*items, *copies]}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


@pytest.mark.parametrize(
    ("url", "wanted", "set_figure", "key", "part"),
    [
        (sources.V1_MODELS, _has_arena, _arena, lambda item: item["id"], "v1"),
        (
            sources.CATALOG_MODELS,
            _has_endpoint,
            _heuristics,
            lambda item: item["endpoint"]["model_variant_slug"],
            "catalog",
        ),
    ],
)
def test_the_copy_kept_does_not_flip_with_the_figures(
    tmp_path: Path,
    url: str,
    wanted: Callable[[Item], bool],
    set_figure: Any,
    key: Callable[[Item], str],
    part: str,
) -> None:
    whole = read_capture(SMALL_DAILY[0])
    listing = next(r for r in whole.responses if r.url == url)
    first = next(item for item in listing.body["data"] if wanted(item))
    # Cut to a few models (that one among them): every kind of listing still there.
    capture = with_models_only(whole, some_models(whole, 8) | {key(first)})
    listing = next(r for r in capture.responses if r.url == url)
    chosen = next(item for item in listing.body["data"] if key(item) == key(first))
    path = key_to_path("model", key(chosen))
    repo = tmp_path / "archive"
    names = []
    for hour, figures in enumerate([(1, 2), (3, 2), (1, 2), (3, 2)]):
        hourly = _twice(capture, url, chosen, figures, set_figure)
        replay = ReplayTransport(hourly)
        epoch = capture.time + timedelta(hours=hour)
        sync(repo, SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch))
        names.append(json.loads((repo / path).read_bytes())[part]["name"])
    assert names == ["Copy A"] * 4
    assert len(git(repo, "log", "--format=%h", "--", path).split()) == 1
