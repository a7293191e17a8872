"""A model whose name upstream sends blank (whitespace only) is named by its key on the site.

`archiver changes` and the feeds (history.kinds.model_name) take a blank name for none and
name the model by its key; the site's own reader (site.catalog.model_name) took any
non-empty text: the model's page had an empty title and heading, its table row and cards a
blank name. One real small sync of a cut capture with the model's catalog and v1 names
blank, the real site build.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture, CapturedResponse, read_capture
from archiver.cli import main
from archiver.site import build_site
from tests.small_captures import SMALL_DAILY, sync_small, with_models_only

KEY = "z-ai/glm-5.2"
BLANK = " \t "


def _blank_names(capture: Capture) -> Capture:
    """Return the capture with the model's name blank in the catalog and /api/v1/models."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url in ("/api/frontend/v1/catalog/models", "/api/v1/models"):
            body = orjson.loads(orjson.dumps(body))
            for model in body["data"]:
                if KEY in (model.get("id"), model.get("slug")):
                    model["name"] = BLANK
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return replace(capture, responses=tuple(responses))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder holding the archive and its built site."""
    root = tmp_path_factory.mktemp("blank-name")
    capture = _blank_names(with_models_only(read_capture(SMALL_DAILY[0]), {KEY}))
    log = sync_small(root / "archive", capture)
    assert log.commit_id and not log.failures, log.failures
    build_site(root / "archive", root / "site")
    return root


def test_the_model_page_is_named_by_its_key(built: Path) -> None:
    html = (built / "site" / "model" / f"{KEY}.html").read_text()
    archived = orjson.loads((built / "archive" / "data" / "model" / f"{KEY}.json").read_bytes())
    assert archived["catalog"]["name"] == archived["v1"]["name"] == BLANK
    assert re.search(r"<h1>\s*(.*?)\s*</h1>", html, re.DOTALL).group(1) == KEY  # type: ignore[union-attr]
    assert f"<title>{KEY} · " in html


def test_changes_and_the_site_name_it_alike(built: Path) -> None:
    result = CliRunner().invoke(main, ["changes", "--repo", str(built / "archive")])
    line = next(line for line in result.stdout.splitlines() if "new model" in line)
    assert f"{KEY}: new model" in line
    # The tables' rows (grid.json): search text "name\nkey", then the name shown.
    rows = list(_rows(orjson.loads((built / "site" / "grid.json").read_bytes())))
    named = [row[1] for row in rows if str(row[0]).endswith(f"\n{KEY}")]
    assert named and set(named) == {KEY}


def _rows(value: object) -> Iterator[list[object]]:
    """Yield every list in a JSON value whose first item is text."""
    if isinstance(value, list):
        if value and isinstance(value[0], str):
            yield value
        for item in value:
            yield from _rows(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _rows(item)
