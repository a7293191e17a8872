"""`archiver show KEY` and `show --all` agree with each other and with git after a hand edit.

README: a person's commit is left out of entity histories (`log`, `changes`, `price`), "and
`show` shows the files as they are". `show --all` read the tree as it stood at the last
sync (hand edits included), but `show KEY` read the last change a sync made to the file:
after a person fixed a file by hand and a sync left that file alone (its listing failed,
or upstream sent what the person wrote), `show KEY` printed the file as it was before the
edit, which no commit's tree holds, while `show --all` and `git show` printed the edit.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import as_person

PATH = "data/model/a/b.json"
SYNCED = {"id": "a/b", "name": "B"}
EDITED = {"id": "a/b", "name": "B, fixed by hand"}


def _write(repo: Path, path: str, value: object) -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n")


def _commit(repo: Path, epoch: str | None) -> None:
    trailer = ["-m", f"Sync-Epoch: {epoch}"] if epoch else []
    as_person(repo, "add", "-A")
    as_person(repo, "commit", "-q", "-m", "Sync" if epoch else "A fix by hand", *trailer)


def _show(repo: Path, *args: str) -> object:
    result = CliRunner().invoke(main, ["show", "--repo", str(repo), *args])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def test_show_key_reads_the_tree_show_all_reads(tmp_path: Path) -> None:
    repo = tmp_path / "archive"
    repo.mkdir()
    as_person(repo, "init", "-q")
    _write(repo, PATH, SYNCED)
    _write(repo, "data/model/c/d.json", {"id": "c/d", "name": "D"})
    _commit(repo, "2026-07-17T18:00:00Z")
    _write(repo, PATH, EDITED)
    _commit(repo, None)
    _write(repo, "data/model/c/d.json", {"id": "c/d", "name": "D2"})  # Leaves a/b alone.
    _commit(repo, "2026-07-18T18:00:00Z")

    in_git = orjson.loads(as_person(repo, "show", f"HEAD:{PATH}"))
    assert in_git == EDITED
    assert _show(repo, "model", "--all")["a/b"] == in_git  # type: ignore[index]
    assert _show(repo, "model", "a/b") == in_git
    assert _show(repo, "model", "a/b", "--at", "2026-07-18T18:00:00Z") == in_git
    # Before the person's commit: the sync's file.
    assert _show(repo, "model", "a/b", "--at", "2026-07-18T17:59:59Z") == SYNCED
    # The history still leaves the person's commit out.
    log = CliRunner().invoke(main, ["log", "--repo", str(repo), "model", "a/b", "--json"])
    assert [version["kind"] for version in orjson.loads(log.output)] == ["added"]
