"""A price move too large for a double builds the same site from the cache as without it.

A price is any decimal within 1e+-1000 (archiver.history.classify.PRICE_EXPONENT), so a move
between two valid prices (0.000001 to 1e400) is a ratio no double holds: its percent came
out as float inf. The site's derived-history cache is JSON, which has no inf, so the cache
wrote it as null: the next build, reading that change from the cache, showed a bare "▲"
where a build without the cache showed "▲ inf%", on the endpoint's, its model's and its
provider's pages. Now such a move has no percent (None), as the API already wrote it.
A real small archive, a quarter of its models (three builds of its site).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from archiver import jsonvalue
from archiver.canonical import canonical_bytes
from archiver.history.classify import price_changes
from archiver.site import build_site
from tests.archive_helpers import git
from tests.small_captures import quarter_archive as small_archive
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # Fixtures this module uses.

BUILT = datetime(2026, 8, 1, tzinfo=UTC)
BASE_URL = "https://someone.github.io/"


def _sync_commit(repo: Path, epoch: str) -> None:
    """Commit what the work tree holds as a sync of epoch (empty if nothing changed)."""
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty",
        "-m", f"Sync {epoch}\n\nSync-Epoch: {epoch}")  # fmt: skip


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_move_past_a_doubles_range_has_no_percent() -> None:
    before = {"pricing": {"prompt": "0.000001"}}
    after = {"pricing": {"prompt": "1e400"}}

    [move] = price_changes("endpoint", before, after)

    assert move.new == "1e400" and move.went_up
    assert move.percent is None


def test_a_cached_huge_price_move_builds_what_a_full_build_builds(
    small_archive: Path, tmp_path: Path
) -> None:
    endpoint = next(
        path
        for path in sorted((small_archive / "data" / "endpoint").glob("*.json"))
        if isinstance(jsonvalue.loads(path.read_bytes()).get("pricing"), dict)
    )
    entity = jsonvalue.loads(endpoint.read_bytes())
    entity["pricing"]["prompt"] = "1e400"
    endpoint.write_bytes(canonical_bytes(entity))
    _sync_commit(small_archive, "2026-07-19T16:00:00Z")
    cache, out = tmp_path / "cache", tmp_path / "out"
    # The hourly build that saw the move: its change goes into the cache.
    build_site(small_archive, out, base_url=BASE_URL, cache=cache, built=BUILT)
    # The next hour's: the move is read from the cache.
    _sync_commit(small_archive, "2026-07-19T17:00:00Z")

    report = build_site(small_archive, out, base_url=BASE_URL, cache=cache, built=BUILT)
    build_site(small_archive, tmp_path / "full", base_url=BASE_URL, built=BUILT)

    assert report.history.startswith("history read incrementally")
    incremental, full = _files(out), _files(tmp_path / "full")
    assert incremental.keys() == full.keys()
    assert [path for path in full if incremental[path] != full[path]] == []
    assert not any(b"inf%" in data for data in full.values())
