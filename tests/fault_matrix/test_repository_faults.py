"""Hostile repository states: each refused at once with one line and exit 3, or survived.

Real things throughout: private copies of a real small archive, the replay server serving
small real captures, the archiver run on the command line (in a child process where the
fault needs one: a lowered file-size limit for a full disk, dropped capabilities so that
even root obeys a read-only .git, SIGKILL and SIGINT), and git itself to check the result.

Here `small_captures` and `small_archive` are the small captures cut to a quarter of the
catalog (`quarter_captures` in tests/small_captures.py: every kind of listing, entity and
telemetry file is still there) and an archive of the first of them: most tests sync the next
one over HTTP, some twice, some in a child, and a sync of the cut capture makes about a
hundred requests, not four hundred.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import archiver.archive.lock
from archiver.capture.files import Capture, read_capture, write_capture
from archiver.capture.replay import ReplayServer
from archiver.cli import main
from archiver.times import format_epoch
from tests.archive_helpers import commit_count, git, head, status_clean
from tests.small_captures import (
    SMALL_V1_MODELS,
    copy_archive,
    sync_small,
)

# The small captures cut to a quarter of the catalog, and archives of them (fixtures).
from tests.small_captures import quarter_archive as small_archive
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

PR_CAPBSET_DROP = 24  # linux/prctl.h


def run(*args: str) -> Result:
    """Run the archiver's command line in this process."""
    return CliRunner().invoke(main, list(args))


def sync_args(repo: Path, server: ReplayServer, capture: Capture, *extra: str) -> list[str]:
    """Return the arguments of `archiver sync` of one capture from a replay server."""
    return [
        "sync",
        "--repo",
        str(repo),
        "--base-url",
        server.base_url,
        "--epoch",
        capture.time.isoformat(),
        "--retries",
        "0",
        *extra,
    ]


def refused(result: Result | subprocess.CompletedProcess[str]) -> str:
    """Assert exit 3 with exactly one error line and no traceback; return that line."""
    if isinstance(result, Result):
        code, stderr, everything = result.exit_code, result.stderr, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), everything
    else:
        code, stderr, everything = result.returncode, result.stderr, result.stdout + result.stderr
    assert code == 3, everything
    assert "Traceback" not in everything
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def work_tree(repo: Path) -> dict[str, bytes]:
    """Return {path: bytes} of every file in the work tree outside .git (links as link text)."""
    files = {}
    for folder, dirs, names in os.walk(repo):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names + [d for d in dirs if Path(folder, d).is_symlink()]:
            path = Path(folder, name)
            key = str(path.relative_to(repo))
            link = path.is_symlink()
            files[key] = b"-> " + os.readlink(path).encode() if link else path.read_bytes()
    return files


def tree(repo: Path, rev: str = "HEAD") -> str:
    """Return the tree id of a commit."""
    return git(repo, "rev-parse", f"{rev}^{{tree}}").strip()


def assert_fsck_clean(repo: Path) -> None:
    """git fsck finds nothing wrong."""
    done = subprocess.run(["git", "-C", str(repo), "fsck", "--no-dangling"], capture_output=True)
    assert done.returncode == 0, done.stderr


def assert_intact(repo: Path, before_head: str, before_files: dict[str, bytes]) -> None:
    """HEAD, every work-tree file and the object database are exactly as they were."""
    assert head(repo) == before_head
    assert work_tree(repo) == before_files
    assert_fsck_clean(repo)


