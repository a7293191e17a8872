"""Concurrency as a class (audit): two runs on one repository, or one output folder, at once.

Each race is made deterministic, never hoped for: a real `python -m archiver` process is
started at a known point of another run (a reader in this process, with a hook where it
reads), or a real sync process is held mid-fetch by the real replay server (its reply to
/api/v1/models waits for the test) while git or another archiver command runs.

Found and fixed:

- a site build while a sync committed showed one commit's pages and history with the next
  commit's telemetry (read from the work tree); it now reads again when HEAD moved while it
  read (archiver.history.steady);
- the site's derived-history cache written during that race named the old HEAD but held the
  new commit's sync log: every later incremental build showed that sync twice (not written
  now when HEAD moved while history was read);
- an export while a sync committed recorded commit X in its manifest with telemetry of X+1;
  one run after the sync moved the branch but before it wrote the work tree recorded X+1
  with telemetry of X, which the next run never read again. It now reads the files of the
  commit it exports (archiver.export.telemetry_files);
- two site builds into one --out shared the staging folder: the second removed what the
  first had written, and the first then swapped in a site with pages missing; two exports
  into one folder mixed their files (the second removed or rewrote the first's). An output
  folder is now locked (the second run refuses in one line naming the first), an export's
  through its --publish mirror, which copied another run's export otherwise;
- a `git pull` in the archive's work tree while a sync fetched brought a newer sync: the
  sync then committed its older hour on top (its epoch was checked only before the fetch),
  undoing the newer data; the check is made again after the fetch, and a commit whose branch
  moved since the sync planned it is refused (Store.commit `on_top_of`).

Checked and found fine: a site build and an export sharing the history index in .git at
the same time; a person's `git commit` in the work tree while a sync fetches (the sync
commits on top of it, both kept); `log`, `show` and `telemetry` while a sync holds the
repository (they do not wait for its lock, and read whole commits). Already covered
elsewhere: two writers (sync, import, sync --push) take one lock (fault_matrix
test_repository_faults), two clones racing to push (test_publish), a killed sync or export
(test_crash, test_export_killed).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import pygit2
import pytest
from click.testing import CliRunner

import archiver.export.publish as export_publish
import archiver.export.run as export_run
import archiver.site.build as site_build
import archiver.site.incremental as site_incremental
from archiver.archive.store import Store
from archiver.capture.files import Capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.errors import ArchiverError
from archiver.export import export_parquet
from archiver.export.plan import MANIFEST
from archiver.site import build_site
from archiver.site.incremental import default_cache_dir
from archiver.times import format_epoch
from tests.small_captures import (
    copy_archive,
    small_daily,
    some_models,
    sync_small,
    with_models_only,
)

BUILT = datetime(2026, 7, 20, tzinfo=UTC)
GATED = "/api/v1/models"
# The cut captures drop a few models from one day to the next: a large share of a few.
WHOLE = ["--max-removal-share", "1"]


# -- the archive and its racing sync --------------------------------------------------------


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    """Return the three small daily captures cut to a few models (a site builds in seconds)."""
    daily = small_daily()
    keys = some_models(daily[0], 8, 2)
    return [with_models_only(capture, keys) for capture in daily]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, captures: list[Capture]) -> Path:
    """Return an archive of the first two captures (copy it before writing)."""
    repo = tmp_path_factory.mktemp("base") / "archive"
    for capture in captures[:2]:
        log = sync_small(repo, capture)
        assert log.commit_id and not log.failures, log.failures
    return repo


@pytest.fixture(scope="module")
def after(tmp_path_factory: pytest.TempPathFactory, base: Path, captures: list[Capture]) -> Path:
    """Return the base archive with the third capture synced: the commit a race lands."""
    repo = copy_archive(base, tmp_path_factory.mktemp("after") / "archive")
    archiver(["sync", "--repo", str(repo), *served(captures[2])])
    return repo


@pytest.fixture(scope="module")
def base_site(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Return the files of the base archive's site, built undisturbed."""
    return reference_site(base, tmp_path_factory.mktemp("base-site"), "base")


