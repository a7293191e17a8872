"""`archiver notify` against a real HTTP receiver on 127.0.0.1: posts, chunks, failures."""

from __future__ import annotations

import fnmatch
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from archiver.cli import main
from archiver.history.kinds import describe
from archiver.history.versions import changes
from archiver.notify import MAX_MESSAGES, Rule, messages, newest_syncs
from tests.archive_helpers import git
from tests.site_helpers import EVIL_NAME, SiteArchive

SECRET_PATH = "/api/webhooks/123/very-secret-token"


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Records every JSON body posted; answers as the server's `mode` says."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        server: Any = self.server
        if server.mode == "slow":
            time.sleep(2)
        server.bodies.append(json.loads(body))
        self.send_response(500 if server.mode == "fail" else 204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def receiver(mode: str = "ok") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Run a webhook receiver on loopback; yield its URL and the bodies it got."""
    server: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.mode, server.bodies = mode, []
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}", server.bodies
    finally:
        server.shutdown()
        server.server_close()


def notify(repo: Path, url: str | None, *args: str) -> Any:
    """Run `archiver notify` with the webhook URL in its environment variable."""
    env = {"ARCHIVER_WEBHOOK_URL": url or ""}
    return CliRunner().invoke(main, ["notify", "--repo", str(repo), *args], env=env)


def _head_sync(repo: Path) -> Any:
    return changes(repo)[0]


def test_posts_the_matching_changes_of_the_newest_sync(
    daily_imported_archive: Path, tmp_path: Path
) -> None:
    repo = daily_imported_archive
    group = _head_sync(repo)
    endpoint = next(c for c in group.changes if c.category == "endpoint" and c.after)
    assert endpoint.after is not None
    provider = endpoint.after["provider_info"]
    watch = tmp_path / "notify.toml"
    watch.write_text(f'[[watch]]\nproviders = ["{provider[:3]}*"]\n')
    expected = [
        c
        for c in group.changes
        if fnmatch.fnmatch(
            str((c.after or c.before or {}).get("provider_info", "")), f"{provider[:3]}*"
        )
        or (c.category == "provider" and c.key.startswith(provider[:3]))
    ]

    with receiver() as (url, bodies):
        result = notify(repo, url, "--watch", str(watch), "--site-url", "https://e.org/a/")

    assert result.exit_code == 0, result.output
    assert f"posted {len(bodies)} message(s)" in result.output
    text = "\n".join(body["content"] for body in bodies)
    assert all(body["text"] == body["content"] and len(body["content"]) <= 2000 for body in bodies)
    assert all(body["allowed_mentions"] == {"parse": []} for body in bodies)
    assert f"{len(expected)} of {len(group.changes)} changes" in text
    for change in expected:
        summary = describe(change.category, change.key, change.before, change.after).summary
        assert summary.split(":")[-1].strip()[:30] in text
    assert text.endswith("https://e.org/a/changes/index.html")
    assert SECRET_PATH not in result.output


def test_a_failing_webhook_is_one_line_and_exit_1(daily_imported_archive: Path) -> None:
    for mode, words in (("fail", "HTTP 500"), ("slow", "did not answer in time")):
        with receiver(mode) as (url, _):
            result = notify(daily_imported_archive, url, "--timeout", "0.5")
        assert result.exit_code == 1, (mode, result.output)
        assert words in result.output and "Traceback" not in result.output
        assert SECRET_PATH not in result.output and len(result.output.strip().splitlines()) == 1
    with receiver() as (url, _):
        refused = url  # Closed below: nothing listens there any more.
    result = notify(daily_imported_archive, refused, "--timeout", "2")
    assert result.exit_code == 1 and "unreachable" in result.output


def test_without_a_webhook_or_a_new_sync_nothing_is_posted(daily_imported_archive: Path) -> None:
    repo = daily_imported_archive
    result = notify(repo, None)
    assert result.exit_code == 0 and "ARCHIVER_WEBHOOK_URL is not set" in result.output
    head = git(repo, "rev-parse", "HEAD").strip()
    with receiver() as (url, bodies):
        result = notify(repo, url, "--after", head)
    assert result.exit_code == 0 and bodies == [] and "nothing posted" in result.output


def test_a_big_sync_is_chunked_under_discords_limit(daily_imported_archive: Path) -> None:
    groups = changes(daily_imported_archive)
    first = groups[-1]  # The first sync: every entity new.
    assert len(first.changes) > 300
    texts = messages(daily_imported_archive, [first], [Rule()])
    assert len(texts) == MAX_MESSAGES
    assert all(len(text) <= 2000 for text in texts)
    shown = sum(text.count("\n- ") + text.startswith("- ") for text in texts)
    left = int(texts[-1].rsplit("(and ", 1)[1].split(" ")[0])
    assert shown + left == len(first.changes)


def test_hostile_names_cannot_ping_or_mark_up(site_archive: SiteArchive, tmp_path: Path) -> None:
    repo = site_archive.repo
    syncs = git(repo, "log", "--format=%H %s").splitlines()
    before_evil = next(line for line in syncs if "2026-07-19T15" in line).split()[0]
    watch = tmp_path / "notify.toml"
    watch.write_text('[[watch]]\nkinds = ["metadata"]\n')
    with receiver() as (url, bodies):
        result = notify(repo, url, "--after", before_evil, "--watch", str(watch))
    assert result.exit_code == 0, result.output
    text = "\n".join(body["content"] for body in bodies)
    assert EVIL_NAME.split("<")[0] in text
    assert "<" not in text


def test_after_takes_any_name_git_gives_a_commit(daily_imported_archive: Path) -> None:
    # Compared as a prefix of commit ids, HEAD~2 matched none, and the newest sync alone
    # was posted without a word.
    repo = daily_imported_archive
    by_id = newest_syncs(repo, git(repo, "rev-parse", "HEAD~2").strip())
    assert len(by_id) == 2
    assert [group.commit for group in newest_syncs(repo, "HEAD~2")] == [g.commit for g in by_id]
