"""Publishing syncs to a remote: races, human commits, refusals, no force, linear history.

Real things throughout: a bare repository on disk as the remote, clones with work trees,
the git CLI, and the real daily captures fetched over HTTP from the replay server.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archiver.archive.plan import make_plan
from archiver.archive.synclog import SyncLog
from archiver.canonical import blob_id
from archiver.capture.files import canonical_url, read_capture
from archiver.capture.replay import ReplayServer
from archiver.capture.transport import ReplayTransport
from archiver.publish import (
    PublishError,
    PublishResult,
    append_summary,
    error_annotation,
    publish,
    summary_markdown,
    sync_and_push,
)
from archiver.sync import SyncOptions, Upstream, fetch_upstream, sync
from archiver.times import format_epoch, hour_epoch, parse_time

CAPTURES = Path(__file__).resolve().parent / "captures"
DAILY = sorted((CAPTURES / "daily").glob("*.jsonl.gz"))
ENTITY_FOLDERS = ("data/model", "data/endpoint", "data/provider")
HUMAN = ("-c", "user.name=A Human", "-c", "user.email=human@example.com")
FAST = 0.02  # Backoff in tests: the races are real, the waiting need not be long.

pytestmark = pytest.mark.skipif(len(DAILY) < 3, reason=f"needs 3 daily captures in {CAPTURES}")


def at_hour(upstream: Upstream, epoch: datetime) -> Upstream:
    """Return the same fetched data filed under another hour."""
    return dataclasses.replace(upstream, options=dataclasses.replace(upstream.options, epoch=epoch))


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in repo and return its stdout (raise on failure)."""
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    )
    return result.stdout.strip()


def fetch(capture: Path) -> Upstream:
    """Fetch the entity sources from a replay of one capture, as a sync does.

    Without per-variant telemetry (4x the requests): publishing does not depend on what the
    sync holds; test_sync_and_push_fetches_upstream_once runs a full sync.
    """
    # At the capture's own time, as an hourly sync would have run then (the schedule of
    # daily-bucket telemetry reads the hours between syncs).
    epoch = read_capture(capture).time
    with ReplayServer(capture) as server:
        return fetch_upstream(SyncOptions(base_url=server.base_url, epoch=epoch, telemetry=False))


def expected_files(upstream: Upstream) -> dict[str, str]:
    """Return {path: blob id} of every entity file a sync of this data writes into nothing."""
    plan = make_plan(upstream.observed, {}, lambda blob: b"")
    return {
        path: blob_id(data)
        for path, data in plan.writes.items()
        if path.startswith(tuple(f"{folder}/" for folder in ENTITY_FOLDERS))
    }


def entity_files(repo: Path, rev: str) -> dict[str, str]:
    """Return {path: blob id} of every entity file at a revision."""
    listing = git(repo, "ls-tree", "-r", "-z", rev, "--", *ENTITY_FOLDERS)
    files = {}
    for record in filter(None, listing.split("\0")):
        meta, path = record.split("\t", 1)
        files[path] = meta.split()[2]
    return files


@pytest.fixture(scope="module")
def fetched() -> list[Upstream]:
    """Return the three daily captures, each fetched once through the replay server."""
    return [fetch(capture) for capture in DAILY[:3]]


@pytest.fixture(scope="module")
def expected(fetched: list[Upstream]) -> list[dict[str, str]]:
    """Return the entity files each capture must leave, whatever was archived before."""
    return [expected_files(f) for f in fetched]


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, fetched: list[Upstream]) -> Path:
    """Return a bare remote holding a README commit and one sync of the first capture."""
    root = tmp_path_factory.mktemp("seed")
    remote = bare_remote(root / "remote.git")
    seeder = clone(remote, root / "seeder")
    (seeder / "README.md").write_text("# My archive\n")
    git(seeder, "add", "README.md")
    git(seeder, *HUMAN, "commit", "-q", "-m", "Start the archive")
    git(seeder, "push", "-q", "origin", "main")
    publish(seeder, fetched[0], backoff=FAST)
    return remote


@pytest.fixture
def remote(tmp_path: Path, seeded_template: Path) -> Path:
    """Return a fresh copy of the seeded remote for one test."""
    return Path(shutil.copytree(seeded_template, tmp_path / "remote.git"))


