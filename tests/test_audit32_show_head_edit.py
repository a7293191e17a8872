"""`archiver show` without --at reads HEAD's files, a person's commit on top of the last sync
included.

README: a person's commit is left out of entity histories, "and `show` shows the files as
they are"; the history index's docstring: "the state at HEAD (`show`, the site's tables) is
the tree as it is, hand edits included". But with a person's commit at HEAD (a file fixed
by hand, one deleted, after the newest sync), `show KEY` and `show --all` printed the files
as that sync left them: the edit `git show HEAD:` and the site showed was missing, and the
deleted entity was still there. `--at` still reads the last sync at or before it.
A real small archive (one real sync of a cut small capture), a person's commit with the git
CLI, the command line.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from archiver.capture.files import Capture
from archiver.cli import main
from archiver.paths import path_to_key
from archiver.times import format_epoch
from tests.archive_helpers import as_person, git, keys_at
from tests.small_captures import small_captures, some_models, sync_small, with_models_only

__all__ = ["small_captures"]
NAME = "Renamed by hand"


@pytest.fixture(scope="module")
def edited(
    tmp_path_factory: pytest.TempPathFactory, small_captures: list[Capture]
) -> tuple[Path, str, str, str]:
    """Return (archive, epoch of its sync, edited model's path, deleted model's path): one
    sync, then a person's commit that renames one model and deletes another."""
    capture = small_captures[0]
    repo = tmp_path_factory.mktemp("show-head") / "archive"
    log = sync_small(repo, with_models_only(capture, some_models(capture, 16)))
    assert log.commit_id and not log.failures, log.failures
    paths = sorted(git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data/model/").split())
    listed = [path for path in paths if "v1" in orjson.loads((repo / path).read_bytes())]
    edited, deleted = listed[:2]
    entity = orjson.loads((repo / edited).read_bytes())
    entity["v1"]["name"] = NAME
    (repo / edited).write_bytes(orjson.dumps(entity, option=orjson.OPT_INDENT_2) + b"\n")
    (repo / deleted).unlink()
    as_person(repo, "commit", "-q", "-a", "-m", "Fix by hand")
    return repo, format_epoch(capture.time), edited, deleted


def _show(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["show", "--repo", str(repo), *args])
    return result.exit_code, result.stdout


def test_show_without_at_is_the_file_at_head(edited: tuple[Path, str, str, str]) -> None:
    repo, _, path, deleted = edited
    at_head = orjson.loads(git(repo, "show", f"HEAD:{path}"))
    assert at_head["v1"]["name"] == NAME
    code, output = _show(repo, "model", path_to_key(path)[1])
    assert code == 0 and orjson.loads(output) == at_head
    code, output = _show(repo, "model", path_to_key(deleted)[1])
    assert code == 1 and output == ""


def test_show_all_without_at_is_the_category_at_head(edited: tuple[Path, str, str, str]) -> None:
    repo, _, path, deleted = edited
    code, output = _show(repo, "model", "--all")
    shown = orjson.loads(output)
    assert code == 0 and set(shown) == keys_at(repo)["model"]
    assert path_to_key(deleted)[1] not in shown
    assert shown[path_to_key(path)[1]] == orjson.loads(git(repo, "show", f"HEAD:{path}"))


def test_at_the_sync_is_still_the_file_the_sync_wrote(
    edited: tuple[Path, str, str, str],
) -> None:
    repo, epoch, path, deleted = edited
    code, output = _show(repo, "model", path_to_key(path)[1], "--at", epoch)
    assert code == 0 and orjson.loads(output) == orjson.loads(git(repo, "show", f"HEAD~:{path}"))
    code, output = _show(repo, "model", "--all", "--at", epoch)
    assert code == 0 and path_to_key(deleted)[1] in orjson.loads(output)
