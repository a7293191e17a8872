"""What the fork tests share: GitHub's side as far as it can run here, and a sync's fetch.

A pre-receive hook in a bare repository refuses a push with GitHub's own words, so the
archiver meets the text it meets on GitHub. The API stand-in serves GitHub's JSON shapes on
loopback: GitHub itself cannot run here.
"""

from __future__ import annotations

import contextlib
import http.server
import json
from collections.abc import Iterator
from pathlib import Path

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.sync import SyncOptions, Upstream, fetch_upstream
from tests.browser import serve_handler

# GitHub's words for a refused push, as its pre-receive hook prints them.
GH006 = [
    "error: GH006: Protected branch update failed for refs/heads/main.",
    "error: Changes must be made through a pull request.",
]
GH013 = [
    "error: GH013: Repository rule violations found for refs/heads/main.",
    "Review all repository rules at https://github.com/me/archive/rules?ref=refs%2Fheads%2Fmain",
    "",
    "- Changes must be made through a pull request.",
]
WORKFLOWS = [
    "refusing to allow a GitHub App to create or update workflow "
    "`.github/workflows/sync.yml` without `workflows` permission",
]


def refuse_pushes(bare_repo: Path, lines: list[str]) -> None:
    """Install a pre-receive hook that refuses every push with these lines."""
    hook = bare_repo / "hooks" / "pre-receive"
    echoes = "".join(f"echo {shell_quote(line)} >&2\n" for line in lines)
    hook.write_text(f"#!/bin/sh\n{echoes}exit 1\n")
    hook.chmod(0o755)


def shell_quote(text: str) -> str:
    """Return text quoted for sh."""
    return "'" + text.replace("'", "'\\''") + "'"


@contextlib.contextmanager
def github_api(replies: dict[str, object]) -> Iterator[str]:
    """Serve GitHub's repository API replies on loopback (GitHub itself cannot run here)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = replies.get(self.path)
            body = json.dumps(reply if reply is not None else {"message": "Not Found"}).encode()
            self.send_response(200 if reply is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test's output quiet."""

    with serve_handler(Handler) as url:
        yield url.rstrip("/")


def fetched(capture: Capture) -> Upstream:
    """Return a capture's entity sources, fetched in-process as a sync does."""
    replay = ReplayTransport(capture)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=capture.time, telemetry=False
    )
    return fetch_upstream(options)
