"""The history commands on a repository whose git log is not all UTF-8.

git keeps a path as the bytes it was given, and writes a commit message in the encoding
`i18n.logOutputEncoding` asks for. A person who committed a file named in Latin-1 under
data/ (`café.json` from an old tool), or who set that option for their own reasons, made
every history command (`log`, `show`, `changes`, `price`) end in a UnicodeDecodeError
traceback, for good: the index never got past that commit. The archive's own paths are
ASCII, so such a file is a stray one, left out as any other stray file is.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
from click.testing import CliRunner

from archiver.cli import main
from tests.archive_helpers import as_person

ENTITY = {"id": "a/b", "name": "B", "pricing": {"prompt": "0.000001", "completion": "0.000002"}}


def _archive(tmp_path: Path) -> Path:
    """Return a repository with one sync commit adding data/model/a/b.json."""
    repo = tmp_path / "archive"
    (repo / "data/model/a").mkdir(parents=True)
    as_person(repo, "init", "-q")
    (repo / "data/model/a/b.json").write_bytes(orjson.dumps(ENTITY) + b"\n")
    as_person(repo, "add", "-A")
    as_person(repo, "commit", "-q", "-m", "Sync", "-m", "Sync-Epoch: 2026-07-17T18:00:00Z")
    return repo


def _run(repo: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(repo)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    return result.output


def test_a_file_named_in_latin1_is_a_stray_file(tmp_path: Path) -> None:
    repo = _archive(tmp_path)
    (repo / os.fsdecode(b"data/model/caf\xe9.json")).write_bytes(b'{"id": "x"}\n')
    as_person(repo, "add", "-A")
    as_person(repo, "commit", "-q", "-m", "Sync", "-m", "Sync-Epoch: 2026-07-18T18:00:00Z")

    assert "added" in _run(repo, "log", "model", "a/b")
    assert orjson.loads(_run(repo, "show", "model", "--all")) == {"a/b": ENTITY}
    assert orjson.loads(_run(repo, "changes", "--json"))[0]["epoch"] == "2026-07-17T18:00:00Z"


def test_a_log_output_encoding_other_than_utf8_reads_the_same(tmp_path: Path) -> None:
    repo = _archive(tmp_path)
    # A person's commit whose trailer git re-encodes to Latin-1 (no epoch: left out)...
    (repo / "data/model/a/b.json").write_bytes(orjson.dumps({**ENTITY, "name": "?"}) + b"\n")
    as_person(repo, "commit", "-q", "-am", "Fix", "-m", "Sync-Epoch: café")
    # ...then a sync.
    entity = {**ENTITY, "name": "C"}
    (repo / "data/model/a/b.json").write_bytes(orjson.dumps(entity) + b"\n")
    as_person(repo, "commit", "-q", "-am", "Sync", "-m", "Sync-Epoch: 2026-07-18T18:00:00Z")
    as_person(repo, "config", "i18n.logOutputEncoding", "ISO-8859-1")

    versions = orjson.loads(_run(repo, "log", "model", "a/b", "--json"))
    assert [version["epoch"] for version in versions] == [
        "2026-07-18T18:00:00Z",
        "2026-07-17T18:00:00Z",
    ]
    assert orjson.loads(_run(repo, "show", "model", "a/b")) == entity
