"""An archive's history index written by an older release is derived again by this one.

The index (.git/archiver/history.sqlite) is derived data that a query only extends: rows an
older release derived wrongly would answer for good after `archiver update-code`. The release
before c1cd48e, under `git config trailer.separators =`, found no Sync-Epoch trailer and
indexed every sync as a person's commit, with the same schema as today's: after the update,
`archiver log` and `changes` still found no history at all.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from archiver.cli import main
from archiver.history import versions as history
from archiver.history.index import INDEX_FILE
from tests.archive_helpers import git
from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]  # fixtures


def test_an_index_an_older_release_derived_is_read_again(small_archive: Path) -> None:
    expected = history.changes(small_archive)
    assert expected
    endpoint = git(small_archive, "ls-tree", "--name-only", "HEAD", "data/endpoint/")
    endpoint_id = endpoint.splitlines()[0].removeprefix("data/endpoint/").removesuffix(".json")
    # What that release left: today's schema, every sync marked a person's, and no record of
    # the code that derived the rows (it kept none).
    index_file = small_archive / ".git" / INDEX_FILE
    with sqlite3.connect(index_file) as db:
        db.execute("UPDATE commits SET by_hand = 1")
        db.execute("DELETE FROM meta WHERE name NOT IN ('schema', 'head', 'graft')")
    db.close()
    assert history.changes(small_archive) == expected
    arguments = ["log", "endpoint", endpoint_id, "--repo", str(small_archive)]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    assert "added" in result.output
