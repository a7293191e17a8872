"""The archive's repository shared with people and other runs (audit): five gaps closed.

Each race is made deterministic: a real sync process held mid-fetch by the real replay
server (tests.test_audit22_concurrency.HeldSync), a real git process held inside one of its
hooks while it holds its lock, a real sync process killed at a known step, or a hook
placed in a reader.

- Recovering an interrupted sync removed git's `index.lock` and the branch's lock even
  while a live git held them; it now removes only a lock the killed sync left (the journal
  names the step and its start, archiver.archive.git_locks) and otherwise waits, then
  refuses in one line, the journal kept.
- `archiver update-code` moved the work tree without the repository's lock while a sync in
  the same clone ran; it now takes the sync's lock and refuses while a sync holds it.
- A person's edit to a data file, made while a sync fetched, was overwritten by the sync's
  commit; the sync now refuses to commit and the edit stays.
- `archiver telemetry` read day files across a sync's commit and mixed two commits' files;
  it now reads at one commit (archiver.history.steady).
- Two writers of one site cache file shared its temporary name: one renamed the other's
  half-written file into place; each now writes under a name of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

import archiver.archive.git_locks as git_locks
import archiver.archive.lock as repository_locks
import archiver.telemetry.uptime as uptime_module
from archiver.archive.store import JOURNAL, Store
from archiver.capture.files import Capture, read_capture
from archiver.cli import main
from archiver.errors import StoreError
from archiver.site.cache_file import replace_file
from archiver.telemetry.uptime import uptime_series
from tests.small_captures import (
    SMALL_DAILY,
    copy_archive,
    small_daily,
    some_models,
    sync_small,
    with_models_only,
)
from tests.test_audit22_concurrency import HeldSync, git, head, once_before

EXTRA = SMALL_DAILY[0].parent.parent / "extra"
UPTIME = "endpoint-uptime"


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    """Return the three small daily captures cut to a few models, with their uptime windows."""
    daily = small_daily()
    keys = some_models(daily[0], 8, 2)
    extra = [read_capture(EXTRA / path.name) for path in SMALL_DAILY]
    return [
        with_models_only(replace(capture, responses=capture.responses + more.responses), keys)
        for capture, more in zip(daily, extra, strict=True)
    ]


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
    assert sync_small(repo, captures[2]).commit_id
    return repo


@pytest.fixture
def repo(base: Path, tmp_path: Path) -> Path:
    """Return a private copy of the base archive."""
    return copy_archive(base, tmp_path / "archive")


def one_line(error: BaseException | str) -> str:
    """Return an error's text, asserting it is one line."""
    text = str(error)
    assert "\n" not in text.strip() and "Traceback" not in text, text
    return text


# -- recovery never removes a live git's lock --------------------------------------------------

# A sync's commit step in its own process, killed (SIGKILL) at a known point: in
# `_update_work_tree` before it writes anything ("work-tree"), or in the index write, either
# before libgit2 takes index.lock ("index") or holding it, as libgit2 does while it writes
# ("index-held").
KILLED_COMMIT = """
import os, signal, sys
import pygit2
from archiver.archive.store import Store

repo, point = sys.argv[1], sys.argv[2]
store = Store(repo)

def die(*_args, **_kwargs):
    if point == "index-held":
        path = os.path.join(store.repo.path, "index.lock")
        lock = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        os.write(lock, b"DIRC")
    os.kill(os.getpid(), signal.SIGKILL)

if point == "work-tree":
    store._update_work_tree = die
else:
    pygit2.Index.write = die
store.check_ready()
store.commit({"data/model/written-by-the-killed-sync.json": b"{}\\n"}, [], "a sync\\n")
"""


def killed_commit(repo: Path, point: str) -> str:
    """Run a sync's commit killed at point; return the commit its journal names."""
    done = subprocess.run([sys.executable, "-c", KILLED_COMMIT, str(repo), point], check=False)
    assert done.returncode == -signal.SIGKILL
    journal = repo / ".git" / JOURNAL
    assert journal.exists()
    return head(repo)


