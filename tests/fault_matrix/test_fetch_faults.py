"""Fault matrix, fetch bounds: redirects, gzip bombs, trickling bodies, the sync deadline,
and upstream text that tries to become a GitHub workflow command.

Each test syncs the second small daily capture into a copy of an archive holding the first,
with one fault, and compares the archive with a clean sync of the same capture: the faulty
listing's entities stay byte-identical, everything else is archived as usual, one commit.
The trickling body, which the test must wait out, is served in a sync of three models only.
Here `small_captures` and `small_archive` are the small captures cut to a quarter of the
catalog (`quarter_captures` in tests/small_captures.py: every kind of listing and entity is
still there) and an archive of the first of them: a sync of the cut capture over HTTP
makes about a hundred requests, not four hundred.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from archiver.archive.plan import CategoryCounts
from archiver.archive.synclog import SyncLog
from archiver.capture.files import Capture, CapturedResponse, write_capture
from archiver.capture.replay import Fault, ReplayServer
from archiver.cli import main
from archiver.publish import error_annotation, summary_markdown
from archiver.textsafe import one_line
from archiver.times import format_epoch
from archiver.upstream.entities import catalog_key, catalog_variants
from archiver.upstream.fetch import Response
from tests.archive_helpers import RUN_WITH_PEAK_RSS, commit_count, git, load, status_clean
from tests.small_captures import copy_archive, sync_small, with_models_only

# The small captures cut to a quarter of the catalog, and archives of them (fixtures).
from tests.small_captures import quarter_archive as small_archive
from tests.small_captures import quarter_base as small_base
from tests.small_captures import quarter_captures as small_captures
from tests.test_sync import files_at

__all__ = ["small_archive", "small_base", "small_captures"]

STATS = "/api/frontend/v1/stats/endpoint"
V1 = "/api/v1/models"
CATALOG = "/api/frontend/v1/catalog/models"
# Generous: a small sync peaks near 100 MB, the bomb inflates to 2 GiB.
PEAK_RSS_BOUND_MB = 400
# Not a speed bound: only stops a sync that hangs (the failure these tests guard against).
HANG_GUARD_S = 300
HOSTILE = ("\n::add-mask::x", "\r::error::y", "\u2028::warning::z", "##[set-output name=a]b")


@pytest.fixture(scope="module")
def clean(
    tmp_path_factory: pytest.TempPathFactory, small_base: Path, small_captures: list[Capture]
) -> dict[str, bytes]:
    """Return the archive's files after a fault-free sync of the second capture."""
    repo = copy_archive(small_base, tmp_path_factory.mktemp("clean") / "archive")
    log = sync_small(repo, small_captures[1])
    assert log.commit_id and not log.failures, log.failures
    return files_at(repo, "HEAD")


@pytest.fixture(scope="module")
def victim(
    small_base: Path, small_captures: list[Capture], clean: dict[str, bytes]
) -> tuple[str, set[str]]:
    """Return the endpoint listing URL of a model whose endpoint files the clean sync changed
    (and added none to), and the paths of those files: a failed listing must keep them as
    they were."""
    before = files_at(small_base, "HEAD")

    def endpoint_paths(files: dict[str, bytes], model: str) -> set[str]:
        return {
            path
            for path, data in files.items()
            if path.startswith("data/endpoint/") and load(data)["model"] == model
        }

    for response in small_captures[1].responses:
        if not response.url.startswith(STATS + "?") or not response.body["data"]:
            continue
        model = response.body["data"][0]["model_variant_slug"]
        paths = endpoint_paths(before, model)
        changed = any(clean.get(path) != before[path] for path in paths)
        if paths and changed and endpoint_paths(clean, model) <= paths:
            return response.url, paths
    raise AssertionError("no model's endpoints changed between the first two small captures")


def run_sync(repo: Path, server: ReplayServer, capture: Capture, *args: str) -> Result:
    """Run `archiver sync` in process against a replay server, at the capture's epoch."""
    command = ["sync", "--repo", str(repo), "--base-url", server.base_url, "--retries", "1"]
    command += ["--epoch", format_epoch(capture.time), *args]
    return CliRunner().invoke(main, command)