def bare_remote(path: Path) -> Path:
    """Create a bare repository that logs every update of its branches (to spot force pushes)."""
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    git(path, "config", "core.logAllRefUpdates", "always")
    return path


def clone(remote: Path, path: Path) -> Path:
    """Clone the remote into path (an empty remote gives an unborn main)."""
    subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True, capture_output=True)
    return path


def human_edit(remote: Path, path: Path, text: str) -> str:
    """Clone, append a line to README.md, commit and push as a person would; return the commit."""
    person = clone(remote, path)
    readme = person / "README.md"
    readme.write_text((readme.read_text() if readme.exists() else "") + text + "\n")
    git(person, "add", "README.md")
    git(person, *HUMAN, "commit", "-q", "-m", f"README: {text}")
    for _ in range(20):
        try:
            git(person, "push", "-q", "origin", "main")
            break
        except subprocess.CalledProcessError:
            git(person, *HUMAN, "pull", "-q", "--rebase", "origin", "main")
    return git(person, "rev-parse", "HEAD")


def edit_midway(midway: threading.Event, remote: Path, path: Path) -> str:
    """Wait for the signal, then edit README.md on the remote; return the commit."""
    assert midway.wait(timeout=120)
    return human_edit(remote, path, "Maintained by a human.")


def assert_history_safe(remote: Path, landed: list[str]) -> None:
    """Linear history, every branch update a fast-forward, every landed commit still there."""
    assert git(remote, "rev-list", "--merges", "main") == ""
    updates = git(remote, "reflog", "show", "--format=%H", "refs/heads/main").split()
    assert len(updates) >= 2
    for newer, older in itertools.pairwise(updates):
        ancestry = subprocess.run(
            ["git", "-C", str(remote), "merge-base", "--is-ancestor", older, newer]
        )
        assert ancestry.returncode == 0, f"{newer} replaced {older}: a force push"
    for commit in landed:
        ancestry = subprocess.run(
            ["git", "-C", str(remote), "merge-base", "--is-ancestor", commit, "main"]
        )
        assert ancestry.returncode == 0, f"landed commit {commit} was lost"


def assert_clean(repo: Path) -> None:
    """The work tree matches HEAD."""
    assert git(repo, "status", "--porcelain", "--untracked-files=no") == ""


def test_two_clones_racing_both_land_every_round(
    tmp_path: Path, fetched: list[Upstream], expected: list[dict[str, str]]
) -> None:
    remote = bare_remote(tmp_path / "remote.git")
    clones = [clone(remote, tmp_path / name) for name in ("alice", "bob")]
    rounds = 8
    # Each round an hour later than the last (both racers in the same hour, a rerun): a
    # sync older than the remote's newest is not applied (see the test after this one).
    first_hour = max(f.options.epoch for f in fetched if f.options.epoch) + timedelta(hours=1)
    start = threading.Barrier(2, timeout=120)
    midway = threading.Event()
    landed: dict[str, int] = {}  # pushed commit -> capture index
    lock = threading.Lock()

    def run(who: int) -> list[PublishResult]:
        results = []
        try:
            for number in range(rounds):
                capture = (number + who) % 3  # Each round the two clones sync different captures.
                start.wait()
                if number == rounds // 2:
                    midway.set()
                hour = first_hour + timedelta(hours=number)
                result = publish(clones[who], at_hour(fetched[capture], hour), backoff=FAST)
                # Landed: what this clone now holds is on the remote and is exactly its capture.
                assert entity_files(clones[who], "HEAD") == expected[capture]
                assert_clean(clones[who])
                with lock:
                    if result.commit_id:
                        landed[result.commit_id] = capture
                results.append(result)
        except BaseException:
            start.abort()  # Do not leave the other clone waiting for a round that never comes.
            midway.set()
            raise
        return results

    with ThreadPoolExecutor(3) as pool:
        racers = [pool.submit(run, who) for who in (0, 1)]
        # Halfway through, a person edits README.md on the remote while the syncs race.
        human = pool.submit(edit_midway, midway, remote, tmp_path / "human")
        results = [r for racer in racers for r in racer.result()]
        human_commit = human.result()

    final = git(remote, "rev-parse", "main")
    assert len(results) == 2 * rounds
    assert any(r.rounds > 1 for r in results), "the clones never raced"
    assert_history_safe(remote, [*landed, human_commit])
    # Every round changes something (the captures rotate), so the head is a sync commit.
    assert entity_files(remote, final) == expected[landed[final]]
    assert "Maintained by a human." in git(remote, "show", "main:README.md")


