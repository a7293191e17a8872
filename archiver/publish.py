"""Publish a sync: commit it on top of the remote branch and push, safe under races.

Upstream is fetched once. Then each round: fetch the remote branch, bring the local branch
to its head (fast-forward only), re-apply the sync from the data already fetched (same
epoch), push with the git CLI. A push refused because the remote moved (another run, a
human commit) or lost its connection (GitHub's git service answering 502 a moment) drops our
own commit, which the next round derives again on top of the new head, after a jittered
backoff. Never a force push, never a merge commit: history stays
linear and nothing either side wrote is lost. Local commits the remote lacks are refused,
not rewritten, unless they are the archiver's own unpushed syncs (see archiver.archive.remote).
The whole run holds the repository's archiver lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pygit2

from archiver.archive.epoch_order import newer_sync, refuse_epoch_out_of_order
from archiver.archive.provider_records import provider_records
from archiver.archive.remote import (
    PublishError as PublishError,  # Re-exported: callers catch it here.
)
from archiver.archive.remote import (
    Target,
    align,
    fetch_branch,
    head_commit,
    open_repository,
    prepare,
    push,
    rev,
)
from archiver.archive.store import Store
from archiver.archive.synclog import CATEGORY_LABELS, SyncLog
from archiver.archive.unseen import unseen_endpoints
from archiver.backoff import backoff_delay
from archiver.sync import (
    SyncOptions,
    Upstream,
    archive,
    fetch_upstream,
    upstream_schedule,
)
from archiver.textsafe import markdown_text, one_line
from archiver.times import format_epoch
from archiver.upstream.fetch import Response

DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF = 1.0
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
DAY = 86400.0


@dataclass(frozen=True)
class PublishResult:
    """What a published sync did."""

    log: SyncLog
    commit_id: str | None
    rounds: int
    remote: str
    branch: str
    # The remote head the sync was applied on (None: the remote lacked the branch): the
    # syncs after it on the branch are this run's alone, whatever commit the run began at.
    base: str | None = None


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
    store = Store(repo_path, create=False)
    with store.lock("sync --push"):
        # Check the repository before the long fetch: a refusal should come first, and cheap.
        target, recovered = prepare(store, remote, branch)
        # Read what is due from the branch as the remote holds it: a run queued behind
        # another starts from the commit it was queued at, and read from there the schedule
        # fetched again all the run before had fetched (a burst of requests each such hour).
        # Unpushed syncs of an interrupted run stay; the first round reports and pushes them.
        align(target, fetch_branch(target), None)
        # As `sync` does: the archive says which listings removal needs and what is due.
        options = options or SyncOptions()
        refuse_epoch_out_of_order(store, options.epoch)
        unseen, schedule = unseen_endpoints(store), upstream_schedule(store, options)
        providers = provider_records(store)
        upstream = fetch_upstream(
            options, on_response, unseen=unseen, schedule=schedule, providers=providers
        )
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
    store = Store(repo_path, create=False)
    with store.lock("publish"):
        target, recovered = prepare(store, remote, branch)
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
        time.sleep(backoff_delay(round_number, self.backoff))


def _publish(
    target: Target, upstream: Upstream, rounds: _Rounds, recovered: str | None
) -> PublishResult:
    """Run the rounds: align with the remote, apply the sync, push; retry when it moved."""
    ours: str | None = None
    log = upstream.new_log()
    try:
        for number in range(1, rounds.attempts + 1):
            remote_head = fetch_branch(target)
            pending = align(target, remote_head, ours)
            if pending:
                recovered = "; ".join(filter(None, [recovered, pending]))
            where = (target.remote, target.branch)
            superseded = _superseded(target, upstream)
            if superseded:
                log = upstream.new_log()
                log.notes.append(superseded)
                return PublishResult(log, None, number, *where, remote_head)
            log = _apply(target, upstream, recovered, rounds.keepalive_days)
            ours = log.commit_id
            head = rev(target.repo, "HEAD")
            if head is None or head == remote_head:
                return PublishResult(log, None, number, *where, remote_head)
            if rounds.before_push is not None:
                rounds.before_push(number)
            if push(target, head, remote_head, last=number == rounds.attempts):
                return PublishResult(log, head, number, *where, remote_head)
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


def _superseded(target: Target, upstream: Upstream) -> str | None:
    """Return why this sync is not applied when the branch holds a newer one, else None.

    A run held back (a slow fetch, a delayed schedule, a second machine) may push after a
    newer sync landed: applied on top, its older data would undo the newer sync's changes
    until the next hour, two changes upstream never made.
    """
    epoch = upstream.new_log().epoch
    latest = newer_sync(Store(target.repo, create=False), epoch)
    if latest is None:
        return None
    return (
        f"{target.label} already holds the sync of {format_epoch(latest)}, newer than this "
        f"one's {format_epoch(epoch)}: its older data was not applied"
    )


def _apply(
    target: Target, upstream: Upstream, recovered: str | None, keepalive_days: float | None
) -> SyncLog:
    """Apply the sync on top of HEAD (one commit, or none); return its log."""
    log = upstream.new_log()
    if recovered:
        log.notes.append(recovered)
    share, writer = upstream.options.max_removal_share, upstream.options.telemetry_writer
    store = Store(target.repo, create=False)
    archive(store, upstream.observed, log, share, writer, upstream=upstream)
    if log.commit_id is None and keepalive_days is not None:
        log.commit_id = _keepalive(target, log, keepalive_days)
    log.seconds = time.monotonic() - log.started
    return log


def _keepalive(target: Target, log: SyncLog, days: float) -> str | None:
    """Commit an empty sync record when HEAD is older than `days`; return its id, or None."""
    head = head_commit(target.repo)
    if head is None or time.time() - head.commit_time < days * DAY:
        return None
    # GitHub disables a scheduled workflow after 60 days without repository activity.
    log.notes.append(
        f"no change for {days:g} days: an empty commit records this sync, so that "
        "GitHub keeps running the hourly schedule"
    )
    log.seconds = time.monotonic() - log.started
    author, committer = Store(target.repo, create=False).identities()
    repo = open_repository(target.repo)
    try:
        # HEAD's own tree: the work tree and index were checked clean, so nothing else moves.
        # Moving "HEAD" fails if the branch left head meanwhile (libgit2 checks the tip).
        commit_id = repo.create_commit(
            "HEAD", author, committer, log.message(), head.tree_id, [head.id]
        )
    except pygit2.GitError as error:
        raise PublishError(
            f"could not commit the keepalive record in {target.repo}: {error}; "
            "run `archiver sync --push` again"
        ) from error
    return str(commit_id)


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
        label = markdown_text(CATEGORY_LABELS.get(name, name))
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
    """Return lines as a fenced code block: upstream text there renders as text, never a link.

    Inside the fence Markdown and HTML are inert (``<script>`` shows as those characters);
    what could still break out is a line break (one_line escapes them) or a backtick run as
    long as the fence (the fence is made longer than any run inside).
    """
    lines = [one_line(item) for item in items]
    ticks = max((_longest_run(line, "`") for line in lines), default=0)
    fence = "`" * max(3, ticks + 1)
    return [f"{fence}text", *lines, fence, ""]


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
    # GitHub's escapes for the data part, then one_line for the breaks GitHub does not know.
    data = one_line(message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    return f"::error title=archiver sync::{data}"
