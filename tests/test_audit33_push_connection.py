"""A push that loses its connection is tried again, not given up with the hour's sync (audit).

GitHub's git service sometimes answers a push with a 5xx for a moment; git then says
`error: RPC failed; HTTP 502 ...` and `fatal: Could not read from remote repository.` The
sync retried only when the branch had moved: on any other failure it gave up at once, and
on a runner, which throws its copy away, the hour's sync was lost (its hourly samples and
any change that came and went within the hour). Now a lost connection counts as a reason
to try another round, after the same backoff; when every round fails, the one-line error
says the connection failed, in git's words (it said "git or a pre-push hook said ...").

A real bare repository whose receive-pack (the program git runs on the remote's side of a
push) fails the first N pushes with GitHub's words, as GitHub's does when it answers 502;
real small captures.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archiver.capture.files import Capture
from archiver.publish import PublishError, publish
from tests.archive_helpers import git
from tests.fork_helpers import fetched
from tests.small_captures import small_daily, some_models, sync_small, with_models_only

GITHUB_502 = "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502"


@pytest.fixture(scope="module")
def captures() -> list[Capture]:
    daily = small_daily()
    keys = some_models(daily[0], 12)
    return [with_models_only(capture, keys) for capture in daily[:2]]


def runner_clone(tmp_path: Path, first: Capture, failures: int) -> tuple[Path, Path]:
    """Return (bare remote, runner's clone) whose first `failures` pushes lose the connection."""
    archive = tmp_path / "archive"
    sync_small(archive, first)
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(archive), str(bare))
    clone = tmp_path / "runner"
    subprocess.run(["git", "clone", "--quiet", "--depth", "1", f"file://{bare}", str(clone)])
    count = tmp_path / "pushes"
    flaky = tmp_path / "flaky-receive-pack"
    flaky.write_text(
        f"#!/bin/sh\necho x >> '{count}'\n"
        f"if [ $(wc -l < '{count}') -le {failures} ]; then echo '{GITHUB_502}' >&2; exit 1; fi\n"
        'exec git-receive-pack "$@"\n'
    )
    flaky.chmod(0o755)
    git(clone, "config", "remote.origin.receivepack", str(flaky))
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
