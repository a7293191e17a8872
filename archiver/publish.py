"""Publish a sync: commit it on top of the remote branch and push, safe under races.

Upstream is fetched once. Then each round: fetch the remote branch, bring the local branch
to its head (fast-forward only), re-apply the sync from the data already fetched (same
epoch), push with the git CLI. A push refused because the remote moved (another run, a
human commit) drops our own commit, which the next round derives again on top of the new
head, after a jittered backoff. Never a force push, never a merge commit: history stays
linear and nothing either side wrote is lost. Local commits the remote lacks that are not
this call's own are refused, not rewritten.

The git CLI does the fetch, reset and push because actions/checkout hands its token to git
through config that libgit2 does not read.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import StoreError
from archiver.fetch import Response
from archiver.store import Store
from archiver.sync import SyncOptions, Upstream, archive, fetch_upstream
from archiver.synclog import CATEGORY_LABELS, SyncLog, format_epoch

DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF = 1.0
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
# A refused push that names one of these lost a race for the ref lock: worth another round.
TRANSIENT_PUSH_ERRORS = ("cannot lock ref", "failed to update ref", "incorrect old value")
DAY = 86400.0


class PublishError(StoreError):
    """The sync could not be published; `log` is the sync as far as it got, if it ran."""

    def __init__(self, message: str, log: SyncLog | None = None) -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class PublishResult:
    """What a published sync did."""

    log: SyncLog
    commit_id: str | None
    rounds: int
    remote: str
    branch: str


@dataclass(frozen=True)
class _Target:
    """Where to publish: a repository, its remote and the branch on both sides."""

    repo: Path
    remote: str
    branch: str

    @property
    def label(self) -> str:
        """Return the remote branch as git names it: origin/main."""
        return f"{self.remote}/{self.branch}"


def sync_and_push(
    repo_path: str | Path,
    options: SyncOptions | None = None,
    *,
    remote: str = "origin",
    branch: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    on_response: Callable[[Response], None] | None = None,
    backoff: float = DEFAULT_BACKOFF,
    keepalive_days: float | None = None,
) -> PublishResult:
    """Fetch OpenRouter once, then commit the sync on top of remote/branch and push it."""
    # Check the repository before the long fetch: a refusal should come first, and cheap.
    target, recovered = _prepare(Path(repo_path), remote, branch)
    upstream = fetch_upstream(options or SyncOptions(), on_response)
    rounds = _Rounds(attempts, backoff, keepalive_days)
    return _publish(target, upstream, rounds, recovered)


def publish(
    repo_path: str | Path,
    upstream: Upstream,
    *,
    remote: str = "origin",
    branch: str | None = None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    keepalive_days: float | None = None,
    before_push: Callable[[int], None] | None = None,
) -> PublishResult:
    """Commit an already fetched sync on top of remote/branch and push it (see module doc).

    `before_push(round)` runs just before each push: a seam for tests to move the remote.
    """
    target, recovered = _prepare(Path(repo_path), remote, branch)
    rounds = _Rounds(attempts, backoff, keepalive_days, before_push)
    return _publish(target, upstream, rounds, recovered)


@dataclass(frozen=True)
class _Rounds:
    """How the push rounds run."""

    attempts: int
    backoff: float
    keepalive_days: float | None
    before_push: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {self.attempts}")

    def wait(self, round_number: int) -> None:
        """Sleep before the next round: exponential backoff, jittered so racers spread out."""
        time.sleep(self.backoff * 2 ** (round_number - 1) * random.uniform(0.5, 1.0))


def _publish(
    target: _Target, upstream: Upstream, rounds: _Rounds, recovered: str | None
) -> PublishResult:
    """Run the rounds: align with the remote, apply the sync, push; retry when it moved."""
    ours: str | None = None
    log = upstream.new_log()
    try:
        for number in range(1, rounds.attempts + 1):
            remote_head = _fetch(target)
            _align(target, remote_head, ours)
            log = _apply(target, upstream, recovered, rounds.keepalive_days)
            ours = log.commit_id
            head = _rev(target.repo, "HEAD")
            if head is None or head == remote_head:
                return PublishResult(log, None, number, target.remote, target.branch)
            if rounds.before_push is not None:
                rounds.before_push(number)
            if _push(target, head, remote_head):
                return PublishResult(log, head, number, target.remote, target.branch)
            if number < rounds.attempts:
                rounds.wait(number)
    except PublishError as error:
        # The summary still reports what the sync fetched and committed.
        error.log = error.log or log
        raise
    raise PublishError(
        f"{target.label} moved during each of {rounds.attempts} attempts to push; the sync "
        f"commit {(ours or '')[:12]} stays local only. Run `archiver sync --push` again, or "
        "drop it with `git reset --keep HEAD~1`",
        log,
    )


def _prepare(repo: Path, remote: str, branch: str | None) -> tuple[_Target, str | None]:
    """Finish an interrupted commit, check the repository can publish; return the target."""
    recovered = Store(repo, create=False).recover()
    current = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if current.returncode != 0:
        raise PublishError(f"HEAD of {repo} is detached; check out the branch to publish first")
    name = current.stdout.strip()
    if branch is not None and branch != name:
        raise PublishError(
            f"{repo} has branch {name} checked out, not {branch}; `git switch {branch}` first"
        )
    if _git(repo, "remote", "get-url", remote, check=False).returncode != 0:
        raise PublishError(f"{repo} has no git remote named {remote!r}; see `git remote -v`")
    dirty = _git(repo, "status", "--porcelain", "--untracked-files=no").stdout
    if dirty.strip():
        first = dirty.splitlines()[0][3:]
        raise PublishError(
            f"{repo} has uncommitted changes to tracked files ({first}, ...); "
            "commit or stash them before publishing a sync"
        )
    return _Target(repo, remote, name), recovered


def _apply(
    target: _Target, upstream: Upstream, recovered: str | None, keepalive_days: float | None
) -> SyncLog:
    """Apply the sync on top of HEAD (one commit, or none); return its log."""
    log = upstream.new_log()
    if recovered:
        log.notes.append(recovered)
    share = upstream.options.max_removal_share
    archive(Store(target.repo, create=False), upstream.observed, log, share)
    if log.commit_id is None and keepalive_days is not None:
        log.commit_id = _keepalive(target, log, keepalive_days)
    log.seconds = time.monotonic() - log.started
    return log


def _keepalive(target: _Target, log: SyncLog, days: float) -> str | None:
    """Commit an empty sync record when HEAD is older than `days`; return its id, or None."""
    if _rev(target.repo, "HEAD") is None:
        return None
    committed = float(_git(target.repo, "log", "-1", "--format=%ct", "HEAD").stdout)
    if time.time() - committed < days * DAY:
        return None
    # GitHub disables a scheduled workflow after 60 days without repository activity.
    log.notes.append(
        f"no change for {days:g} days: an empty commit records this sync, so that "
        "GitHub keeps running the hourly schedule"
    )
    log.seconds = time.monotonic() - log.started
    signature = Store(target.repo, create=False).signature()
    identity = ("-c", f"user.name={signature.name}", "-c", f"user.email={signature.email}")
    message = log.message()
    _git(
        target.repo,
        *identity,
        "commit",
        "--allow-empty",
        "--no-verify",
        "-q",
        "-F",
        "-",
        stdin=message,
    )
    return _rev(target.repo, "HEAD")


def _fetch(target: _Target) -> str | None:
    """Fetch the remote branch; return its head, or None when the remote lacks the branch."""
    refspec = f"+refs/heads/{target.branch}:refs/remotes/{target.label}"
    result = _git(target.repo, "fetch", "--quiet", "--no-tags", target.remote, refspec, check=False)
    if result.returncode != 0:
        if "couldn't find remote ref" in result.stderr:
            return None
        raise PublishError(f"git fetch {target.remote} failed: {_last_line(result)}")
    return _rev(target.repo, f"refs/remotes/{target.label}")


def _align(target: _Target, remote_head: str | None, ours: str | None) -> None:
    """Put the local branch at the remote head, dropping our own rejected commit, losing nothing."""
    head = _rev(target.repo, "HEAD")
    base = head
    if ours is not None:
        if head != ours:
            raise PublishError(
                f"the branch {target.branch} in {target.repo} moved while the sync was "
                "publishing; check `git log` and run `archiver sync --push` again"
            )
        # Our commit was refused: it is derived again on top of the new remote head.
        base = _rev(target.repo, f"{ours}^")
        if remote_head is None:
            return
    _refuse_unpushed(target, base, remote_head)
    if remote_head is None or head == remote_head:
        return
    if base != head:
        _git(target.repo, "reset", "--quiet", "--keep", remote_head)
    else:
        _git(target.repo, "merge", "--quiet", "--ff-only", remote_head)


def _refuse_unpushed(target: _Target, base: str | None, remote_head: str | None) -> None:
    """Raise if the local branch holds commits the remote lacks (they are not ours to move)."""
    if base is None:
        return
    exclude = ["--not", remote_head] if remote_head else []
    unpushed = _git(target.repo, "rev-list", base, *exclude).stdout.split()
    if unpushed:
        raise PublishError(
            f"the branch {target.branch} in {target.repo} has {len(unpushed)} commit(s) "
            f"{target.label} lacks (newest {unpushed[0][:12]}); push or drop them first "
            "(`git pull --rebase && git push`): a published sync only adds its own commit"
        )


def _push(target: _Target, head: str, remote_head: str | None) -> bool:
    """Push HEAD without force; return False when the remote moved meanwhile (retry)."""
    refspec = f"{head}:refs/heads/{target.branch}"
    result = _git(target.repo, "push", "--porcelain", target.remote, refspec, check=False)
    if result.returncode == 0:
        return True
    now = _fetch(target)
    if now == head:
        return True  # The push landed; only its report was lost.
    text = result.stdout + result.stderr
    if now != remote_head or any(marker in text for marker in TRANSIENT_PUSH_ERRORS):
        return False
    raise PublishError(
        f"git push to {target.label} failed: {_push_reason(result)}; the sync commit "
        f"{head[:12]} stays local only"
    )


def _push_reason(result: subprocess.CompletedProcess[str]) -> str:
    """Return why a push failed: the refused ref's status and what the remote said."""
    statuses = [line.split("\t")[-1] for line in result.stdout.splitlines() if line[:1] == "!"]
    remote_said = [line[7:].strip() for line in result.stderr.splitlines() if line[:7] == "remote:"]
    reasons = [*statuses, *(f"remote says {line!r}" for line in remote_said[:3] if line)]
    return "; ".join(reasons) or _last_line(result)


