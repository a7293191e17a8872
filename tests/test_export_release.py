"""The export published as release assets: the releases always hold a full export, while the
export folder the hourly job caches keeps only the last two months.

The hourly job runs `archiver export OUT`, then `archiver export-release OUT`, which uploads
through GitHub's `gh` CLI. gh cannot reach GitHub from here: tests/fake_gh.py stands in for
it, keeping each release as a folder. After every step the releases must hold what a clean
full export of the archive holds, partition for partition, and nothing else: each year's
partitions in the release `export-YYYY`, the manifest in `export`.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from archiver import jsonvalue
from archiver.capture.files import Capture
from archiver.cli import main
from archiver.export.plan import MANIFEST, RELEASED, read_manifest
from archiver.export.release import asset_name
from tests.archive_helpers import built_once, git
from tests.audit22_time_helpers import moved, quarter_captures, sync_ahead_of_the_clock
from tests.fake_gh import install_fake_gh

HOURS = [datetime(2026, 8, 30, 12, tzinfo=UTC), datetime(2026, 9, 15, 12, tzinfo=UTC)]
HOURS += [datetime(2026, 10, 2, 12, tzinfo=UTC), datetime(2026, 10, 3, 12, tzinfo=UTC)]
HOURS += [datetime(2027, 1, 4, 12, tzinfo=UTC)]


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    quarter = quarter_captures()
    return [moved(quarter[n % 3], hour) for n, hour in enumerate(HOURS)]


@pytest.fixture(scope="module")
def three_months(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> Path:
    """An archive synced in August, September and on 2 October (the later hours left out)."""

    def build(folder: Path) -> None:
        for capture in captures[:3]:
            sync_ahead_of_the_clock(folder / "archive", capture)

    return built_once(tmp_path_factory, "release-three-months", build) / "archive"


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the folder of the releases as the fake gh on PATH keeps them (one a folder)."""
    bin_folder, releases = install_fake_gh(tmp_path / "gh")
    monkeypatch.setenv("PATH", f"{bin_folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_GH_RELEASES", str(releases))
    monkeypatch.delenv("FAKE_GH_FAIL", raising=False)
    return releases


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def exported(repo: Path, out: Path) -> Result:
    result = run("export", "--repo", str(repo), str(out))
    assert result.exit_code == 0, result.output
    return result


def published(out: Path) -> Result:
    result = run("export-release", str(out))
    assert result.exit_code == 0, result.output
    return result


def partitions(out: Path) -> dict[str, Path]:
    """Return {asset name: file} of every partition an export folder holds."""
    return {
        asset_name(path.parent.parent.name, path.parent.name.removeprefix("month=")): path
        for path in out.glob("*/month=*/part-0.parquet")
    }


def assets(releases: Path) -> dict[str, Path]:
    """Return {name: file} of every asset of the export's releases, checking each is in the
    release it belongs to (a partition in its year's, the manifest in `export`)."""
    found = {}
    for path in releases.glob("*/*"):
        year = path.name[-15:-11] if path.name != MANIFEST else None
        assert path.parent.name == ("export" if year is None else f"export-{year}"), path
        assert path.name not in found, path
        found[path.name] = path
    return found


def assert_release_is_a_full_export(release: Path, repo: Path, scratch: Path) -> None:
    """The release holds what a clean full export of the archive holds, and its manifest."""
    clean = scratch / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    exported(repo, clean)
    full = partitions(clean)
    published = assets(release)
    assert set(published) == {*full, MANIFEST}
    for name, path in full.items():
        assert pq.read_table(published[name]) == pq.read_table(path), name
    # Its manifest names the same commit, partitions and rows as the clean export's.
    given, clean_manifest = (
        jsonvalue.loads(f.read_bytes()) for f in (published[MANIFEST], clean / MANIFEST)
    )
    assert given["head"] == clean_manifest["head"]
    assert rows_of(given) == rows_of(clean_manifest)