def test_a_fetch_fixes_its_hour_for_every_push_round() -> None:
    # Without --epoch each round's log read the clock again: a push retried past the hour
    # filed data fetched at :59 under the next hour.
    with ReplayServer(DAILY[0]) as server:
        before = datetime.now(UTC)
        upstream = fetch_upstream(SyncOptions(base_url=server.base_url, telemetry=False))
        after = datetime.now(UTC)
    assert upstream.options.epoch in {hour_epoch(before), hour_epoch(after)}
    assert upstream.new_log().epoch == upstream.options.epoch


def test_a_sync_older_than_the_remotes_newest_is_not_applied(
    tmp_path: Path, fetched: list[Upstream], expected: list[dict[str, str]]
) -> None:
    remote = bare_remote(tmp_path / "remote.git")
    late, prompt = (clone(remote, tmp_path / name) for name in ("late", "prompt"))
    hour = max(f.options.epoch for f in fetched if f.options.epoch) + timedelta(hours=1)
    newer = publish(prompt, at_hour(fetched[2], hour + timedelta(hours=1)))
    assert newer.commit_id
    # A run held back an hour (fetched at `hour`) pushes after the newer sync landed.
    held = publish(late, at_hour(fetched[1], hour))
    assert held.commit_id is None
    assert held.log.notes[-1] == (
        f"origin/main already holds the sync of {format_epoch(hour + timedelta(hours=1))}, "
        f"newer than this one's {format_epoch(hour)}: its older data was not applied"
    )
    assert git(remote, "rev-parse", "main") == newer.commit_id
    assert entity_files(late, "HEAD") == expected[2]
    assert_clean(late)
    # The same hour again (a rerun) is applied: it is not older.
    rerun = publish(late, at_hour(fetched[1], hour + timedelta(hours=1)))
    assert rerun.commit_id and git(remote, "rev-parse", "main") == rerun.commit_id
    assert entity_files(remote, rerun.commit_id) == expected[1]


def test_sync_reapplied_on_top_of_a_human_commit(
    remote: Path, tmp_path: Path, fetched: list[Upstream], expected: list[dict[str, str]]
) -> None:
    archive = clone(remote, tmp_path / "archive")
    before = git(remote, "rev-parse", "main")
    humans: list[str] = []

    def person_pushes(round_number: int) -> None:
        if round_number == 1:
            humans.append(human_edit(remote, tmp_path / "human", "Edited while a sync ran."))

    result = publish(archive, fetched[1], backoff=FAST, before_push=person_pushes)

    assert result.rounds == 2
    assert result.commit_id == git(remote, "rev-parse", "main")
    assert git(remote, "rev-parse", "main^") == humans[0]
    assert "Edited while a sync ran." in git(remote, "show", "main:README.md")
    assert entity_files(remote, "main") == expected[1]
    assert_history_safe(remote, [before, result.commit_id])
    assert git(archive, "rev-parse", "HEAD") == result.commit_id
    assert_clean(archive)


def test_no_change_pushes_nothing(remote: Path, tmp_path: Path, fetched: list[Upstream]) -> None:
    archive = clone(remote, tmp_path / "archive")
    before = git(remote, "rev-parse", "main")

    result = publish(archive, fetched[0])

    assert (result.commit_id, result.log.commit_id, result.rounds) == (None, None, 1)
    assert git(remote, "rev-parse", "main") == before
    assert "nothing to commit or push" in summary_markdown(result.log, result=result)


def test_a_stale_clone_fast_forwards_before_syncing(
    remote: Path, tmp_path: Path, fetched: list[Upstream], expected: list[dict[str, str]]
) -> None:
    stale = clone(remote, tmp_path / "stale")
    publish(clone(remote, tmp_path / "other"), fetched[1], backoff=FAST)

    result = publish(stale, fetched[2], backoff=FAST)

    assert result.rounds == 1
    assert git(remote, "rev-list", "--count", "main") == "4"
    assert entity_files(remote, "main") == expected[2]


