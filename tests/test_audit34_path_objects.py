"""`path_to_key` given a pathlib path, as a user walking the archive's files has one.

`path_to_key(file.relative_to(repo))` refused every file with "it is not under a known
category or does not end in .json", of a path that is both: only text was read. A relative
pathlib path now reads as its POSIX text; what it refuses as text it still refuses.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import archiver

KEYS = [
    ("model", "openai/gpt-4.1"),
    ("model", "meta-llama/llama-3.1-8b-instruct:free"),
    ("model", "~anthropic/claude-sonnet-latest"),
    ("endpoint", "000e507a-4d52-4dee-927a-8ece3a7b0c28"),
    ("provider", "Amazon Bedrock"),
]


@pytest.mark.parametrize(("category", "key"), KEYS)
def test_a_path_object_reads_as_its_text(category: str, key: str, tmp_path: Path) -> None:
    text = archiver.key_to_path(category, key)  # type: ignore[arg-type]
    file = tmp_path / text
    file.parent.mkdir(parents=True)
    file.write_bytes(b"{}\n")
    walked = [found.relative_to(tmp_path) for found in tmp_path.rglob("*.json")]
    assert [archiver.path_to_key(found) for found in walked] == [(category, key)]
    assert archiver.path_to_key(PurePosixPath(text)) == (category, key)
    assert archiver.path_to_key(PureWindowsPath(*text.split("/"))) == (category, key)


@pytest.mark.parametrize(
    "path", ["/data/model/a.json", "data/model/../x.json", "data/telemetry/a.json", "data/model"]
)
def test_a_path_object_refused_as_text_is_refused(path: str) -> None:
    with pytest.raises(archiver.ArchiverError, match="refusing path"):
        archiver.path_to_key(PurePosixPath(path))
