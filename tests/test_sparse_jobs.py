"""The hourly jobs check out the newest days of telemetry alone and do what a whole checkout does.

HEAD keeps every day's telemetry files for good, so a whole checkout of HEAD grows with
history (some 2.6 GB of files a year at today's catalog). The workflow's jobs clone as
actions/checkout does with `filter: blob:none` and a sparse checkout of everything but
data/telemetry/, then `archiver checkout-recent --days N` adds the newest days. Here the
upstream is a bare copy of a real archive (three June days of model telemetry, two July days;
a quarter of the small captures' models, every kind of telemetry folder kept) served
over file:// with filters allowed, as GitHub does; the sparse clone keeps July alone. Its
`sync --push` pushes the tree a whole clone's sync makes, its site and its export equal a
whole clone's byte for byte, and the files it left out are neither in its work tree nor
fetched, except the one a read needed.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.archive.store import Store
from archiver.capture.files import Capture, read_capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.export.run import export_parquet
from archiver.site import build_site
from archiver.site.incremental import default_cache_dir
from archiver.telemetry.recent_checkout import check_out_recent
from archiver.times import format_epoch
from archiver.upstream import sources
from archiver.upstream.entities import catalog_key
from tests.archive_helpers import git
from tests.small_captures import SMALL_V1_MODELS, sync_small, with_models_only
from tests.small_captures import quarter_captures as small_captures
from tests.test_site_incremental import files

__all__ = ["small_captures"]
UPLOAD_PACK = "git -c uploadpack.allowfilter=1 -c uploadpack.allowanysha1inwant=1 upload-pack"
SPARSE = "/*\n!/data/telemetry/\n"


@dataclass(frozen=True)
class Upstream:
    """A bare upstream of a real archive, and the telemetry files its HEAD holds by day."""

    bare: Path
    june: list[str]
    july: list[str]


@pytest.fixture(scope="module")
def upstream(small_captures: list[Capture], tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    root = tmp_path_factory.mktemp("sparse")
    archive = root / "archive"
    # The same quarter of the models in June as in July: two builds of its site and export
    # take a fraction of the whole small archive's time, with every kind of folder there.
    catalog = next(r for r in small_captures[1].responses if r.url == sources.CATALOG_MODELS)
    keys = {catalog_key(entry) for entry in catalog.body["data"]}
    # 13, 15 and 17 June: models carrying telemetry, over 30 days before the newest sync.
    for path in SMALL_V1_MODELS[3:6]:
        sync_small(archive, with_models_only(read_capture(path), keys))
    for capture in small_captures[:2]:
        sync_small(archive, capture)
    bare = root / "upstream.git"
    git(root, "clone", "--quiet", "--bare", str(archive), str(bare))
    git(bare, "config", "uploadpack.allowFilter", "true")
    git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
    telemetry = git(bare, "ls-tree", "-r", "--name-only", "HEAD", "--", "data/telemetry")
    paths = telemetry.split()
    june = [path for path in paths if "/2026/06-" in path]
    july = [path for path in paths if "/2026/07-" in path]
    assert june and july and len(june) + len(july) == len(paths)
    return Upstream(bare, june, july)


def sparse_clone(bare: Path, target: Path, days: int) -> Path:
    """Clone as the workflow's jobs do: HEAD, no blobs, telemetry left out, then the newest
    `days` days of telemetry checked out by `archiver checkout-recent`."""
    clone = ["git", "clone", "--quiet", "--depth", "1", "--filter=blob:none", "--no-checkout"]
    subprocess.run([*clone, "-u", UPLOAD_PACK, f"file://{bare}", str(target)], check=True)
    git(target, "config", "remote.origin.uploadpack", UPLOAD_PACK)
    subprocess.run(
        ["git", "-C", str(target), "sparse-checkout", "set", "--no-cone", "--stdin"],
        input=SPARSE,
        text=True,
        check=True,
        capture_output=True,
    )
    git(target, "checkout", "--quiet", "main")
    done = CliRunner().invoke(main, ["checkout-recent", "--repo", str(target), "--days", str(days)])
    assert done.exit_code == 0, done.output
    return target


def whole_clone(bare: Path, target: Path) -> Path:
    """Clone everything, as a person would."""
    subprocess.run(["git", "clone", "--quiet", f"file://{bare}", str(target)], check=True)
    return target


def copy_of(upstream: Upstream, tmp_path: Path) -> Path:
    """Return a bare copy of the upstream, serving filters (a test may push to it)."""
    bare = tmp_path / "upstream.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(upstream.bare), str(bare))
    git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(bare, "config", "uploadpack.allowFilter", "true")
    return bare


def sync_and_push(clone: Path, capture: Capture) -> Result:
    """Run `archiver sync --push` of a capture in a clone, as the hourly job does."""
    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", format_epoch(capture.time)]
        return CliRunner().invoke(main, [*command, "--repo", str(clone), "--push"])


def missing_objects(repo: Path) -> set[str]:
    """Return the objects HEAD names that the clone does not hold."""
    listing = git(repo, "rev-list", "--objects", "--missing=print", "HEAD")
    return {line[1:] for line in listing.split() if line.startswith("?")}


def blob_of(repo: Path, path: str) -> str:
    """Return the blob id of a path at HEAD."""
    return git(repo, "rev-parse", f"HEAD:{path}").strip()


def test_checkout_recent_keeps_the_newest_days_and_fetches_nothing_older(
    upstream: Upstream, tmp_path: Path
) -> None:
    done = CliRunner().invoke(main, ["checkout-recent", "--repo", str(tmp_path), "--days", "0"])
    assert done.exit_code == 2
    missing = tmp_path / "missing"  # Said to be a damaged repository ("check it with git fsck").
    done = CliRunner().invoke(main, ["checkout-recent", "--repo", str(missing), "--days", "2"])
    assert done.exit_code == 3 and f"{missing} is not a git repository" in done.output
    clone = sparse_clone(upstream.bare, tmp_path / "sparse", days=2)
    assert all((clone / path).is_file() for path in upstream.july)
    assert not any((clone / path).exists() for path in upstream.june)
    assert {blob_of(clone, path) for path in upstream.june} <= missing_objects(clone)
    assert git(clone, "status", "--porcelain") == ""
    # A file left out is still read, fetched when a command needs it.
    store = Store(clone, create=False)
    old = blob_of(clone, upstream.june[0])
    whole = whole_clone(upstream.bare, tmp_path / "whole")
    assert store.read(old) == (whole / upstream.june[0]).read_bytes()
    assert old not in missing_objects(clone)


def test_a_sync_in_the_sparse_clone_pushes_what_a_whole_clone_commits(
    upstream: Upstream, small_captures: list[Capture], tmp_path: Path
) -> None:
    capture = small_captures[2]
    bare = copy_of(upstream, tmp_path)
    whole, clone = whole_clone(bare, tmp_path / "whole"), sparse_clone(bare, tmp_path / "c", 2)
    missing_before = missing_objects(clone)
    epoch = format_epoch(capture.time)
    with ReplayServer(capture) as server:
        command = ["sync", "--base-url", server.base_url, "--epoch", epoch]
        by_whole = CliRunner().invoke(main, [*command, "--repo", str(whole)])
        by_sparse = CliRunner().invoke(main, [*command, "--repo", str(clone), "--push"])
    assert by_whole.exit_code == by_sparse.exit_code == 0, by_sparse.output
    assert git(bare, "rev-parse", "main^{tree}") == git(whole, "rev-parse", "HEAD^{tree}")
    assert git(clone, "status", "--porcelain") == ""
    assert not any((clone / path).exists() for path in upstream.june)
    # June's files were not checked out; the sync fetched only those it read: a shard of
    # models whose latest file before July 19 is June's (a new day's file starts from it).
    june = {blob_of(clone, path): path for path in upstream.june}
    fetched = [june[blob] for blob in june.keys() - missing_objects(clone)]
    assert june.keys() <= missing_before
    assert fetched and all(path.startswith("data/telemetry/model/") for path in fetched)
    assert len(fetched) < len(june)


def test_the_site_and_the_export_of_the_sparse_clone_are_a_whole_clones(
    upstream: Upstream, tmp_path: Path
) -> None:
    whole = whole_clone(upstream.bare, tmp_path / "whole")
    clone = sparse_clone(upstream.bare, tmp_path / "sparse", days=31)
    assert not any((clone / path).exists() for path in upstream.june)
    epoch = git(whole, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)").strip()
    built = datetime.fromisoformat(epoch.replace("Z", "+00:00")) + timedelta(minutes=30)
    packs = {}
    for repo in (whole, clone):
        # As `archiver site` builds: with its cache, which deepens a shallow clone.
        cache = default_cache_dir(repo)
        build_site(repo, repo.parent / f"{repo.name}-site", base_url="/", built=built, cache=cache)
        before = set((repo / ".git/objects/pack").glob("*.pack"))
        export_parquet(repo, repo.parent / f"{repo.name}-export")
        packs[repo] = set((repo / ".git/objects/pack").glob("*.pack")) - before
    # The folders left out came in one fetch a kind (a pack each), not one a folder.
    kinds = {path.split("/")[2] for path in upstream.june}
    # More folders than kinds left out, or one fetch a folder would pass too.
    assert len({path.rsplit("/", 1)[0] for path in upstream.june}) > len(kinds)
    assert not packs[whole] and 0 < len(packs[clone]) <= len(kinds)
    assert files(tmp_path / "sparse-site") == files(tmp_path / "whole-site")
    assert files(tmp_path / "sparse-export") == files(tmp_path / "whole-export")
    assert git(clone, "status", "--porcelain") == ""
    assert not any((clone / path).exists() for path in upstream.june)


def test_a_push_that_finds_the_branch_moved_syncs_again_on_top_in_the_sparse_clone(
    upstream: Upstream, small_captures: list[Capture], tmp_path: Path
) -> None:
    bare = copy_of(upstream, tmp_path)
    clone = sparse_clone(bare, tmp_path / "sparse", days=2)
    # Meanwhile a person pushes an edit: the sync's push is refused, it fetches, brings the
    # sparse clone forward (the blobs it lacks fetched first) and commits again on top.
    person = whole_clone(bare, tmp_path / "person")
    (person / "NOTES.md").write_text("kept\n")
    git(person, "add", "NOTES.md")
    git(person, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-qm", "Notes")
    git(person, "push", "-q", "origin", "main")
    done = sync_and_push(clone, small_captures[2])
    assert done.exit_code == 0, done.output
    assert git(bare, "rev-parse", "main~1") == git(person, "rev-parse", "HEAD")
    assert git(bare, "show", "main:NOTES.md") == "kept\n"
    assert (clone / "NOTES.md").read_text() == "kept\n"
    assert git(clone, "status", "--porcelain") == ""
    assert not any((clone / path).exists() for path in upstream.june)


def test_archiver_telemetry_refuses_days_the_checkout_left_out_and_reads_the_others(
    upstream: Upstream, tmp_path: Path
) -> None:
    clone = sparse_clone(upstream.bare, tmp_path / "sparse", days=2)
    whole = whole_clone(upstream.bare, tmp_path / "whole")
    model = _a_model_with_june_telemetry(whole)
    command = ["telemetry", "model", model, "--format", "json"]
    refused = CliRunner().invoke(main, [*command, "--repo", str(clone)])
    assert refused.exit_code == 3
    assert "sparse checkout without the telemetry of up to 2026-07-18" in refused.output
    assert "archiver telemetry" in refused.output and "checkout-recent" in refused.output
    # The days it holds read as in a whole clone.
    recent = [*command, "--since", "2026-07-17"]
    by_clone = CliRunner().invoke(main, [*recent, "--repo", str(clone)])
    by_whole = CliRunner().invoke(main, [*recent, "--repo", str(whole)])
    assert by_clone.exit_code == by_whole.exit_code == 0, by_clone.output
    assert by_clone.output == by_whole.output


def _a_model_with_june_telemetry(repo: Path) -> str:
    """Return the key of a model that has telemetry in June and in July."""
    from archiver.telemetry import iter_samples

    june = {key for key, _ in iter_samples(repo, "model", "2026-06-01", "2026-06-30")}
    july = {key for key, _ in iter_samples(repo, "model", "2026-07-17", "2026-07-19")}
    return min(june & july)


def test_checkout_recent_keeps_only_folders_the_layout_makes(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    repo.mkdir()
    git(repo, "init", "-q")
    odd = [
        "data/telemetry/endpoint/2026/07-18/0.tsv",
        "data/telemetry/endpoint/2026/W29-1/0.tsv",  # an ISO week date Python reads as a day
        "data/telemetry/endpoint/2026/02-30/0.tsv",
        "data/telemetry/!data/2026/07-18/0.tsv",  # would be a pattern of its own
        "data/telemetry/model_variant/2026/07-13/0.tsv",
    ]
    for path in odd:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("x\n")
    git(repo, "add", ".")
    git(repo, "-c", "user.name=p", "-c", "user.email=p@example.com", "commit", "-qm", "odd")
    recent = check_out_recent(repo, days=1)
    assert recent.patterns == (
        "/*",
        "!/data/telemetry/",
        "/data/telemetry/endpoint/2026/07-18/",
        "/data/telemetry/model_variant/2026/07-13/",  # its week reaches 18 July
    )
    assert (repo / odd[0]).is_file() and not (repo / odd[3]).exists()


def test_archiver_telemetry_reads_from_the_folder_holding_since(
    upstream: Upstream, tmp_path: Path
) -> None:
    # The checkout keeps 17 and 18 July; the model folders before are June's. Asked from
    # 1 July, the series starts from the folder holding it, 17 June, which was left out.
    clone = sparse_clone(upstream.bare, tmp_path / "sparse", days=2)
    model = _a_model_with_june_telemetry(whole_clone(upstream.bare, tmp_path / "whole"))
    command = ["telemetry", "model", model, "--repo", str(clone)]
    refused = CliRunner().invoke(main, [*command, "--since", "2026-07-01"])
    assert refused.exit_code == 3
    assert "without the telemetry of 2026-06-17 to 2026-07-18" in refused.output
    # From 17 July, it holds all it reads (the variants' week of 13 July is another kind).
    assert CliRunner().invoke(main, [*command, "--since", "2026-07-17"]).exit_code == 0
    # And more days than the calendar holds mean all of them.
    done = CliRunner().invoke(main, ["checkout-recent", "--repo", str(clone), "--days", "900000"])
    assert done.exit_code == 0, done.output
    assert all((clone / path).is_file() for path in upstream.june)