def test_refuses_local_commits_the_remote_lacks(
    remote: Path, tmp_path: Path, fetched: list[Upstream]
) -> None:
    archive = clone(remote, tmp_path / "archive")
    (archive / "NOTES.md").write_text("mine\n")
    git(archive, "add", "NOTES.md")
    git(archive, *HUMAN, "commit", "-q", "-m", "Local work")
    mine = git(archive, "rev-parse", "HEAD")
    before = git(remote, "rev-parse", "main")

    with pytest.raises(PublishError, match=r"1 commit\(s\) origin/main lacks"):
        publish(archive, fetched[1])

    assert git(archive, "rev-parse", "HEAD") == mine
    assert git(remote, "rev-parse", "main") == before


def test_refuses_uncommitted_changes(remote: Path, tmp_path: Path, fetched: list[Upstream]) -> None:
    archive = clone(remote, tmp_path / "archive")
    (archive / "README.md").write_text("half-written\n")

    with pytest.raises(PublishError, match="uncommitted changes to tracked files"):
        publish(archive, fetched[1])

    assert (archive / "README.md").read_text() == "half-written\n"


def test_gives_up_after_the_attempts_and_keeps_the_commit_local(
    remote: Path, tmp_path: Path, fetched: list[Upstream]
) -> None:
    archive = clone(remote, tmp_path / "archive")
    counter = iter(range(100))

    def always_moves(round_number: int) -> None:
        human_edit(remote, tmp_path / f"human{next(counter)}", f"edit {round_number}")

    with pytest.raises(PublishError, match="moved during each of 3 attempts") as caught:
        publish(archive, fetched[1], attempts=3, backoff=FAST, before_push=always_moves)

    assert caught.value.log is not None and caught.value.log.commit_id
    assert git(remote, "log", "-1", "--format=%s", "main") == "README: edit 3"
    assert_history_safe(remote, [])


def test_a_push_the_remote_refuses_fails_with_its_reason(
    remote: Path, tmp_path: Path, fetched: list[Upstream]
) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    archive = clone(remote, tmp_path / "archive")

    with pytest.raises(
        PublishError, match=r"pre-receive hook declined.*main is protected"
    ) as caught:
        publish(archive, fetched[1], backoff=FAST)

    assert caught.value.log is not None
    assert git(archive, "rev-parse", "HEAD") == caught.value.log.commit_id


def test_keepalive_commit_only_after_a_quiet_spell(
    remote: Path, tmp_path: Path, fetched: list[Upstream]
) -> None:
    archive = clone(remote, tmp_path / "archive")
    old = {"GIT_COMMITTER_DATE": "2020-01-01T00:00:00Z", "PATH": os.environ["PATH"]}
    git(archive, *HUMAN, "commit", "-q", "--allow-empty", "-m", "Long ago", env=old)
    git(archive, "push", "-q", "origin", "main")

    quiet = publish(archive, fetched[0], keepalive_days=None)
    assert quiet.commit_id is None

    kept = publish(archive, fetched[0], keepalive_days=50)

    assert kept.commit_id == git(remote, "rev-parse", "main")
    assert git(remote, "diff", "--stat", "main^", "main") == ""
    message = git(remote, "log", "-1", "--format=%B", "main")
    assert "keeps running the hourly schedule" in message
    assert "Sync-Epoch:" in message
    assert publish(archive, fetched[0], keepalive_days=50).commit_id is None


def test_sync_and_push_fetches_upstream_once(
    remote: Path, tmp_path: Path, expected: list[dict[str, str]]
) -> None:
    archive = clone(remote, tmp_path / "archive")
    epoch = datetime(2026, 7, 18, 15, 0, tzinfo=UTC)
    with ReplayServer(DAILY[1]) as server:
        options = SyncOptions(base_url=server.base_url, epoch=epoch)
        result = sync_and_push(archive, options, backoff=FAST)
        requests = server.requests

    assert result.commit_id == git(remote, "rev-parse", "main")
    # Fetched once, although published after a fetch of the remote: no URL asked twice.
    # Every URL the capture recorded was asked for (and v1 providers, which it did not record).
    recorded = len(read_capture(DAILY[1]).responses)
    assert len(requests) == len(set(requests)) >= result.log.requests >= recorded
    trailer = git(remote, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)", "main")
    assert trailer == "2026-07-18T15:00:00Z"
    assert entity_files(remote, "main") == expected[1]
    assert_clean(archive)


