"""Archived values that used to stop `archiver site` for the whole archive.

- An upstream integer beyond 64 bits (and beyond a double: 10**400) in an endpoint's
  context_length: the archive keeps it digit for digit, and the grid's orjson and the
  page's thousands formatting both raised, so no page was built at all.
- An endpoint file naming no model (a hand edit, or one archived before the sync refused
  such endpoints): its grid link to a model with an empty key raised. It now costs its own
  page, reported in one line.

A real small archive (a quarter of its models), one real sync of an edited real capture,
one site build.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from click.testing import CliRunner

import tests.small_captures as small
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.paths import key_to_path
from tests.archive_helpers import git
from tests.small_captures import quarter_archive as small_archive
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

HUGE = 10**400


def _hand_edit_without_model(repo: Path, keep: str) -> str:
    """Commit one endpoint file (not keep) with its model references removed; return its id."""
    for name in git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data/endpoint/").split():
        entity = orjson.loads((repo / name).read_bytes())
        if entity["id"] != keep:
            entity.pop("model", None)
            entity.pop("model_variant_slug")
            (repo / name).write_bytes(orjson.dumps(entity, option=orjson.OPT_SORT_KEYS))
            git(repo, "commit", "-qam", "hand edit: no model")
            return str(entity["id"])
    raise AssertionError("the archive holds no other endpoint")


def test_the_site_builds_past_a_huge_number_and_an_endpoint_naming_no_model(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    edited, (huge_id,) = small.with_first_endpoints_edited(
        small_captures[1], [lambda endpoint: {**endpoint, "context_length": HUGE}]
    )
    log = small.sync_small(small_archive, edited)
    assert log.commit_id and f'"context_length": {HUGE},' in git(
        small_archive, "show", f"HEAD:{key_to_path('endpoint', huge_id)}"
    )
    no_model = _hand_edit_without_model(small_archive, keep=huge_id)
    out = tmp_path / "site"

    result = CliRunner().invoke(main, ["site", "--repo", str(small_archive), "--out", str(out)])

    assert result.exit_code == 1, result.output  # Built, with one entity left out.
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    problems = [line for line in result.output.splitlines() if "problem:" in line]
    assert len(problems) == 1 and no_model in problems[0], problems
    assert not (out / "endpoint" / f"{no_model}.html").exists()
    page = (out / "endpoint" / f"{huge_id}.html").read_text()
    assert f"{HUGE:,}" in page
    grid = json.loads((out / "grid.json").read_text())  # Python reads big integers exactly.
    assert [HUGE, f"{HUGE:,}"] in grid["columns"]["context"]["values"]
