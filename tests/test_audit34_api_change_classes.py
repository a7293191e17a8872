"""A `Change` from `History.changes` names its classes `kinds`, while `archiver changes
--json` writes the same tuple as `classes` and has `kinds` of its own (price, status...):
a reader of the README took one for the other. The README's Python API section says which
is which, and the two answers agree on a real price change."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

import archiver
from archiver.cli import main
from tests.small_captures import small_cut_at, sync_small, with_first_price_changed

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
HOUR = datetime(2026, 7, 17, 18, tzinfo=UTC)


def test_change_kinds_are_the_json_classes(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    base = small_cut_at(HOUR)
    sync_small(repo, base)
    sync_small(repo, replace(with_first_price_changed(base), time=HOUR.replace(hour=19)))
    group = archiver.History(repo).changes(since="2026-07-17T19:00Z")[0]
    args = ["changes", "--json", "--since", "2026-07-17T19:00Z", "--repo", str(repo)]
    written = json.loads(CliRunner().invoke(main, args).output)[0]["changes"]
    assert {(change.key, change.kinds) for change in group.changes} == {
        (change["key"], tuple(change["classes"])) for change in written
    }
    assert any(change["kinds"] != change["classes"] for change in written)
    section = " ".join(README.split("## Python API", 1)[1].split("\n## ", 1)[0].split())
    assert "a `Change`'s `.kinds` are what `archiver changes --json` calls `classes`" in section