def rows_of(manifest: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Return {table: {month: rows}} of a manifest."""
    return {
        t: {m: f["rows"] for m, f in months.items()} for t, months in manifest["tables"].items()
    }


def test_the_release_holds_every_month_and_the_folder_only_the_last_two(
    three_months: Path, captures: list[Capture], tmp_path: Path, release: Path
) -> None:
    repo = shutil.copytree(three_months, tmp_path / "archive", symlinks=True)
    out = tmp_path / "export"
    exported(repo, out)
    every = partitions(out)
    assert {"changes-2026-08.parquet", "telemetry_endpoint-2026-10.parquet"} <= set(every)
    said = published(out).output
    august = {name for name in every if name.endswith("-2026-08.parquet")}
    assert f"{len(every) + 1} files uploaded, {len(every)} partitions marked uploaded" in said
    assert f"{len(august)} old months' files removed" in said
    assert set(partitions(out)) == set(every) - august
    manifest = read_manifest(out)
    assert manifest is not None
    assert all(facts[RELEASED] for months in manifest.tables.values() for facts in months.values())
    assert_release_is_a_full_export(release, repo, tmp_path)
    assert not list(tmp_path.glob(".release-*")), "the staging folder is left behind"

    # The next hour exports incrementally without August, and uploads only what it rewrote:
    # the new hour's month, and the one before, where a week of variants began and uptime
    # windows reach back (the two months the folder keeps).
    sync_ahead_of_the_clock(repo, captures[3])
    before = {name: path.stat().st_mtime_ns for name, path in assets(release).items()}
    assert "exporting all" not in exported(repo, out).output
    published(out)
    rewritten = {n for n, path in assets(release).items() if path.stat().st_mtime_ns != before[n]}
    assert MANIFEST in rewritten and len(rewritten) < len(every)
    assert {name[-15:-8] for name in rewritten - {MANIFEST}} == {"2026-09", "2026-10"}
    assert_release_is_a_full_export(release, repo, tmp_path)

    # A new year: its partitions start the release export-2027 (created by this run), and
    # October's, rewritten as versions in force leave them, are replaced in export-2026.
    sync_ahead_of_the_clock(repo, captures[4])
    exported(repo, out)
    published(out)
    assert {p.name for p in (release / "export-2027").iterdir()} >= {"changes-2027-01.parquet"}
    assert_release_is_a_full_export(release, repo, tmp_path)


def test_a_failed_upload_hands_nothing_off_and_the_next_run_uploads_it(
    three_months: Path, tmp_path: Path, release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = shutil.copytree(three_months, tmp_path / "archive", symlinks=True)
    out = tmp_path / "export"
    exported(repo, out)
    every = set(partitions(out))
    monkeypatch.setenv("FAKE_GH_FAIL", "upload")
    result = run("export-release", str(out))
    assert result.exit_code == 3, result.output
    (line,) = result.output.splitlines()
    assert line == (
        "Error: `gh release upload` failed (HTTP 502: Bad Gateway (https://uploads.github.com/"
        "repos/you/archive/releases)); the next run tries again"
    )
    assert set(partitions(out)) == every
    manifest = read_manifest(out)
    assert manifest is not None
    assert not any(f.get(RELEASED) for months in manifest.tables.values() for f in months.values())
    monkeypatch.delenv("FAKE_GH_FAIL")
    published(out)
    assert_release_is_a_full_export(release, repo, tmp_path)


def test_a_run_that_must_read_a_handed_off_month_exports_in_full(
    three_months: Path, tmp_path: Path, release: Path
) -> None:
    repo = shutil.copytree(three_months, tmp_path / "archive", symlinks=True)
    out = tmp_path / "export"
    exported(repo, out)
    published(out)
    # A person removes a day file of August's telemetry: that month's rows must be written
    # again, and its file is only in the release. The commit has no sync epoch: versions in
    # force stay in the month of the newest sync, October, whatever its commit time says.
    august = sorted((repo / "data/telemetry/endpoint/2026").glob("08-*/*.tsv"))[0]
    git(repo, "rm", "-q", str(august.relative_to(repo)))
    git(repo, "commit", "-qm", "Remove a damaged telemetry file")
    result = exported(repo, out)
    assert "telemetry_endpoint/month=2026-08, which was handed off" in result.output
    assert "exporting all" in result.output
    whole = len(partitions(out))
    said = published(out).output
    assert f"{whole + 1} files uploaded" in said
    manifest = read_manifest(out)
    assert manifest is not None and manifest.current_month == "2026-10"
    assert "0 stale assets" in said
    assert_release_is_a_full_export(release, repo, tmp_path)


def test_no_export_or_no_gh_is_one_line_and_creates_nothing(
    tmp_path: Path, release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("export-release", str(empty))
    assert result.exit_code == 3 and result.output.count("\n") == 1, result.output
    assert "holds no export to stage; run `archiver export` first" in result.output
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    result = run("export-release", str(empty))
    assert result.exit_code == 3 and result.output.count("\n") == 1, result.output
    assert "gh (GitHub's command-line tool) is not installed" in result.output
    for tag in ("-x", "a b", "::error::x"):  # gh took `-x` for an option.
        result = run("export-release", "--tag", tag, str(empty))
        assert result.exit_code == 2 and "a tag is letters, digits" in result.output, tag
    assert not list(release.iterdir()) and sorted(tmp_path.iterdir()) == [
        tmp_path / "empty",
        tmp_path / "gh",
    ]


def test_a_first_upload_past_the_rate_limit_resumes_and_never_lists_a_missing_asset(
    three_months: Path, tmp_path: Path, release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first upload of many months meets GitHub's rate limit every run: each run keeps what
    got up and the next goes on from there, until the release is whole; meanwhile the
    release's manifest lists only partitions its releases hold, and says they are released."""
    repo = shutil.copytree(three_months, tmp_path / "archive", symlinks=True)
    out = tmp_path / "export"
    exported(repo, out)
    every = set(partitions(out))
    assert len(every) > 18
    budget = tmp_path / "budget"
    monkeypatch.setenv("FAKE_GH_UPLOAD_BUDGET", str(budget))
    failures = 0
    for _ in range(len(every)):
        budget.write_text("9")  # an hour's allowance, well under the export's partitions
        result = run("export-release", str(out))
        if result.exit_code == 0:
            break
        failures += 1
        (line,) = result.output.splitlines()
        assert "secondary rate limit" in line, line
        held = assets(release)
        if MANIFEST in held:
            listed = jsonvalue.loads(held[MANIFEST].read_bytes())["tables"]
            names = {asset_name(t, m) for t, months in listed.items() for m in months}
            assert names <= set(held), names - set(held)
    assert result.exit_code == 0, result.output
    assert failures >= len(every) // 9 - 1
    assert_release_is_a_full_export(release, repo, tmp_path)
    manifest = jsonvalue.loads(assets(release)[MANIFEST].read_bytes())
    assert all(f[RELEASED] for months in manifest["tables"].values() for f in months.values())
