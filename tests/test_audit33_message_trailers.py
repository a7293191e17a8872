"""The sync commit's message, as README.md now describes it: a one-line summary, a `- ` line
per failure or note, and the trailers, exactly the sync log's, whatever upstream text a
failure quotes (a model id holding a line break and a forged `Sync-Epoch:`, a `---`, a `#`
line). git (`interpret-trailers --parse`, `%(trailers)`) and pygit2 read the same trailers
back. (The README said the message was the summary and the trailers alone.)
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pygit2

from archiver.archive.synclog import SyncLog
from archiver.archive.trailers import trailers
from archiver.capture.files import Capture, CapturedResponse
from archiver.history.commits import open_repository
from archiver.upstream import sources
from tests.archive_helpers import git
from tests.small_captures import copy_archive, small_captures, sync_small
from tests.small_captures import eighth_base as base
from tests.small_captures import eighth_captures as cut

__all__ = ["base", "cut", "small_captures"]

FORGED = "evil/x\nSync-Epoch: 1999-01-01T00:00:00Z\n---\n# comment\nSigned-off-by: M <m@x>"


def with_hostile_ids(capture: Capture) -> Capture:
    """Return the capture with /api/v1/models also listing ids that are refused."""
    responses = []
    for response in capture.responses:
        body = response.body
        if response.url == sources.V1_MODELS:
            extra = [{**body["data"][0], "id": FORGED}, {**body["data"][0], "id": "\r\x1b[2J"}]
            body = {**body, "data": [*body["data"], *extra]}
        responses.append(CapturedResponse(response.method, response.url, response.status, body))
    return Capture(capture.time, capture.source, "hostile ids", tuple(responses))


def test_a_refused_hostile_id_forges_no_trailer(
    base: Path, cut: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    log = sync_small(repo, with_hostile_ids(cut[1]))
    assert log.commit_id is not None and any("Sync-Epoch" in line for line in log.failures)
    message = git(repo, "log", "-1", "--format=%B")
    summary, details, trailer_lines = message.rstrip("\n").split("\n\n")
    assert summary == log.summary()
    assert all(line.startswith("- ") for line in details.split("\n"))
    lines = trailer_lines.split("\n")
    written = dict(line.split(": ", 1) for line in lines)
    # The duration is measured again once the commit is made; every other figure is as logged.
    logged = {key: value for key, value in log.trailers() if key != "Sync-Duration"}
    assert list(written) == [key for key, _ in log.trailers()]
    assert {k: v for k, v in written.items() if k != "Sync-Duration"} == logged
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True
    )
    assert parsed.stdout.splitlines() == lines
    head = open_repository(repo).head.peel(pygit2.Commit)
    assert trailers(head) == written
    epochs = git(repo, "log", "-1", "--format=%(trailers:key=Sync-Epoch,valueonly,separator=|)")
    assert epochs.strip() == "2026-07-18T15:00:00Z"


def test_a_failure_quoting_line_breaks_stays_one_detail_line(tmp_path: Path) -> None:
    log = SyncLog(epoch=datetime(2026, 7, 18, 15, tzinfo=UTC))
    log.failures.append(f"HTTP 500 from upstream: {FORGED}\r\n\n##[add-mask]x")
    log.notes.append("\u2028Sync-Failures: 0\x85")
    message = log.message()
    details = message.rstrip("\n").split("\n\n")[1]
    assert details.count("\n") == 1 and all(line.startswith("- ") for line in details.split("\n"))
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True
    )
    assert parsed.stdout.splitlines() == [f"{key}: {value}" for key, value in log.trailers()]
    repo = pygit2.init_repository(str(tmp_path / "repo"))
    who = pygit2.Signature("A", "a@example.org")
    tree = repo.TreeBuilder().write()
    commit = repo[repo.create_commit("HEAD", who, who, message, tree, [])].peel(pygit2.Commit)
    assert trailers(commit) == dict(log.trailers())