def _rev(repo: Path, name: str) -> str | None:
    """Return the commit id a name points at, or None (unborn branch, no parent)."""
    result = _git(repo, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", check=False)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _git(
    repo: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run git in repo; raise PublishError with git's own words when it fails and check is set."""
    # C locale: some answers are recognised by their text. No prompt: fail, never hang.
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        raise PublishError(f"git {args[0]} failed in {repo}: {_last_line(result)}")
    return result


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    """Return the most telling line git printed: its last error line."""
    lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit status {result.returncode}"


def summary_markdown(
    log: SyncLog, *, result: PublishResult | None = None, error: str | None = None
) -> str:
    """Return the job summary of a sync as Markdown: counts, outcome, failures; link-free."""
    lines = [f"### Sync {format_epoch(log.epoch)}", ""]
    lines += _counts_table(log)
    lines += ["", _outcome(log, result, error), ""]
    if log.failures:
        lines += [f"**{len(log.failures)} failure(s)**: this data was not archived this hour.", ""]
        lines += _code_block(log.failures)
    if log.notes:
        lines += ["Notes:", ""]
        lines += _code_block(log.notes)
    return "\n".join(lines).rstrip("\n") + "\n"


def _counts_table(log: SyncLog) -> list[str]:
    """Return the Markdown table of counts per category."""
    rows = ["| category | archived | added | changed | removed |", "|---|--:|--:|--:|--:|"]
    for name, c in log.counts.items():
        label = CATEGORY_LABELS.get(name, name)
        rows.append(f"| {label} | {c.entities} | {c.added} | {c.changed} | {c.removed} |")
    return rows


def _outcome(log: SyncLog, result: PublishResult | None, error: str | None) -> str:
    """Return one sentence: what was fetched, and what was committed and pushed."""
    fetched = (
        f"Requests: {log.requests_text()}, {log.bytes_fetched / 1e6:.1f} MB, {log.seconds:.1f} s."
    )
    if error is not None:
        return f"{fetched} **Not published.** See the log of this step for the reason."
    if log.commit_id is None:
        return f"{fetched} No change since the last sync: nothing to commit or push."
    written = f"Wrote {log.files_written} files ({log.bytes_written / 1e3:.0f} kB)"
    if result is None:
        return f"{fetched} {written} in commit `{log.commit_id[:12]}`."
    if result.commit_id is None:
        return f"{fetched} {written}; nothing needed pushing."
    tries = f"after {result.rounds} rounds" if result.rounds > 1 else "first time"
    return (
        f"{fetched} {written} in commit `{result.commit_id[:12]}`, pushed to "
        f"`{result.remote}/{result.branch}` {tries}."
    )


def _code_block(items: list[str]) -> list[str]:
    """Return lines as a fenced code block: upstream text there renders as text, never a link."""
    # A fence longer than any backtick run inside cannot be closed by the text.
    ticks = max((_longest_run(item, "`") for item in items), default=0)
    fence = "`" * max(3, ticks + 1)
    return [f"{fence}text", *(item.replace("\r", " ") for item in items), fence, ""]


def _longest_run(text: str, char: str) -> int:
    """Return the length of the longest run of char in text."""
    best = run = 0
    for c in text:
        run = run + 1 if c == char else 0
        best = max(best, run)
    return best


def append_summary(markdown: str, path: str | Path | None = None) -> Path | None:
    """Append Markdown to path, else to $GITHUB_STEP_SUMMARY when set; return the file, or None."""
    chosen = path or os.environ.get(SUMMARY_ENV)
    if not chosen:
        return None
    target = Path(chosen)
    with target.open("a", encoding="utf-8") as summary:
        summary.write(markdown if markdown.endswith("\n") else markdown + "\n")
    return target


def error_annotation(message: str) -> str:
    """Return a GitHub Actions `::error::` line for a message (escaped: one line, no commands)."""
    data = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title=archiver sync::{data}"