def run_sync_process(
    repo: Path,
    server: ReplayServer,
    capture: Capture,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `archiver sync` in a subprocess; its stderr ends with a peak-rss-kb line."""
    command = [sys.executable, "-c", RUN_WITH_PEAK_RSS, "sync", "--repo", str(repo)]
    command += ["--base-url", server.base_url, "--epoch", format_epoch(capture.time), *args]
    environment = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=HANG_GUARD_S
    )


def failed_lines(stderr: str) -> list[str]:
    """Return the FAILED lines of a sync's stderr."""
    return [line.strip() for line in stderr.splitlines() if line.strip().startswith("FAILED:")]


def assert_archived_all_but(
    repo: Path, before: dict[str, bytes], clean: dict[str, bytes], kept: set[str]
) -> None:
    """The kept files are byte-identical to before; every other entity file is as after a
    clean sync; one new commit; the repository is sound."""
    after = files_at(repo, "HEAD")
    assert {path: after.get(path) for path in kept} == {path: before[path] for path in kept}
    entities = ("data/model/", "data/endpoint/")
    others = {p for p in clean.keys() | after.keys() if p.startswith(entities) and p not in kept}
    assert {p: after.get(p) for p in others} == {p: clean.get(p) for p in others}
    assert status_clean(repo)
    git(repo, "fsck", "--strict", "--no-progress")


def requests_for(server: ReplayServer, url: str) -> int:
    """Return how many requests the server got for a URL (any cache-busting parameter)."""
    return sum(1 for sent in server.requests if re.sub(r"[?&]_=\d+$", "", sent) == url)


def test_a_redirect_to_another_host_is_not_followed(
    small_archive: Path,
    small_captures: list[Capture],
    clean: dict[str, bytes],
    victim: tuple[str, set[str]],
) -> None:
    url, paths = victim
    before, commits = files_at(small_archive, "HEAD"), commit_count(small_archive)
    # The other host serves the same capture: a followed redirect would archive it all.
    with ReplayServer(small_captures[1]) as elsewhere:
        target = f"http://localhost:{elsewhere.base_url.rsplit(':', 1)[1]}{url}"
        with ReplayServer(small_captures[1], faults=[Fault(url, location=target)]) as server:
            result = run_sync(small_archive, server, small_captures[1])
            asked = requests_for(server, url)
        assert elsewhere.requests == []
    assert result.exit_code == 1, result.output
    assert asked == 1  # A redirect is not retried.
    assert failed_lines(result.stderr) == [
        f"FAILED: endpoints of {load(before[min(paths)])['model']}: HTTP 302 from "
        f"{server.base_url}{url} redirected to {target}; not followed "
        "(if OpenRouter moved, point --base-url at the new address)"
    ]
    assert commit_count(small_archive) == commits + 1
    assert_archived_all_but(small_archive, before, clean, paths)


def test_a_gzip_bomb_is_dropped_within_bounded_memory(
    small_archive: Path,
    small_captures: list[Capture],
    clean: dict[str, bytes],
    victim: tuple[str, set[str]],
) -> None:
    url, paths = victim
    before, commits = files_at(small_archive, "HEAD"), commit_count(small_archive)
    with ReplayServer(small_captures[1], faults=[Fault(url, body="gzip-bomb")]) as server:
        done = run_sync_process(small_archive, server, small_captures[1])
        asked = requests_for(server, url)
    assert done.returncode == 1, done.stderr
    assert asked == 1, (done.stderr, server.requests)  # The same bytes would come again.
    failures = failed_lines(done.stderr)
    assert len(failures) == 1
    assert failures[0].endswith(
        f"response from {server.base_url}{url} exceeds 64 MB decompressed; not archived "
        "(raise --max-response-mb if OpenRouter's data really grew this big)"
    )
    peak_mb = int(done.stderr.rsplit("peak-rss-kb ", 1)[1]) / 1024
    assert peak_mb < PEAK_RSS_BOUND_MB
    assert commit_count(small_archive) == commits + 1
    assert_archived_all_but(small_archive, before, clean, paths)


def test_the_size_limit_is_an_option(small_archive: Path, small_captures: list[Capture]) -> None:
    catalog = CATALOG
    before, commits = files_at(small_archive, "HEAD"), commit_count(small_archive)
    # The cut catalog listing is 208 kB, every other response under 125 kB.
    with ReplayServer(small_captures[1]) as server:
        result = run_sync(small_archive, server, small_captures[1], "--max-response-mb", "0.15")
    assert result.exit_code == 1
    assert failed_lines(result.stderr) == [
        f"FAILED: catalog models: response from {server.base_url}{catalog} exceeds 0.15 MB "
        "decompressed; not archived (raise --max-response-mb if OpenRouter's data really grew "
        "this big)"
    ]
    # Without the catalog no endpoint listing is known: every endpoint stays as it was.
    after = files_at(small_archive, "HEAD")
    endpoints = {p for p in before.keys() | after.keys() if p.startswith("data/endpoint/")}
    assert {p: after.get(p) for p in endpoints} == {p: before[p] for p in endpoints}
    assert commit_count(small_archive) == commits + 1  # The v1 models changed.
    assert status_clean(small_archive)


def clean_sync_process_seconds(base: Path, capture: Capture, scratch: Path) -> float:
    """Return how long a fault-free `archiver sync` process of the capture takes, over HTTP."""
    repo = copy_archive(base, scratch / "timed")
    with ReplayServer(capture) as server:
        started = time.monotonic()
        done = run_sync_process(repo, server, capture)
        elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    return elapsed


@dataclass(frozen=True)
class FewModels:
    """The first two small captures cut to the victim's model and two others, an archive of
    the first, and the files a clean sync of the second leaves."""

    base: Path
    captures: list[Capture]
    clean: dict[str, bytes]


@pytest.fixture(scope="module")
def few_models(
    tmp_path_factory: pytest.TempPathFactory,
    small_captures: list[Capture],
    victim: tuple[str, set[str]],
) -> FewModels:
    """Return the victim's model and two others alone: a sync of 15 requests, not 400."""
    catalog = next(r for r in small_captures[1].responses if r.url == CATALOG)
    variants = catalog_variants(Response(CATALOG, catalog.body, status=200))
    mine = {key for key, variant in variants.items() if variant.url(STATS) == victim[0]}
    others = sorted(key for key, variant in variants.items() if variant.has_endpoint)
    keys = mine | set([key for key in others if key not in mine][:2])
    assert len(mine) == 1 and len(keys) == 3, (victim[0], keys)
    captures = [with_models_only(capture, keys) for capture in small_captures[:2]]
    base = tmp_path_factory.mktemp("few-models") / "archive"
    clean_repo = tmp_path_factory.mktemp("few-models-clean") / "archive"
    for repo, synced in ((base, captures[:1]), (clean_repo, captures)):
        for capture in synced:
            log = sync_small(repo, capture)
            assert log.commit_id and not log.failures, log.failures
    return FewModels(base, captures, files_at(clean_repo, "HEAD"))


def test_a_body_that_trickles_forever_is_cut_off_by_the_deadline(
    few_models: FewModels, tmp_path: Path, victim: tuple[str, set[str]]
) -> None:
    url, paths = victim
    archive = copy_archive(few_models.base, tmp_path / "archive")
    before, commits = files_at(archive, "HEAD"), commit_count(archive)
    assert paths <= before.keys()
    # The test waits for the deadline, so every second of it is a second of the suite: the
    # sync is of three models (15 requests, not the small capture's 400), so that its deadline
    # can be short and still leave the rest of the fetching ample time on a busy machine, so
    # only the trickling body misses it. Four times what the whole sync without the fault
    # takes here and now (1.0 s idle, most of it the interpreter's start, the imports and the
    # commit), and never under 3 s; it counts from the first request, so it needs to cover
    # only the 15 fetches. The whole small capture needed a 10 s floor and 4 x its 2.5 s for
    # the same margin over its 400 fetches.
    capture = few_models.captures[1]
    clean_seconds = clean_sync_process_seconds(few_models.base, capture, tmp_path)
    deadline = max(3, math.ceil(4 * clean_seconds))
    with ReplayServer(capture, faults=[Fault(url, body="trickle")]) as server:
        done = run_sync_process(archive, server, capture, "--deadline", str(deadline))
    assert done.returncode == 1, done.stderr
    model = load(before[min(paths)])["model"]
    assert failed_lines(done.stderr) == [
        f"FAILED: endpoints of {model}: sync deadline of {deadline} s reached "
        f"before {server.base_url}{url} was fetched; the next sync fetches it"
    ]
    assert commit_count(archive) == commits + 1
    assert_archived_all_but(archive, before, few_models.clean, paths)


def test_the_deadline_fails_every_request_not_done_in_time(
    small_archive: Path, small_captures: list[Capture], clean: dict[str, bytes]
) -> None:
    before, commits = files_at(small_archive, "HEAD"), commit_count(small_archive)
    # Every endpoint listing takes a minute: four wait in the server, the rest never start.
    slow = Fault(STATS + "*", delay=60.0)
    with ReplayServer(small_captures[1], faults=[slow]) as server:
        done = run_sync_process(
            small_archive, server, small_captures[1], "--deadline", "3", "--concurrency", "4"
        )
        asked = sum(1 for sent in server.requests if sent.startswith(STATS))
    listings = {
        f"{server.base_url}{r.url}" for r in small_captures[1].responses if r.url.startswith(STATS)
    }
    assert done.returncode == 1, done.stderr
    failures = failed_lines(done.stderr)
    deadline = re.compile(r"sync deadline of 3 s reached before (\S+) was fetched; the next sync")
    late = {match[1] for line in failures if (match := deadline.search(line))}
    assert len(late) == len(failures)  # Every failure is the deadline's, each URL once.
    assert listings <= late  # Telemetry, fetched after the listings, missed it too.
    assert asked == 4  # Only the four the concurrency let through were ever sent.
    # No listing came: no endpoint of a catalog model changed, came or went. (Endpoints that
    # only a `~` alias lists, whose own model the small catalog lacks, are left out: removal
    # on evidence is another case of the matrix.)
    after = files_at(small_archive, "HEAD")
    catalog = next(r for r in small_captures[1].responses if r.url == CATALOG).body["data"]
    models = {catalog_key(entry) for entry in catalog}
    endpoints = {
        p
        for p in before.keys() | after.keys()
        if p.startswith("data/endpoint/") and load(before.get(p) or after[p])["model"] in models
    }
    assert endpoints
    assert {p: after.get(p) for p in endpoints} == {p: before.get(p) for p in endpoints}
    assert commit_count(small_archive) == commits + 1  # The models and providers changed.
    assert status_clean(small_archive)
    git(small_archive, "fsck", "--strict", "--no-progress")


def test_no_backoff_sleeps_past_the_deadline(
    small_archive: Path,
    small_captures: list[Capture],
    clean: dict[str, bytes],
    victim: tuple[str, set[str]],
) -> None:
    url, paths = victim
    before = files_at(small_archive, "HEAD")
    # Retry-After asks for an hour (the policy caps a wait at 60 s); the deadline is 45 s
    # away: ample for the rest of the sync on a busy machine, and never waited for.
    busy = Fault(url, status=503, retry_after="3600")
    with ReplayServer(small_captures[1], faults=[busy]) as server:
        result = run_sync(small_archive, server, small_captures[1], "--deadline", "45")
        asked = requests_for(server, url)
    assert result.exit_code == 1
    assert asked == 1
    assert failed_lines(result.stderr) == [
        f"FAILED: endpoints of {load(before[min(paths)])['model']}: HTTP 503 Service "
        f"Unavailable from {server.base_url}{url} (after 1 attempt; no time left before the "
        "deadline)"
    ]
    assert_archived_all_but(small_archive, before, clean, paths)


def hostile_capture(capture: Capture, path: Path) -> Path:
    """Write a copy of a capture whose first v1 model has a hostile id added as a new model."""
    responses = []
    for response in capture.responses:
        if response.url == V1:
            first = response.body["data"][0]
            extra = [{**first, "id": f"acme/evil{text}<script>x</script>|"} for text in HOSTILE]
            response = CapturedResponse(
                response.method, response.url, 200, {"data": response.body["data"] + extra}
            )
        responses.append(response)
    write_capture(path, capture.time, capture.source, "hostile model ids", responses)
    return path


def test_upstream_text_cannot_issue_workflow_commands(
    small_archive: Path,
    small_captures: list[Capture],
    victim: tuple[str, set[str]],
    tmp_path: Path,
) -> None:
    url, _ = victim
    # Header bytes are sent as is: U+2028 and U+0085 arrive as UTF-8, as line breaks.
    raw = "https://evil.example/x" + "".join(HOSTILE[2:]) + "\u0085::add-mask::w"
    location = raw.encode("utf-8").decode("latin-1")
    capture = hostile_capture(small_captures[1], tmp_path / "hostile.jsonl.gz")
    summary = tmp_path / "summary.md"
    with ReplayServer(capture, faults=[Fault(url, location=location)]) as server:
        done = run_sync_process(
            small_archive,
            server,
            small_captures[1],
            "--summary-file",
            str(summary),
            env={"GITHUB_ACTIONS": "true"},
        )
    assert done.returncode == 1, done.stderr
    commands = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.lstrip().startswith(("::", "##["))
    ]
    assert len(commands) == 1 and commands[0].startswith("::error title=archiver sync::sync "), (
        commands
    )
    # The upstream text is there, escaped, not dropped.
    assert "redirected to https://evil.example/x\\u2028::warning::z" in done.stderr
    assert "\\x85::add-mask::w" in commands[0]
    assert_summary_inert(summary.read_text(encoding="utf-8"))