class HeldGit:
    """A real git command held inside one of its hooks (it holds its lock meanwhile)."""

    def __init__(self, repo: Path, hook: str, condition: str, *command: str) -> None:
        self.entered, self.gate = repo / ".git" / "entered", repo / ".git" / "gate"
        os.mkfifo(self.gate)
        script = repo / ".git" / "hooks" / hook
        script.write_text(
            f'#!/bin/sh\nif {condition}; then touch "{self.entered}"; read _ < "{self.gate}"; fi\n'
            + ("exit 1\n" if hook == "pre-commit" else "exit 0\n")
        )
        script.chmod(0o755)
        identity = ["-c", "user.name=Someone", "-c", "user.email=someone@example.com"]
        self.process = subprocess.Popen(
            ["git", "-C", str(repo), *identity, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        while not self.entered.exists():
            assert self.process.poll() is None, self.process.communicate()
            threading.Event().wait(0.02)

    def release(self) -> int:
        """Let git go on; return its exit code."""
        with self.gate.open("w") as gate:
            gate.write("go\n")
        self.process.communicate()
        return self.process.returncode


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make recovery and the repository lock give up on a held lock after 0.2 s, not 5 s."""
    monkeypatch.setattr(git_locks, "WAIT_SECONDS", 0.2)
    monkeypatch.setattr(repository_locks, "WAIT_SECONDS", 0.2)


def identity(path: Path) -> tuple[int, int, int]:
    """Return what tells one file from another that took its name."""
    found = path.stat()
    return found.st_ino, found.st_mtime_ns, found.st_size


def test_recovery_waits_for_a_live_git_commits_index_lock_and_never_removes_it(
    repo: Path, short_wait: None
) -> None:
    (repo / "NOTES.md").write_text("what this archive is for\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "--quiet", "-m", "notes")
    # A sync killed after it moved the branch, before it wrote the work tree and index.
    new = killed_commit(repo, "work-tree")
    # Then a person commits a note: git holds index.lock while its pre-commit hook runs.
    (repo / "NOTES.md").write_text("what this archive is for, and who runs it\n")
    person = HeldGit(repo, "pre-commit", "true", "commit", "--quiet", "-a", "-m", "more notes")
    lock = repo / ".git" / "index.lock"
    held = identity(lock)

    with pytest.raises(StoreError) as refused:
        Store(repo).recover()

    assert "another git process holds" in one_line(refused.value)
    assert str(lock) in str(refused.value)
    assert identity(lock) == held, "recovery removed or replaced a lock a live git holds"
    assert (repo / ".git" / JOURNAL).exists(), "the journal must stay for the next run"
    assert person.release() == 1  # Its hook refuses: git lets its lock go, nothing committed.
    # With git done, the next run finishes the interrupted commit.
    assert "finished" in (Store(repo).recover() or "")
    assert head(repo) == new and not (repo / ".git" / JOURNAL).exists()
    assert git(repo, "status", "--porcelain", "--", "data") == ""


def test_recovery_waits_for_a_live_git_moving_the_branch_and_never_removes_its_lock(
    repo: Path, short_wait: None
) -> None:
    # A sync killed in its index step, before libgit2 took index.lock.
    new = killed_commit(repo, "index")
    # A person's git moves the branch: it holds the branch's lock in its reference hook.
    command = ("update-ref", "-m", "a person", "refs/heads/main", "HEAD")
    person = HeldGit(repo, "reference-transaction", '[ "$1" = prepared ]', *command)
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    held = identity(lock)

    with pytest.raises(StoreError) as refused:
        Store(repo).recover()

    assert "another git process holds" in one_line(refused.value)
    assert identity(lock) == held, "recovery removed or replaced a lock a live git holds"
    assert (repo / ".git" / JOURNAL).exists()
    assert person.release() == 0
    assert "finished" in (Store(repo).recover() or "")
    assert head(repo) == new
    assert git(repo, "status", "--porcelain", "--", "data") == ""


def test_the_index_lock_a_killed_sync_left_is_removed_and_its_commit_finished(
    repo: Path,
) -> None:
    new = killed_commit(repo, "index-held")
    assert (repo / ".git" / "index.lock").exists()

    log = sync_small(repo, read_capture(SMALL_DAILY[2]))

    assert any("finished" in note for note in log.notes), log.notes
    assert not (repo / ".git" / "index.lock").exists()
    assert git(repo, "rev-list", "--first-parent", "HEAD").splitlines()[1] == new
    assert git(repo, "status", "--porcelain") == ""


def test_a_commit_made_on_top_of_an_interrupted_sync_is_reported_and_left_alone(
    repo: Path,
) -> None:
    new = killed_commit(repo, "index-held")
    (repo / ".git" / "index.lock").unlink()  # a person clears it to commit, as git says to
    identity = ["-c", "user.name=Someone", "-c", "user.email=someone@example.com"]
    subprocess.run(
        ["git", "-C", str(repo), *identity, "commit", "-q", "--allow-empty", "-m", "mine"],
        check=True,
    )
    mine = head(repo)
    status = git(repo, "status", "--porcelain")

    outcome = Store(repo).recover()

    # Not "had not moved the branch": the sync's commit landed, and the person's is on top.
    assert outcome is not None and f"{new[:12]} had landed" in outcome, outcome
    assert head(repo) == mine
    assert git(repo, "status", "--porcelain") == status  # their work tree, as they left it
    # Their commit was made from the index the killed sync had not updated: what that left
    # in the work tree is theirs to sort out, and the next sync says so in one line.
    with pytest.raises(StoreError, match="unstaged edits or untracked files"):
        sync_small(repo, read_capture(SMALL_DAILY[2]))
    assert head(repo) == mine


# -- update-code takes the sync's lock ---------------------------------------------------------


def test_update_code_refuses_while_a_sync_runs_in_the_clone(
    repo: Path, captures: list[Capture], tmp_path: Path, short_wait: None
) -> None:
    # The fork on "GitHub" (a bare repository) and upstream with new code.
    fork = tmp_path / "fork.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repo), str(fork))
    git(repo, "remote", "add", "origin", str(fork))
    git(repo, "fetch", "--quiet", "origin")
    upstream = tmp_path / "upstream"
    git(tmp_path, "clone", "--quiet", str(fork), str(upstream))
    (upstream / "tool.py").write_text("print('new code')\n")
    git(upstream, "add", "tool.py")
    git(upstream, "commit", "--quiet", "-m", "new code")
    pushed = git(fork, "rev-parse", "main")

    held = HeldSync(repo, captures[2], captures[2].time)
    held.wait_until_fetching()
    command = ["update-code", "--repo", str(repo), "--upstream", str(upstream)]
    result = CliRunner().invoke(main, command)
    code, stderr = held.finish()

    assert result.exit_code == 3, result.output
    assert "in use by another archiver run" in one_line(result.output.strip())
    assert "archiver sync" in result.output
    assert git(fork, "rev-parse", "main") == pushed, "nothing may be pushed"
    assert not (repo / "tool.py").exists()
    assert code == 0, stderr  # The sync went on undisturbed.


# -- a person's edit while a sync fetches --------------------------------------------------------


def changed_files(old: Path, new: Path) -> list[str]:
    """Return the files the newer archive's last sync wrote under data/ (not new ones)."""
    listed = git(new, "diff", "--name-only", "--diff-filter=M", "HEAD~1", "HEAD", "--", "data")
    return sorted(path for path in listed.splitlines() if (old / path).exists())


def test_an_edit_made_while_a_sync_fetches_is_kept_and_nothing_committed(
    repo: Path, after: Path, captures: list[Capture]
) -> None:
    before = head(repo)
    edited = repo / changed_files(repo, after)[0]
    held = HeldSync(repo, captures[2], captures[2].time)
    held.wait_until_fetching()
    # A person edits a file the sync is about to write, and has not committed yet.
    edit = edited.read_bytes() + b"\n"
    edited.write_bytes(edit)
    code, stderr = held.finish()

    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert code == 3 and len(errors) == 1, stderr
    assert edited.relative_to(repo).as_posix() in errors[0] and "kept" in errors[0]
    assert edited.read_bytes() == edit, "the person's edit was overwritten"
    assert head(repo) == before and not (repo / ".git" / JOURNAL).exists()
    # Once they put it back, the next sync lands as it would have.
    git(repo, "restore", "--", "data")
    assert sync_small(repo, captures[2]).commit_id
    assert git(repo, "rev-parse", "HEAD:data") == git(after, "rev-parse", "HEAD:data")


def test_an_edit_to_a_file_the_sync_does_not_write_is_left_as_it_is(
    repo: Path, after: Path, captures: list[Capture]
) -> None:
    written = set(git(after, "diff", "--name-only", "HEAD~1", "HEAD").splitlines())
    untouched = next(
        path for path in git(repo, "ls-files", "data/model").splitlines() if path not in written
    )
    held = HeldSync(repo, captures[2], captures[2].time)
    held.wait_until_fetching()
    edit = (repo / untouched).read_bytes() + b"\n"
    (repo / untouched).write_bytes(edit)
    code, stderr = held.finish()

    assert code == 0, stderr
    assert git(repo, "rev-parse", "HEAD:data") == git(after, "rev-parse", "HEAD:data")
    assert (repo / untouched).read_bytes() == edit
    assert git(repo, "status", "--porcelain", "--", "data").split() == ["M", untouched]


# -- archiver telemetry reads at one commit ----------------------------------------------------


def uptime_text(repo: Path, endpoint_id: str) -> str:
    """Return what `archiver telemetry endpoint-uptime` prints, run undisturbed."""
    result = CliRunner().invoke(main, ["telemetry", "--repo", str(repo), UPTIME, endpoint_id])
    assert result.exit_code == 0, result.output
    return result.output


def test_telemetry_while_a_sync_commits_prints_one_commits_series(
    repo: Path, base: Path, after: Path, captures: list[Capture], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An endpoint whose window the sync revises in a day file the archive holds, and
    # extends into a day it does not: a read across the commit mixes the two.
    chosen = [
        endpoint_id
        for endpoint_id in sorted(p.stem for p in (base / "data" / "endpoint").glob("*.json"))
        if mixed_differs(base, after, endpoint_id)
    ]
    assert chosen, "the captures hold no revised uptime window"
    endpoint_id = chosen[0]
    landed: list[bool] = []

    def sync_meanwhile() -> None:
        if not landed:
            landed.append(True)
            assert sync_small(repo, captures[2]).commit_id

    # The sync lands after the reader listed the day folders, before it read the first.
    once_before(monkeypatch, uptime_module, "parse_day", sync_meanwhile)
    printed = uptime_text(repo, endpoint_id)
    monkeypatch.undo()

    assert landed and head(repo) != head(base)
    assert printed == uptime_text(after, endpoint_id), "a series mixed from two commits"


def mixed_differs(base: Path, after: Path, endpoint_id: str) -> bool:
    """Tell whether reading the base's day folders from the newer commit gives a series
    neither commit holds (the newer commit revised a point and added a day)."""
    old, new = uptime_series(base, endpoint_id), uptime_series(after, endpoint_id)
    last_day = old[-1][0][:10] if old else ""
    mixed = [point for point in new if point[0][:10] <= last_day]
    return mixed not in (old, new)


# -- two writers of one cache file -------------------------------------------------------------


def test_two_writers_of_one_cache_file_never_swap_half_written_files(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "derived-history.json"
    target.parent.mkdir()
    target.write_bytes(b"the old cache\n")
    first_half, second_waits = threading.Event(), threading.Event()
    first_done = threading.Event()
    failures: list[BaseException] = []
    whole_a = [b"A" * 4096, b"a" * 4096]
    whole_b = [b"B" * 4096, b"b" * 4096]

    def chunks_a() -> Iterator[bytes]:
        yield whole_a[0]
        first_half.set()
        second_waits.wait()
        yield whole_a[1]

    def chunks_b() -> Iterator[bytes]:
        yield whole_b[0]
        second_waits.set()  # A finishes and renames while B is half-written.
        first_done.wait()
        yield whole_b[1]

    def writer(chunks: Callable[[], Iterator[bytes]], *done: threading.Event) -> None:
        try:
            replace_file(target, chunks())
        except BaseException as error:
            failures.append(error)
        finally:
            for event in done:  # Never leave the other writer waiting.
                event.set()

    a = threading.Thread(target=writer, args=(chunks_a, first_done, first_half))
    a.start()
    first_half.wait()
    seen_after_a: list[bytes] = []

    def chunks_b_checked() -> Iterator[bytes]:
        for chunk in chunks_b():
            if first_done.is_set() and not seen_after_a:
                seen_after_a.append(target.read_bytes())
            yield chunk

    writer(chunks_b_checked, second_waits)
    a.join()

    assert not failures, failures
    assert seen_after_a == [b"".join(whole_a)], "a reader saw a torn or foreign file"
    assert target.read_bytes() == b"".join(whole_b)
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]
