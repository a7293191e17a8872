"""A value nested too deep, merged in with a sync, costs its own page, never the site.

A person's commit that edits a data file is left out of history, but a merge that brings in
a branch holding both such a commit and a sync is a sync's change: its version of the file
is history's. A value nested deeper than JSON files hold (300 levels) in it stopped
`archiver site` (exit 3, `value nested deeper than 255 levels`), where the README promises
such a file is left out, with a problem line, and every other page built: the change's card
wrote the value into its field lines (anywhere in the file), and the pricing API wrote the
interval's pricing as it was (under `pricing`). Now the line shows the value as too deep
to show, and the interval's pricing is null.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.site import build_site
from tests.archive_helpers import git
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.

LEVELS = 300


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
        "-m", message)  # fmt: skip


def _priced_endpoints(repo: Path) -> list[Path]:
    return [
        path
        for path in sorted((repo / "data" / "endpoint").glob("*.json"))
        if isinstance(jsonvalue.loads(path.read_bytes()).get("pricing"), dict)
    ]


@pytest.mark.parametrize("where", [("notes",), ("pricing", "notes")])
def test_a_merged_value_nested_too_deep_leaves_out_its_page_only(
    small_archive: Path, tmp_path: Path, where: tuple[str, ...]
) -> None:
    repo = small_archive
    main = git(repo, "branch", "--show-current").strip()
    git(repo, "switch", "-q", "-c", "side")
    edited, synced = _priced_endpoints(repo)[:2]
    entity = json.loads(edited.read_bytes())
    deep: dict[str, object] = {}
    for _ in range(LEVELS):
        deep = {"n": deep}
    holder = entity
    for name in where[:-1]:
        holder = holder[name]
    holder[where[-1]] = deep
    # The person's edit, written as json writes it (orjson would refuse the depth).
    edited.write_text(json.dumps(entity, indent=2, sort_keys=True) + "\n")
    _commit(repo, "Annotate an endpoint by hand")
    # A sync on the branch (another endpoint's price), then the branch merged into main.
    other = jsonvalue.loads(synced.read_bytes())
    other["pricing"]["prompt"] = "0.5"
    synced.write_bytes(canonical_bytes(other))
    _commit(repo, "Sync 2026-07-18T16:00:00Z\n\nSync-Epoch: 2026-07-18T16:00:00Z")
    git(repo, "switch", "-q", main)
    _commit(repo, "Sync 2026-07-18T17:00:00Z\n\nSync-Epoch: 2026-07-18T17:00:00Z")
    git(repo, "merge", "-q", "--no-edit", "side")

    site = tmp_path / "site"
    report = build_site(repo, site, built=datetime(2026, 8, 1, tzinfo=UTC))

    page = edited.relative_to(repo / "data").with_suffix(".html")
    assert [problem for problem in report.skipped if "nested deeper" in problem]
    assert not (site / page).exists()
    assert (site / "index.html").exists() and (site / "feeds" / "changes.xml").exists()
    for path in (site / "api").rglob("*.json"):
        json.loads(path.read_bytes())