def assert_summary_inert(markdown: str) -> None:
    """Upstream text sits only inside fenced code blocks, each closed by its own fence, and
    no table row has a stray cell."""
    fence: str | None = None
    for line in markdown.splitlines():
        assert not line.lstrip().startswith(("::", "##[")), line
        if fence is None and line.startswith("```"):
            fence = line.removesuffix("text")
        elif fence is not None:
            fence = None if line == fence else fence
        else:
            assert "<script" not in line and "evil" not in line, line
            if line.startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", line)) == 6, line
    assert fence is None


@pytest.mark.parametrize("text", [*HOSTILE, "  ::x", "a\u0085::b", "\u202eevil", "\x1b[2J"])
def test_one_line_leaves_no_line_break_and_no_command(text: str) -> None:
    shown = one_line(f"acme/{text}") + one_line(text)
    assert len(shown.splitlines()) == 1
    assert not one_line(text).lstrip().startswith(("::", "##["))
    assert one_line(one_line(text)) == one_line(text)
    assert all(char.isprintable() for char in shown)


def test_the_job_summary_keeps_upstream_text_inert() -> None:
    hostile = "x\n```\n<script>alert(1)</script>\n| a | b |\n[link](https://evil.example)"
    log = SyncLog(epoch=datetime(2026, 7, 18, 15, tzinfo=UTC))
    log.counts = {"model": CategoryCounts(entities=3)}
    log.failures = [f"endpoints of acme/{hostile}", "``````` " + HOSTILE[0]]
    log.notes = [HOSTILE[3]]
    markdown = summary_markdown(log)
    assert_summary_inert(markdown)
    assert "\\n<script>alert(1)</script>\\n| a | b |" in markdown  # Shown, escaped, in a fence.
    assert markdown.count("\n````````text\n") == 1  # Longer than the run of 7 inside.


def test_the_archivers_own_annotation_escapes_its_data() -> None:
    line = error_annotation("sync incomplete: 100% of\r\n::add-mask::x\u2028::error::y")
    data = "sync incomplete: 100%25 of%0D%0A::add-mask::x\\u2028::error::y"
    assert line == f"::error title=archiver sync::{data}"
