"""A push or fetch that loses its connection is tried again, not given up with the hour's
sync (audit).

GitHub's git service sometimes answers a push with a 5xx for a moment; git then says
`error: RPC failed; HTTP 502 ...` and `fatal: Could not read from remote repository.` The
sync retried only when the branch had moved: on any other failure it gave up at once, and
on a runner, which throws its copy away, the hour's sync was lost (its hourly samples and
any change that came and went within the hour). Now a lost connection counts as a reason
to try another round, after the same backoff; when every round fails, the one-line error
says the connection failed, in git's words (it said "git or a pre-push hook said ...").
The fetches of the remote branch (before the sync, in each round, after a failed push) are
tried again the same way: one failing gave the hour up just as well.

A real bare repository whose receive-pack or upload-pack (the programs git runs on the
remote's side of a push or a fetch) fails the first N times with GitHub's words, as GitHub's
does when it answers 502; real small captures.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archiver import backoff
from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.publish import PublishError, publish, sync_and_push
from archiver.sync import SyncOptions
from tests.archive_helpers import git
from tests.fork_helpers import fetched, shell_quote
from tests.small_captures import small_daily, some_models, sync_small, with_models_only

GITHUB_502 = "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502"
GITHUB_404 = (
    "fatal: unable to access 'https://github.com/me/archive/': "
    "The requested URL returned error: 404"
)


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    daily = small_daily()
    keys = some_models(daily[0], 12)
    return [with_models_only(capture, keys) for capture in daily[:2]]


def runner_clone(
    tmp_path: Path, first: Capture, failures: int, side: str = "receive", said: str = GITHUB_502
) -> tuple[Path, Path]:
    """Return (bare remote, runner's clone) whose first `failures` pushes (side "receive") or
    fetches (side "upload") lose the connection."""
    archive = tmp_path / "archive"
    sync_small(archive, first)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    clone = tmp_path / "runner"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{bare}", str(clone)])
    count = tmp_path / "pushes"
    flaky = tmp_path / f"flaky-{side}-pack"
    flaky.write_text(
        f"#!/bin/sh\necho x >> '{count}'\n"
        f"if [ $(wc -l < '{count}') -le {failures} ]; then\n"
        f"echo {shell_quote(said)} >&2; exit 1; fi\n"
        f'exec git-{side}-pack "$@"\n'
    )
    flaky.chmod(0o755)
    git(clone, "config", f"remote.origin.{side}pack", str(flaky))
    return bare, clone


def test_a_push_that_lost_its_connection_once_lands_in_the_next_round(
    captures: list[Capture], tmp_path: Path
) -> None:
    first, second = captures
    bare, clone = runner_clone(tmp_path, first, failures=1)
    before = git(bare, "rev-parse", "main").strip()

    result = publish(clone, fetched(second), backoff=0.01)

    assert result.rounds == 2 and result.commit_id == git(clone, "rev-parse", "HEAD").strip()
    # One sync commit on top, no more: the hour is archived once, as a plain sync makes it.
    assert git(bare, "rev-list", f"{before}..main").split() == [result.commit_id]
    plain = tmp_path / "plain"
    git(tmp_path, "clone", "--quiet", str(tmp_path / "archive"), str(plain))
    sync_small(plain, second)
    for folder in ("data/model", "data/endpoint", "data/provider"):
        assert git(bare, "rev-parse", f"main:{folder}") == git(plain, "rev-parse", f"HEAD:{folder}")


def test_a_connection_lost_in_every_round_says_so_in_one_line(
    captures: list[Capture], tmp_path: Path
) -> None:
    first, second = captures
    bare, clone = runner_clone(tmp_path, first, failures=99)
    before = git(bare, "rev-parse", "main").strip()

    with pytest.raises(PublishError) as raised:
        publish(clone, fetched(second), attempts=2, backoff=0.01)

    message = str(raised.value)
    assert "\n" not in message and "pre-push hook" not in message
    assert "connection failed" in message and "RPC failed; HTTP 502" in message
    assert (tmp_path / "pushes").read_text().count("x") == 2  # Both rounds pushed.
    assert git(bare, "rev-parse", "main").strip() == before


def test_a_fetch_that_lost_its_connection_is_tried_again(
    captures: list[Capture], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = captures
    bare, clone = runner_clone(tmp_path, first, failures=1, side="upload")
    before = git(bare, "rev-parse", "main").strip()
    monkeypatch.setattr(backoff, "GIT_FETCH_BACKOFF", 0.01)

    # A sync --push, as the workflow runs it: its first fetch of the branch fails once.
    replay = ReplayTransport(second)
    options = SyncOptions(base_url=replay.base_url, transport=replay, epoch=second.time)
    result = sync_and_push(clone, options)

    assert result.commit_id is not None
    assert git(bare, "rev-list", f"{before}..main").split() == [
        git(clone, "rev-parse", "HEAD").strip()
    ]


def test_an_address_or_token_github_answers_4xx_for_is_not_pushed_again(
    captures: list[Capture], tmp_path: Path
) -> None:
    # The same answer every time: no rounds spent on it, and no word of a lost connection.
    first, second = captures
    _, clone = runner_clone(tmp_path, first, failures=99, said=GITHUB_404)

    with pytest.raises(PublishError) as raised:
        publish(clone, fetched(second), attempts=3, backoff=0.01)

    message = str(raised.value)
    assert "connection failed" not in message and "stays local only" in message
    assert (tmp_path / "pushes").read_text().count("x") == 1
