"""A file a person deleted, whose entity upstream then dropped too, is removed in the history.

README: a person's commit is left out of entity histories, each sync's change read against
the file as the sync before it left it. A person deleted (or `git revert`ed) an entity file;
upstream dropped the entity too, so the next sync did not put it back and no later sync
touched the path. `log`, `changes`, `price` and the export read only the files a sync
commit touched: they showed the entity in force for ever, while `show --at`, `cost --at`
and `git show` had it gone from that sync on. That sync's tree lacks the file (a sync puts
back a file upstream still lists): its removal is that sync's.
A real small archive (two real syncs of cut small captures), the person's commit with the
git CLI, the command line.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.capture.transport import ReplayTransport
from archiver.cli import main
from archiver.paths import path_to_key
from archiver.sync import SyncOptions, sync
from archiver.times import format_epoch
from tests.archive_helpers import as_person, git
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]


@pytest.fixture(scope="module")
def dropped(
    tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]
) -> tuple[Path, str, str]:
    """Return (archive, epoch of the second sync, key of the model a person deleted and
    upstream then dropped)."""
    first, second = small_captures[:2]
    keys = some_models(first, 16) & some_models(second, 16)
    repo = tmp_path_factory.mktemp("person-deletion") / "archive"
    assert not sync_small(repo, with_models_only(first, keys)).failures
    paths = sorted(git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data/model/").split())
    path = next(
        p for p in paths if "pricing" in orjson.loads((repo / p).read_bytes()).get("v1", {})
    )
    key = path_to_key(path)[1]
    as_person(repo, "rm", "-q", path)
    as_person(repo, "commit", "-q", "-m", "Remove a model by hand")
    # Upstream dropped that model and its endpoints: more than the guard's share here.
    cut = with_models_only(second, keys - {key})
    replay = ReplayTransport(cut)
    options = SyncOptions(
        base_url=replay.base_url, transport=replay, epoch=cut.time, max_removal_share=1.0
    )
    log = sync(repo, options)
    assert log.commit_id and not log.failures, log.failures
    assert path not in git(repo, "diff", "--name-only", "HEAD~", "HEAD")
    return repo, format_epoch(log.epoch), key


def _run(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [args[0], "--repo", str(repo), *args[1:]])
    return result.exit_code, result.stdout


def test_log_tells_the_removal_at_the_sync_that_left_it_gone(
    dropped: tuple[Path, str, str],
) -> None:
    repo, epoch, key = dropped
    code, output = _run(repo, "log", "model", key, "--json")
    found = [(version["kind"], version["epoch"]) for version in orjson.loads(output)]
    assert code == 0 and found[0] == ("removed", epoch) and len(found) == 2
    assert _run(repo, "show", "model", key, "--at", epoch)[0] == 1


def test_changes_and_price_agree_with_show(dropped: tuple[Path, str, str]) -> None:
    repo, epoch, key = dropped
    code, output = _run(repo, "changes", "--since", epoch, "--category", "model", "--json")
    told = [(c["key"], c["kinds"]) for group in orjson.loads(output) for c in group["changes"]]
    assert code == 0 and (key, ["removed"]) in told
    code, output = _run(repo, "price", "model", key, "--at", epoch)
    assert code == 1 and output == ""
    code, output = _run(repo, "price", "model", key, "--json")
    assert code == 1
