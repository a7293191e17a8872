"""A number past a double respelt inside an array reads as a change, not an empty one.

The archive keeps such a number as upstream spelt it (SPEC: numbers as upstream sent them),
so `[1, 1e400]` then `[1, 1E400]` is a new version of the file, as `git log -p` shows. The
history's JSON Patch for it was empty: jsonpatch compares list items with ==, and the two
spellings are one value. `archiver log` and `archiver changes` listed a commit that changed
nothing, and the export's patch column said so too. Two real small syncs of one model.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from click.testing import CliRunner

from archiver import jsonvalue
from archiver.capture.files import read_capture
from archiver.cli import main
from archiver.jsonvalue import ExactNumber
from tests.archive_helpers import git
from tests.small_captures import SMALL_DAILY, sync_small, with_endpoint_edited, with_models_only

MODEL, ENDPOINT = "z-ai/glm-5.2", "8a4a8285-addf-4bb6-87fc-707f6f9eb3c5"
PATH = f"data/endpoint/{ENDPOINT}.json"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("respelt") / "archive"
    capture = with_models_only(read_capture(SMALL_DAILY[0]), {MODEL})
    for hour, literal in enumerate(["1e400", "1E400"]):

        def edit(endpoint: dict[str, Any], literal: str = literal) -> None:
            endpoint["odd"] = [1, ExactNumber(literal), {"n": ExactNumber(literal)}]

        edited = with_endpoint_edited(capture, ENDPOINT, edit)
        assert sync_small(repo, replace(edited, time=capture.time + timedelta(hours=hour)))
    return repo


def _version(repo: Path, revision: str) -> Any:
    return jsonvalue.loads(git(repo, "show", f"{revision}:{PATH}").encode())


def test_log_gives_the_patch_that_makes_the_new_file(archive: Path) -> None:
    assert "-    1e400" in git(archive, "log", "-p", "-1", "--format=", "--", PATH)
    result = CliRunner().invoke(
        main, ["log", "endpoint", ENDPOINT, "--json", "--repo", str(archive)]
    )
    assert result.exit_code == 0, result.output
    newest = jsonvalue.loads(result.stdout.encode())[0]
    assert newest["kind"] == "changed" and newest["patch"], newest
    patched = jsonpatch.apply_patch(_version(archive, "HEAD~1"), newest["patch"])
    assert jsonvalue.dumps(patched) == jsonvalue.dumps(_version(archive, "HEAD"))
    assert {op["path"] for op in newest["patch"]} == {"/odd/1", "/odd/2/n"}


def test_changes_shows_the_respelt_numbers(archive: Path) -> None:
    result = CliRunner().invoke(main, ["changes", "--json", "--repo", str(archive)])
    assert result.exit_code == 0, result.output
    newest = jsonvalue.loads(result.stdout.encode())[0]["changes"]
    (change,) = [change for change in newest if change["key"] == ENDPOINT]
    assert [(op["op"], op["path"]) for op in change["patch"]] == [
        ("replace", "/odd/1"),
        ("replace", "/odd/2/n"),
    ]
    assert [jsonvalue.dumps(op["value"]) for op in change["patch"]] == [b"1E400", b"1E400"]
