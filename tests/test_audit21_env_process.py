"""The process environment: output encodings, time zones and hash seeds.

- Output not in UTF-8 (a Windows console, PYTHONIOENCODING=latin-1, a legacy locale): every
  command that prints an upstream name with a character the encoding lacks (an em dash,
  CJK, an emoji) died with a UnicodeEncodeError traceback. Such characters now print as
  JSON escapes: a line stays one line, and `--json` output decodes to the same values.
- A reader that leaves early (`archiver import *.gz | head -1`): the import met the closed
  pipe after printing its first capture and imported no more (exit 141, which a shell
  pipeline hides). A command that writes now finishes its work; one that reads still ends.
- TZ and PYTHONHASHSEED (pinned, found fine): the archive's tree, the site and the Parquet
  export are byte for byte the same under UTC+14 and UTC-3:30 with different hash seeds.

A real small archive synced in-process from real captures whose names were given non-ASCII
characters, the command line in child processes with the environment under test. The
captures are cut to one catalog model in MODEL_STEP (every kind of entity, page and
partition is still there): the site build and the export in each child grow with the models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.files import Capture, CapturedResponse, write_capture
from tests.archive_helpers import git
from tests.small_captures import (
    SMALL_DAILY,
    archives_in_turn,
    copy_archive,
    small_captures,
    some_models,
    with_models_only,
)

__all__ = ["small_captures"]

SUFFIX = " — Ünï 通义 😀"
NAMED = {"name", "provider_name"}
MODEL_STEP = 4


def renamed(value: Any) -> Any:
    """Return a response body with every name given non-ASCII characters."""
    if isinstance(value, dict):
        return {
            key: item + SUFFIX if key in NAMED and isinstance(item, str) else renamed(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [renamed(item) for item in value]
    return value


def with_names(capture: Capture) -> Capture:
    """Return the capture with non-ASCII names everywhere."""
    responses = tuple(
        CapturedResponse(r.method, r.url, r.status, renamed(r.body)) for r in capture.responses
    )
    return Capture(capture.time, capture.source, "names", responses)


@pytest.fixture(scope="module")
def named_captures(small_captures: list[Capture]) -> list[Capture]:
    """Return the small captures, cut to one model in MODEL_STEP, with non-ASCII names."""
    keys = some_models(small_captures[1], MODEL_STEP, featured=2)
    return [with_names(with_models_only(capture, keys)) for capture in small_captures]


@pytest.fixture(scope="module")
def in_turn(tmp_path_factory: pytest.TempPathFactory, named_captures: list[Capture]) -> list[Path]:
    """Return archives of the first named capture and of the first two (do not write to them)."""
    return archives_in_turn(tmp_path_factory, "named", named_captures[:2])


@pytest.fixture(scope="module")
def base(in_turn: list[Path]) -> Path:
    """Return an archive of the first capture (do not write to it)."""
    return in_turn[0]


@pytest.fixture(scope="module")
def named_archive(in_turn: list[Path]) -> Path:
    """Return an archive of two syncs whose names hold non-ASCII characters."""
    return in_turn[1]


def archiver(args: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run the archiver in a child process with these variables added to the environment."""
    command = [sys.executable, "-m", "archiver", *args]
    return subprocess.run(command, capture_output=True, env={**os.environ, **env})


def a_model_with_changes(repo: Path) -> str:
    """Return the key of a model the second sync changed."""
    changed = git(repo, "diff", "--name-only", "HEAD~1", "HEAD", "--", "data/model/")
    path = changed.split()[0]
    return path.removeprefix("data/model/").removesuffix(".json")