def test_sync_and_push_checks_the_repository_before_fetching(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely"
    subprocess.run(["git", "init", "-q", "-b", "main", str(lonely)], check=True)
    unreachable = SyncOptions(base_url="http://127.0.0.1:9")

    with pytest.raises(PublishError, match="no git remote named 'origin'"):
        sync_and_push(lonely, unreachable)


def make_log(**changes: object) -> SyncLog:
    """Return a sync log with some figures, for the summary tests."""
    from archiver.archive.plan import CategoryCounts

    log = SyncLog(epoch=datetime(2026, 7, 18, 15, tzinfo=UTC), requests=812, requests_failed=1)
    log.counts = {"model": CategoryCounts(804, 2, 5, 1), "endpoint": CategoryCounts(1033, 0, 3, 0)}
    for name, value in changes.items():
        setattr(log, name, value)
    return log


def test_summary_lists_counts_and_outcome() -> None:
    log = make_log(commit_id="0123456789abcdef", files_written=8)
    result = PublishResult(log, "0123456789abcdef", 2, "origin", "main")

    text = summary_markdown(log, result=result)

    assert text.startswith("### Sync 2026-07-18T15:00:00Z\n")
    assert "| models | 804 | 2 | 5 | 1 |" in text
    assert "| endpoints | 1033 | 0 | 3 | 0 |" in text
    assert "`0123456789ab`, pushed to `origin/main` after 2 rounds." in text


def test_summary_keeps_upstream_text_inert() -> None:
    hostile = "endpoints of x: [click](https://evil.example) <script>alert(1)</script> ```"
    log = make_log(failures=[hostile, "second\nline"])

    text = summary_markdown(log, error="push refused")

    assert "**2 failure(s)**" in text
    assert "**Not published.**" in text
    fence_open = text.index("````text\n")
    fence_close = text.index("\n````\n", fence_open)
    assert fence_open < text.index("[click]") < fence_close
    assert fence_open < text.index("<script>") < fence_close


def test_append_summary_uses_github_step_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))

    assert append_summary("### Sync") == summary

    assert summary.read_text() == "earlier step\n### Sync\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert append_summary("### Sync") is None


def test_error_annotation_stays_one_line() -> None:
    line = error_annotation("sync incomplete: 50% failed\n::add-mask::x")

    assert line == "::error title=archiver sync::sync incomplete: 50%25 failed%0A::add-mask::x"


def test_sync_and_push_commits_what_sync_commits(remote: Path, tmp_path: Path) -> None:
    """The hourly job's path (`sync --push`) fetches and archives exactly as `sync` does:
    the same schedule of daily-bucket telemetry, the same listings for removal evidence."""
    seeded = git(remote, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly)", "main")
    # An hour after the seed: only the variants whose hour came are due (the schedule).
    epoch = parse_time(seeded.strip()) + timedelta(hours=1)
    capture = read_capture(DAILY[1])
    pushed, synced = clone(remote, tmp_path / "pushed"), clone(remote, tmp_path / "synced")
    replay = ReplayTransport(capture)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=epoch)
    result = sync_and_push(pushed, options, backoff=FAST)
    alone = ReplayTransport(capture)
    log = sync(synced, SyncOptions(base_url=alone.base_url, transport=alone, epoch=epoch))
    assert result.commit_id and log.commit_id
    assert git(pushed, "rev-parse", "HEAD^{tree}") == git(synced, "rev-parse", "HEAD^{tree}")
    assert result.log.requests_by_source == log.requests_by_source
    asked = [
        sorted(canonical_url(url, ignore=("_",)) for url in t.requests) for t in (replay, alone)
    ]
    assert asked[0] == asked[1]
    assert len(alone.requests) < len(capture.responses)  # The schedule left variants out.