@pytest.fixture
def quick_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a run wait 0.3 s, not 5 s, for a lock another run holds."""
    monkeypatch.setattr(archiver.archive.lock, "WAIT_SECONDS", 0.3)


OTHER_RUN = "pid 4242: archiver sync, since 2026-07-18T15:00:05Z"


def hold_lock(repo: Path, holder: str = OTHER_RUN) -> int:
    """Take the repository's archiver lock as another run would; return its descriptor."""
    descriptor = os.open(repo / ".git" / "archiver.archive.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(descriptor, 0)
    os.write(descriptor, holder.encode() + b"\n")
    return descriptor


# One sync at a time ---------------------------------------------------------------------


def test_a_second_sync_refuses_while_another_holds_the_lock(
    small_archive: Path, small_captures: list[Capture], quick_lock: None
) -> None:
    before = (head(small_archive), work_tree(small_archive))
    descriptor = hold_lock(small_archive)
    try:
        with ReplayServer(small_captures[1]) as server:
            result = run(*sync_args(small_archive, server, small_captures[1]))
            asked = list(server.requests)
    finally:
        os.close(descriptor)
    line = refused(result)
    assert str(small_archive) in line and "pid 4242: archiver sync" in line
    assert asked == [], "a refused sync must not fetch"
    assert_intact(small_archive, *before)
    # Nothing lost: once the other run is gone, the same sync lands.
    with ReplayServer(small_captures[1]) as server:
        again = run(*sync_args(small_archive, server, small_captures[1]))
    assert again.exit_code == 0, again.output
    assert commit_count(small_archive) == 2 and status_clean(small_archive)


def test_a_second_sync_waits_for_a_run_that_is_finishing(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    descriptor = hold_lock(small_archive)
    # The other run ends 0.3 s later, well within the 5 s a sync waits.
    threading.Timer(0.3, os.close, (descriptor,)).start()
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1]))
    assert result.exit_code == 0, result.output
    assert commit_count(small_archive) == 2 and status_clean(small_archive)


def test_import_and_push_take_the_same_lock(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path, quick_lock: None
) -> None:
    before = (head(small_archive), work_tree(small_archive))
    capture = tmp_path / "newer.jsonl.gz"
    newer = small_captures[1]
    write_capture(capture, newer.time, "test", "newer", newer.responses)
    descriptor = hold_lock(small_archive, "pid 77: archiver import, since 2026-07-18T15:00:05Z")
    try:
        imported = run("import", "--repo", str(small_archive), str(capture))
        with ReplayServer(newer) as server:
            pushed = run(*sync_args(small_archive, server, newer, "--push"))
            asked = list(server.requests)
    finally:
        os.close(descriptor)
    assert "pid 77: archiver import" in refused(imported)
    assert "pid 77: archiver import" in refused(pushed)
    assert asked == []
    assert_intact(small_archive, *before)


def test_a_lock_dies_with_its_process(small_archive: Path, small_captures: list[Capture]) -> None:
    command = [sys.executable, "-c", HOLD_AND_SLEEP, str(small_archive)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        finally:
            holder.send_signal(signal.SIGKILL)
    # No stale lock to clean up: the kernel released it with the killed process.
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1]))
    assert result.exit_code == 0, result.output


HOLD_AND_SLEEP = """
import sys, time
from archiver.archive.store import Store
with Store(sys.argv[1]).lock("sync"):
    print("held", flush=True)
    time.sleep(600)
"""


# States a sync must not write into ----------------------------------------------------


def test_a_detached_head_is_refused_before_fetching(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    git(small_archive, "checkout", "-q", "--detach")
    before = (head(small_archive), work_tree(small_archive))
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1]))
        asked = list(server.requests)
    assert refused(result) == (
        f"Error: HEAD of {small_archive} is detached; check out a branch (git switch main) "
        "before syncing"
    )
    assert asked == []
    assert_intact(small_archive, *before)


def edit_endpoint(repo: Path) -> str:
    """Append to a tracked endpoint file without staging it; return its path."""
    path = sorted(git(repo, "ls-files", "data/endpoint").split())[0]
    with (repo / path).open("ab") as file:
        file.write(b"local edit\n")
    return path


def add_untracked(repo: Path) -> str:
    """Add an untracked file in data/; return its path."""
    (repo / "data" / "model" / "mine.json").write_bytes(b"{}\n")
    return "data/model/mine.json"


def edit_attributes(repo: Path) -> str:
    """Edit .gitattributes, which the sync maintains."""
    with (repo / ".gitattributes").open("ab") as file:
        file.write(b"*.tsv binary\n")
    return ".gitattributes"


def delete_readme(repo: Path) -> str:
    """Delete data/README.md, which the sync maintains."""
    (repo / "data" / "README.md").unlink()
    return "data/README.md"


@pytest.mark.parametrize("change", [edit_endpoint, add_untracked, edit_attributes, delete_readme])
def test_unstaged_or_untracked_files_where_the_sync_writes_are_refused_and_kept(
    small_archive: Path, small_captures: list[Capture], change: Callable[[Path], str]
) -> None:
    path = change(small_archive)
    before = (head(small_archive), work_tree(small_archive))
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1]))
        asked = list(server.requests)
    line = refused(result)
    assert "unstaged edits or untracked files where the sync writes" in line and path in line
    assert asked == []
    assert_intact(small_archive, *before)