@pytest.fixture(scope="module")
def in_utf8(named_archive: Path) -> list[tuple[list[str], subprocess.CompletedProcess[bytes]]]:
    """Return each naming command and what it printed with UTF-8 output, run once for the
    encodings compared with it."""
    model = a_model_with_changes(named_archive)
    commands = [["changes"], ["changes", "--json"], ["show", "model", model]]
    runs = []
    for args in commands:
        args = [*args, "--repo", str(named_archive)]
        runs.append((args, archiver(args, PYTHONIOENCODING="utf-8")))
    return runs


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_names_print_in_an_output_encoding_without_their_characters(
    in_utf8: list[tuple[list[str], subprocess.CompletedProcess[bytes]]], encoding: str
) -> None:
    for args, utf8 in in_utf8:
        narrow = archiver(args, PYTHONIOENCODING=encoding)
        assert utf8.returncode == 0, utf8.stderr
        assert SUFFIX.encode() in utf8.stdout, "the names must reach this command's output"
        assert narrow.returncode == 0 and b"Traceback" not in narrow.stderr, narrow.stderr
        text = narrow.stdout.decode(encoding)
        assert len(text.splitlines()) == len(utf8.stdout.decode().splitlines())
        assert "\\u901a\\u4e49 \\ud83d\\ude00" in text, "CJK and an emoji as JSON escapes"
        if "--json" in args or args[0] == "show":
            assert json.loads(text) == json.loads(utf8.stdout)


# In a child: sync the next capture into a copy of the first sync (its tree is compared), and
# export, build the site of (at a fixed build time: the one stamp pages carry) and list the
# changes of a copy of the same two-sync archive (the same commits for both children).
EVERYTHING = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from click.testing import CliRunner
from archiver.cli import main
from archiver.site import build_site
fresh, capture, synced, out = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
imported = ["import", "--repo", str(fresh), capture]
for args in (imported, ["export", "--repo", str(synced), str(out / "export")]):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
build_site(synced, out / "site", built=datetime(2026, 7, 20, tzinfo=UTC), cache=out / "cache")
changes = CliRunner().invoke(main, ["changes", "--repo", str(synced), "--json"])
(out / "changes.json").write_text(changes.output)
"""


def files_of(folder: Path) -> dict[str, bytes]:
    """Return {relative path: bytes} of every file below folder."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_archive_site_and_export_are_the_same_in_any_zone_and_hash_seed(
    base: Path, named_archive: Path, named_captures: list[Capture], tmp_path: Path
) -> None:
    capture = tmp_path / "next.jsonl.gz"
    second = named_captures[1]
    write_capture(capture, second.time, second.source, second.note, second.responses)
    trees, outputs = [], []
    for zone, seed in (("Pacific/Kiritimati", "1"), ("America/St_Johns", "2")):
        fresh = copy_archive(base, tmp_path / f"fresh-{seed}")
        synced = copy_archive(named_archive, tmp_path / f"synced-{seed}")
        out = tmp_path / f"out-{seed}"
        paths = [str(fresh), str(capture), str(synced), str(out)]
        command = [sys.executable, "-c", EVERYTHING, *paths]
        env = {**os.environ, "TZ": zone, "PYTHONHASHSEED": seed}
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr
        trees.append(git(fresh, "rev-parse", "HEAD^{tree}").strip())
        outputs.append({p: b for p, b in files_of(out).items() if not p.startswith("cache/")})
    assert trees[0] == trees[1] == git(named_archive, "rev-parse", "HEAD^{tree}").strip()
    assert outputs[0].keys() == outputs[1].keys()
    assert [path for path in outputs[0] if outputs[0][path] != outputs[1][path]] == []
    assert any(p.startswith("export/") and p.endswith(".parquet") for p in outputs[0])
    assert any(p.startswith("site/") and p.endswith(".html") for p in outputs[0])


def test_an_import_whose_reader_leaves_imports_every_capture(
    base: Path, named_captures: list[Capture], tmp_path: Path
) -> None:
    repo = copy_archive(base, tmp_path / "archive")
    # The next two captures, cut as the archive's first was, under the small captures' names.
    paths = [tmp_path / path.name for path in SMALL_DAILY[1:]]
    for path, capture in zip(paths, named_captures[1:], strict=True):
        write_capture(path, capture.time, capture.source, capture.note, capture.responses)
    args = ["import", "--repo", str(repo), *map(str, paths)]
    command = [sys.executable, "-m", "archiver", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()  # `| head -1`: the reader leaves after the first line.
        stderr = process.stderr.read()
        status = process.wait(timeout=300)
    assert first.decode().strip() == f"{SMALL_DAILY[1].name}:"
    assert b"Traceback" not in stderr and b"Error" not in stderr, stderr
    assert status == 0
    assert int(git(repo, "rev-list", "--count", "HEAD")) == 3, "every capture imported"
    assert git(repo, "status", "--porcelain") == ""