@pytest.fixture(scope="module")
def base_export(base: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Return the rows of the base archive's export, made undisturbed."""
    return reference_export(base, tmp_path_factory.mktemp("base-export"), "base")


@pytest.fixture
def repo(base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the base archive."""
    return copy_archive(base, tmp_path / "archive")


_servers: list[ReplayServer] = []


def served(capture: Capture) -> list[str]:
    """Return the sync options that fetch a capture from a replay server, at its own hour."""
    server = ReplayServer(capture).start()
    _servers.append(server)
    return ["--base-url", server.base_url, "--epoch", format_epoch(capture.time), *WHOLE]


@pytest.fixture(autouse=True, scope="module")
def _stop_servers() -> Iterator[None]:
    yield
    while _servers:
        _servers.pop().stop()


def archiver(args: list[str], expect: int = 0) -> subprocess.CompletedProcess[str]:
    """Run `python -m archiver` as its own process; check its exit code."""
    done = subprocess.run(
        [sys.executable, "-m", "archiver", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == expect, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def sync_into(repo: Path, capture: Capture) -> Callable[[], None]:
    """Return a hook that syncs the capture into repo by a real process, once."""
    done: list[bool] = []

    def hook() -> None:
        if not done:
            done.append(True)
            archiver(["sync", "--repo", str(repo), *served(capture)])

    return hook


def once_before(
    monkeypatch: pytest.MonkeyPatch, module: Any, name: str, hook: Callable[[], None]
) -> None:
    """Make module.name run hook before it does its work (the race's known point)."""
    original = getattr(module, name)

    def hooked(*args: Any, **kwargs: Any) -> Any:
        hook()
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, hooked)


def head(repo: Path) -> str:
    """Return the commit HEAD names."""
    return str(pygit2.Repository(str(repo)).head.target)


# -- readers: what a site build and an export read ----------------------------------------


def site_files(out: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file of a built site."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def reference_site(repo: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    """Return the files of the site a build of a private copy of repo writes, undisturbed."""
    copy = copy_archive(repo, tmp_path / f"{name}-copy")
    out = tmp_path / f"{name}-site"
    build_site(copy, out, built=BUILT)
    return site_files(out)


def assert_same_site(got: dict[str, bytes], expected: dict[str, bytes]) -> None:
    """Assert two builds wrote the same files, naming the first few that differ."""
    differ = sorted(p for p in {*got, *expected} if got.get(p) != expected.get(p))
    assert not differ, differ[:8]


def test_a_site_build_while_a_sync_commits_shows_one_commit(
    repo: Path, base_site: dict[str, bytes], after: Path, captures: list[Capture], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The sync lands after history and entities are read, before telemetry is.
    once_before(monkeypatch, site_build, "load_metrics", sync_into(repo, captures[2]))
    out = tmp_path / "site"
    build_site(repo, out, built=BUILT)

    assert data_tree(repo) == data_tree(after)
    got = site_files(out)
    before, landed = base_site, reference_site(repo, tmp_path, "landed")
    # The site of one commit, as an undisturbed build of it writes it: here the one that
    # landed, read again once the build saw HEAD move.
    mixed = sorted(p for p in {*got, *before} if got.get(p) != before.get(p))
    assert got in (landed, before), f"neither commit's site: {mixed[:8]}"


def test_the_history_cache_written_during_a_race_never_names_a_commit_it_did_not_read(
    repo: Path,
    after: Path,
    captures: list[Capture],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = default_cache_dir(repo)
    # The sync lands after the build noted HEAD, before it reads history.
    once_before(monkeypatch, site_incremental, "changes_after", sync_into(repo, captures[2]))
    build_site(repo, tmp_path / "raced", cache=cache, built=BUILT)
    monkeypatch.undo()
    # The next build reads what the raced one cached: each sync once, as a full read shows.
    build_site(repo, tmp_path / "next", cache=cache, built=BUILT)

    assert data_tree(repo) == data_tree(after)
    expected = reference_site(repo, tmp_path, "landed")
    assert_same_site(site_files(tmp_path / "raced"), expected)
    assert_same_site(site_files(tmp_path / "next"), expected)


def export_rows(out: Path) -> dict[str, list[dict[str, Any]]]:
    """Return {partition: rows} of every Parquet file of an export."""
    return {
        p.relative_to(out).as_posix(): pq.read_table(p).to_pylist()
        for p in sorted(out.rglob("*.parquet"))
    }


def reference_export(repo: Path, tmp_path: Path, name: str) -> dict[str, list[dict[str, Any]]]:
    """Return the rows a full export of a private copy of repo writes, undisturbed."""
    copy = copy_archive(repo, tmp_path / f"{name}-copy")
    out = tmp_path / f"{name}-export"
    export_parquet(copy, out)
    return export_rows(out)


def test_an_export_while_a_sync_commits_is_the_export_of_the_head_it_names(
    repo: Path, base: Path, base_export: dict[str, Any], captures: list[Capture], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The sync lands after history is exported, before telemetry is read.
    once_before(monkeypatch, export_run, "write_telemetry", sync_into(repo, captures[2]))
    out = tmp_path / "export"
    report = export_parquet(repo, out)
    monkeypatch.undo()

    assert report.head == head(base) != head(repo)
    assert export_rows(out) == base_export
    # The next run exports what the race left: exactly the export of the new head.
    assert export_parquet(repo, out).head == head(repo)
    assert export_rows(out) == reference_export(repo, tmp_path, "landed")


def test_an_export_while_a_sync_writes_its_files_reads_the_commit_it_names(
    repo: Path, captures: list[Capture], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export"

    def export_meanwhile() -> None:
        if not out.exists():
            archiver(["export", "--repo", str(repo), str(out)])

    # The export runs when the sync has moved the branch, before it writes the work tree.
    once_before(monkeypatch, Store, "_update_work_tree", export_meanwhile)
    sync_small(repo, captures[2])
    monkeypatch.undo()

    assert export_parquet(repo, out).up_to_date
    assert export_rows(out) == reference_export(repo, tmp_path, "landed")


def test_a_site_build_and_an_export_share_the_history_index_at_once(
    repo: Path, base_site: dict[str, bytes], base_export: dict[str, Any], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    exported = tmp_path / "export"

    def export_meanwhile() -> None:
        if not exported.exists():
            archiver(["export", "--repo", str(repo), str(exported)])

    # Both bring .git/archiver/history.sqlite up to date: the export while the build reads it.
    once_before(monkeypatch, site_build, "load_projection", export_meanwhile)
    build_site(repo, tmp_path / "site", cache=default_cache_dir(repo), built=BUILT)

    assert_same_site(site_files(tmp_path / "site"), base_site)
    assert export_rows(exported) == base_export


# -- two runs writing one output folder -------------------------------------------------------


def refused_in_one_line(done: subprocess.CompletedProcess[str], command: str) -> None:
    """Assert a run refused with one line naming the run that holds the folder."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "in use by another archiver run" in lines[0] and command in lines[0], lines[0]


def test_two_site_builds_into_one_folder_never_mix(
    repo: Path, base_site: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    second: list[subprocess.CompletedProcess[str]] = []

    def build_meanwhile() -> None:
        if not second:
            second.append(archiver(["site", "--repo", str(repo), "--out", str(out)], expect=3))

    # The second build starts once the first has written its pages, before its last files.
    once_before(monkeypatch, site_build, "_copy_static", build_meanwhile)
    build_site(repo, out, built=BUILT)

    refused_in_one_line(second[0], "archiver site --out site")
    assert_same_site(site_files(out), base_site)


def files_as_they_are(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Return {path: (inode, bytes)} of every file below folder."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_ino, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_two_exports_into_one_folder_never_mix(
    repo: Path, base_export: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "export"
    second: list[subprocess.CompletedProcess[str]] = []

    def export_meanwhile() -> None:
        if not second:
            written = files_as_they_are(out)
            second.append(archiver(["export", "--repo", str(repo), str(out)], expect=3))
            assert files_as_they_are(out) == written  # None removed or written again.

    # The second export starts when the first has written its history tables, not yet its
    # manifest (it would take them for the remains of a killed run, and remove them).
    once_before(monkeypatch, export_run, "write_telemetry", export_meanwhile)
    export_parquet(repo, out)

    refused_in_one_line(second[0], "archiver export into export")
    assert export_rows(out) == base_export


def test_an_export_published_while_another_export_runs_is_the_one_it_wrote(
    repo: Path, base: Path, base_export: dict[str, Any], captures: list[Capture], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    out, published = tmp_path / "export", tmp_path / "site-export"
    second: list[subprocess.CompletedProcess[str]] = []

    def sync_and_export_meanwhile() -> None:
        if not second:
            sync_into(repo, captures[2])()
            second.append(archiver(["export", "--repo", str(repo), str(out)], expect=3))

    # Between this run's export and its mirror, a sync lands and another export starts.
    once_before(monkeypatch, export_publish, "mirror", sync_and_export_meanwhile)
    command = ["export", "--repo", str(repo), str(out), "--publish", str(published)]
    result = CliRunner().invoke(main, command)

    assert result.exit_code == 0, result.output
    refused_in_one_line(second[0], "archiver export into export")
    assert orjson.loads((published / MANIFEST).read_bytes())["head"] == head(base)
    assert export_rows(published) == base_export


# -- a sync and git in one work tree ----------------------------------------------------------


class HeldSync:
    """A real sync process, held while the replay server's reply to GATED waits."""

    def __init__(self, repo: Path, capture: Capture, epoch: datetime) -> None:
        self.server = ReplayServer(capture)
        routes = self.server._routes
        reply = routes.reply
        self.arrived, self.release = threading.Event(), threading.Event()

        def gated(url: str) -> Any:
            if url.split("?")[0] == GATED:
                self.arrived.set()
                self.release.wait()
            return reply(url)

        routes.reply = gated  # type: ignore[method-assign,assignment]
        self.server.start()
        command = ["sync", "--repo", str(repo), "--base-url", self.server.base_url, *WHOLE]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "archiver", *command, "--epoch", format_epoch(epoch)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_until_fetching(self) -> None:
        """Return once the sync holds the repository and is fetching."""
        while not self.arrived.wait(0.05):
            assert self.process.poll() is None, self.process.communicate()

    def finish(self) -> tuple[int, str]:
        """Let the sync go on; return its exit code and error output."""
        self.release.set()
        _, stderr = self.process.communicate()
        self.server.stop()
        assert "Traceback" not in stderr, stderr
        return self.process.returncode, stderr


def git(repo: Path, *args: str) -> str:
    """Run git in repo; return its output."""
    identity = ["-c", "user.name=Someone", "-c", "user.email=someone@example.com"]
    done = subprocess.run(
        ["git", "-C", str(repo), *identity, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def data_tree(repo: Path) -> str:
    """Return the id of HEAD's data/ tree."""
    return git(repo, "rev-parse", "HEAD:data").strip()


def test_a_pull_of_a_newer_sync_while_a_sync_fetches_is_not_undone(
    repo: Path, after: Path, captures: list[Capture]
) -> None:
    # A sync of the hour after the latest one, holding the repository, fetching.
    hour = captures[1].time.replace(minute=0, second=0) + timedelta(hours=1)
    held = HeldSync(repo, captures[1], hour)
    held.wait_until_fetching()
    # Meanwhile a person pulls a newer sync (another clone's, a day later) into the work tree.
    git(repo, "pull", "--quiet", "--ff-only", str(after), "main")
    code, stderr = held.finish()

    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert code != 0 and len(errors) == 1, stderr
    assert "latest sync" in errors[0] and format_epoch(hour) in errors[0], stderr
    assert head(repo) == head(after) and data_tree(repo) == data_tree(after)
    assert git(repo, "status", "--porcelain") == ""


def test_a_branch_moved_while_a_sync_plans_is_refused_not_written_over(
    repo: Path, after: Path, captures: list[Capture], monkeypatch: pytest.MonkeyPatch
) -> None:
    def pull() -> None:
        git(repo, "pull", "--quiet", "--ff-only", str(after), "main")

    # The pull lands after the sync read HEAD to plan its changes, before it commits them.
    once_before(monkeypatch, Store, "commit", pull)
    hour = captures[1].time.replace(minute=0, second=0) + timedelta(hours=1)
    with pytest.raises(ArchiverError, match="moved") as raised:
        sync_small(repo, Capture(hour, "held", "", captures[2].responses))

    assert "\n" not in str(raised.value)
    assert head(repo) == head(after) and data_tree(repo) == data_tree(after)
    assert git(repo, "status", "--porcelain") == ""


def test_a_person_committing_while_a_sync_fetches_keeps_both(
    repo: Path, after: Path, captures: list[Capture], tmp_path: Path
) -> None:
    held = HeldSync(repo, captures[2], captures[2].time)
    held.wait_until_fetching()
    (repo / "NOTES.md").write_text("what this archive is for\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "--quiet", "-m", "notes")
    noted = head(repo)
    # Readers do not wait for the sync's lock, and read whole commits.
    key = sorted((repo / "data" / "endpoint").glob("*.json"))[0].stem
    for command in (
        ["log", "endpoint", key],
        ["show", "--all", "endpoint"],
        ["telemetry", "endpoint", key],
    ):
        archiver([*command, "--repo", str(repo)])
    code, stderr = held.finish()

    assert code == 0, stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == noted
    assert data_tree(repo) == data_tree(after)
    assert (repo / "NOTES.md").read_text() == "what this archive is for\n"
    assert git(repo, "status", "--porcelain") == ""