def test_untracked_files_outside_data_do_not_block_a_sync(
    small_archive: Path, small_captures: list[Capture]
) -> None:
    (small_archive / "NOTES.md").write_text("mine\n")
    result = sync_small_cli(small_archive, small_captures[1])
    assert result.exit_code == 0, result.output
    assert (small_archive / "NOTES.md").read_text() == "mine\n"
    assert commit_count(small_archive) == 2


def sync_small_cli(repo: Path, capture: Capture, *extra: str) -> Result:
    """Run `archiver sync` of one capture on the command line."""
    with ReplayServer(capture) as server:
        return run(*sync_args(repo, server, capture, *extra))


# Symlinks -------------------------------------------------------------------------------


def test_a_symlinked_folder_in_data_is_never_written_through(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(small_archive / "data" / "endpoint", elsewhere)
    (small_archive / "data" / "endpoint").symlink_to(elsewhere, target_is_directory=True)
    outside = work_tree(elsewhere)
    before = (head(small_archive), work_tree(small_archive))
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1]))
        asked = list(server.requests)
    assert "data/endpoint" in refused(result)
    assert asked == []
    assert work_tree(elsewhere) == outside
    assert_intact(small_archive, *before)


def test_a_committed_symlinked_folder_is_refused_before_any_write(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    # Committed, so `git status` is clean: the commit's own check must catch it.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not the archive's\n")
    telemetry = small_archive / "data" / "telemetry"
    linked = sorted(p for p in telemetry.iterdir() if p.is_dir())[0]
    git(small_archive, "rm", "-q", "-r", str(linked.relative_to(small_archive)))
    linked.symlink_to(elsewhere, target_is_directory=True)
    git(small_archive, "add", str(linked.relative_to(small_archive)))
    git(small_archive, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", "link")
    before = (head(small_archive), work_tree(small_archive))
    result = sync_small_cli(small_archive, small_captures[1])
    assert str(linked) in refused(result) and "symbolic link" in refused(result)
    assert work_tree(elsewhere) == {"keep.txt": b"not the archive's\n"}
    assert_intact(small_archive, *before)


def test_a_symlinked_file_is_refused_and_its_target_untouched(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    path = sorted(git(small_archive, "ls-files", "data/endpoint").split())[0]
    target = tmp_path / "precious.json"
    target.write_bytes(b"precious\n")
    (small_archive / path).unlink()
    (small_archive / path).symlink_to(target)
    before = (head(small_archive), work_tree(small_archive))
    result = sync_small_cli(small_archive, small_captures[1])
    assert path in refused(result)
    assert target.read_bytes() == b"precious\n"
    assert_intact(small_archive, *before)


# Read-only .git, full disk --------------------------------------------------------------


def obeying_permissions() -> Callable[[], None] | None:
    """Return a child-process hook that makes root obey file permissions (None: not root).

    Root ignores chmod through its capabilities; emptying the capability bounding set
    before exec leaves a root child with none, so it meets permissions like anyone else.
    """
    if os.geteuid() != 0:
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # Loaded here: the child only calls it.

    def drop() -> None:
        for capability in range(64):
            prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)

    return drop


def run_child(
    args: list[str], *, preexec: Callable[[], None] | None = None, fsize: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run the archiver in a child process, optionally with a file-size limit (a full disk)."""
    prefix = [sys.executable, "-c", CHILD, str(fsize)]
    return subprocess.run([*prefix, *args], capture_output=True, text=True, preexec_fn=preexec)


# A write beyond RLIMIT_FSIZE fails with EFBIG (SIGXFSZ ignored), as a full disk's do.
CHILD = """
import resource, runpy, signal, sys
limit = int(sys.argv[1])
if limit:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["archiver", *sys.argv[2:]]
runpy.run_module("archiver", run_name="__main__")
"""


@contextlib.contextmanager
def read_only(top: Path) -> Iterator[None]:
    """Remove every write permission below top for the block, then restore them."""
    modes = {}
    for folder, _, names in os.walk(top):
        for path in [Path(folder), *(Path(folder, name) for name in names)]:
            modes[path] = path.stat().st_mode
            path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@pytest.fixture
def unprivileged(tmp_path: Path) -> Callable[[], None] | None:
    """Return the hook for a child that obeys permissions; skip where none can be made."""
    hook = obeying_permissions()
    probe = tmp_path / "probe"
    probe.mkdir()
    with read_only(probe):
        tried = subprocess.run(
            [sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
            capture_output=True,
            preexec_fn=hook,
        )
    if tried.returncode == 0:
        pytest.skip("a child process here ignores permissions (root without CAP_SETPCAP)")
    return hook


def test_a_read_only_git_folder_is_refused_before_fetching(
    small_archive: Path, small_captures: list[Capture], unprivileged: Callable[[], None] | None
) -> None:
    before = (head(small_archive), work_tree(small_archive))
    with ReplayServer(small_captures[1]) as server, read_only(small_archive / ".git"):
        args = sync_args(small_archive, server, small_captures[1])
        result = run_child(args, preexec=unprivileged)
        asked = list(server.requests)
    line = refused(result)
    assert f"{small_archive / '.git'}" in line and "Permission denied" in line
    assert asked == []
    assert_intact(small_archive, *before)
    assert sync_small_cli(small_archive, small_captures[1]).exit_code == 0
    assert status_clean(small_archive)


def test_read_only_objects_fail_the_commit_with_one_line(
    small_archive: Path, small_captures: list[Capture], unprivileged: Callable[[], None] | None
) -> None:
    # The lock can be taken, so the sync fetches; writing the first object then fails.
    before = (head(small_archive), work_tree(small_archive))
    with ReplayServer(small_captures[1]) as server, read_only(small_archive / ".git" / "objects"):
        result = run_child(
            sync_args(small_archive, server, small_captures[1]), preexec=unprivileged
        )
    line = refused(result)
    assert f"could not read or write the archive in {small_archive}" in line
    assert "Permission denied" in line
    assert_intact(small_archive, *before)
    assert sync_small_cli(small_archive, small_captures[1]).exit_code == 0
    assert status_clean(small_archive)


@pytest.mark.parametrize(
    ("limit", "moved"), [(1_000, False), (40_000, True)], ids=["objects", "work-tree"]
)
def test_a_full_disk_leaves_the_old_commit_or_the_whole_new_one(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path, limit: int, moved: bool
) -> None:
    """1 kB: the first object cannot be written. 40 kB: the branch moves, big files fail
    (five telemetry files of the cut capture are 40 to 72 kB; their objects are smaller)."""
    reference = copy_archive(small_archive, tmp_path / "reference")
    sync_small(reference, small_captures[1])
    old = head(small_archive)
    with ReplayServer(small_captures[1]) as server:
        result = run_child(sync_args(small_archive, server, small_captures[1]), fsize=limit)
    assert "could not read or write the archive" in refused(result)
    # HEAD is the old commit or the complete new one on top of it, never between.
    assert (head(small_archive) != old) == moved
    if moved:
        assert git(small_archive, "rev-parse", "HEAD^").strip() == old
        assert tree(small_archive) == tree(reference)
    assert_fsck_clean(small_archive)
    # The next sync, with room again, finishes (or redoes) it: same tree as the reference.
    again = sync_small_cli(small_archive, small_captures[1])
    assert again.exit_code == 0, again.output
    assert tree(small_archive) == tree(reference)
    assert commit_count(small_archive) == 2
    assert status_clean(small_archive)
    assert_fsck_clean(small_archive)


# Publishing -----------------------------------------------------------------------------


def with_remote(repo: Path, tmp_path: Path) -> Path:
    """Give the archive a bare remote holding its history; return the remote."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(remote)], check=True)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "fetch", "-q", "origin")
    return remote


def test_a_sync_killed_after_its_commit_is_pushed_by_the_next_push(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    remote = with_remote(small_archive, tmp_path)
    published = head(small_archive)
    # Exactly what a kill between the commit and the push leaves: the archiver's own sync
    # commit (Sync-Epoch trailer, data/ only) on top of the remote head, never pushed.
    assert sync_small_cli(small_archive, small_captures[1]).exit_code == 0
    stranded = head(small_archive)
    assert stranded != published and git(remote, "rev-parse", "main").strip() == published

    # The same hour again: nothing new to commit, so what is pushed is the stranded commit.
    result = sync_small_cli(small_archive, small_captures[1], "--push")

    assert result.exit_code == 0, result.output
    assert "pushing 1 earlier sync commit(s)" in result.output
    assert f"pushed {stranded[:12]}" in result.output
    assert git(remote, "rev-parse", "main").strip() == head(small_archive) == stranded
    # Linear, nothing lost: published <- stranded.
    assert git(remote, "rev-list", "main").split()[:2] == [stranded, published]
    assert git(remote, "rev-list", "--merges", "main") == ""
    assert status_clean(small_archive)
    assert_fsck_clean(remote)


def test_a_local_commit_that_is_not_a_sync_is_still_refused(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    remote = with_remote(small_archive, tmp_path)
    (small_archive / "README.md").write_text("mine\n")
    git(small_archive, "add", "README.md")
    # A trailer alone does not make a commit the archiver's: it touches more than data/.
    message = "Notes\n\nSync-Epoch: 2026-07-18T15:00:00Z"
    git(small_archive, "-c", "user.name=A", "-c", "user.email=a@b", "commit", "-q", "-m", message)
    mine = head(small_archive)
    result = sync_small_cli(small_archive, small_captures[1], "--push")
    assert "1 commit(s) origin/main lacks" in refused(result)
    assert head(small_archive) == mine
    assert git(remote, "rev-parse", "main").strip() != mine


def test_a_push_with_staged_changes_is_refused_before_fetching(
    small_archive: Path, small_captures: list[Capture], tmp_path: Path
) -> None:
    with_remote(small_archive, tmp_path)
    add_untracked(small_archive)
    git(small_archive, "add", "data/model/mine.json")
    with ReplayServer(small_captures[1]) as server:
        result = run(*sync_args(small_archive, server, small_captures[1], "--push"))
        asked = list(server.requests)
    assert "staged changes" in refused(result)
    assert asked == []


# Import bounded by now ------------------------------------------------------------------


def test_a_capture_dated_in_the_future_is_refused(small_archive: Path, tmp_path: Path) -> None:
    real = read_capture(SMALL_V1_MODELS[-1])
    future = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    path = tmp_path / "from-the-future.jsonl.gz"
    write_capture(path, future, "test", "dated ahead", real.responses)
    before = (head(small_archive), work_tree(small_archive))
    line = refused(run("import", "--repo", str(small_archive), str(path)))
    assert "from-the-future.jsonl.gz" in line and format_epoch(future) in line
    assert_intact(small_archive, *before)


# Say what happened ----------------------------------------------------------------------


def test_a_sync_that_reaches_nothing_says_so(tmp_path: Path) -> None:
    with ReplayServer(SMALL_V1_MODELS[0]) as server:
        base_url = server.base_url
    # The server is gone: every request fails to connect.
    result = run("sync", "--repo", str(tmp_path / "new"), "--base-url", base_url, "--retries", "0")
    assert result.exit_code == 1, result.output
    assert f"could not reach {base_url}: fetched nothing; nothing changed in the archive" in (
        result.stdout
    )
    assert "no change since the last sync" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["sync", "--base-url", "http://127.0.0.1:9", "--retries", "0"],
        ["import", str(SMALL_V1_MODELS[0])],
        ["site", "--out", "SITE"],
        ["log", "model", "openai/gpt-4.1"],
        ["show", "model", "openai/gpt-4.1"],
        ["changes", "--since", "2026-07-01T00:00:00Z"],
    ],
    ids=lambda command: command[0],
)
@pytest.mark.parametrize("where", ["under-a-file", "a-file", "proc"])
def test_a_repo_path_that_cannot_be_a_folder_gives_one_line(
    tmp_path: Path, command: list[str], where: str
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("not a folder\n")
    repo = {"under-a-file": afile / "archive", "a-file": afile, "proc": Path("/proc/nope/a")}
    args = [arg.replace("SITE", str(tmp_path / "site")) for arg in command]
    refused(run(args[0], "--repo", str(repo[where]), *args[1:]))
    assert afile.read_text() == "not a folder\n"


def test_replay_stops_on_the_first_ctrl_c() -> None:
    command = [sys.executable, "-m", "archiver", "replay", str(SMALL_V1_MODELS[0])]
    # Started as from a terminal, Ctrl-C at its default: a child inherits an ignored SIGINT,
    # and while another thread of this test process runs system() (which ignores SIGINT and
    # SIGQUIT meanwhile), the child would start ignoring it and Python would never raise
    # KeyboardInterrupt (seen in /proc/<pid>/status under the full suite).
    server = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert server.stdout is not None
    assert server.stdout.readline().startswith("http://127.0.0.1:")
    server.send_signal(signal.SIGINT)
    try:
        # A hang guard only: it stops at once, or never.
        _, stderr = server.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.communicate()
        pytest.fail("archiver replay kept running after one Ctrl-C")
    assert server.returncode == 0
    assert "Traceback" not in stderr
